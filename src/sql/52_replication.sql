-- Durable acknowledgements: wait_for_standby(timeout_ms) answers whether a
-- physical standby has flushed every WAL record this primary wrote before
-- the call, waiting up to timeout_ms (0 to 60000) for it. Called after a
-- commit, true means a failover keeps that commit, whatever
-- synchronous_standby_names said when it was made; false means it may not
-- (no standby streaming, or one too far behind). The gateway's
-- --ack-standby uses it before answering a lead submission (docs/HA.md).
-- Called inside the transaction whose changes it should cover, it covers
-- none of them: the commit comes after it.
-- Runs on a primary only; needs no privilege beyond EXECUTE (91_api_roles.sql
-- grants it to the writers and the gateway).

CREATE FUNCTION @extschema@.wait_for_standby(timeout_ms integer DEFAULT 5000) RETURNS boolean
    LANGUAGE c STRICT VOLATILE
    AS 'MODULE_PATHNAME', 'pg_leadgen_wait_for_standby';
COMMENT ON FUNCTION @extschema@.wait_for_standby(integer) IS
    'whether a physical standby has flushed all WAL written before the call, waiting up to timeout_ms';
