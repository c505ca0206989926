-- Durable acknowledgements: wait_for_standby(timeout_ms, scope) answers
-- whether a physical standby has flushed what the caller committed,
-- waiting up to timeout_ms (0 to 60000) for it:
--   scope 'session' (the default): this session's last commit; true at
--                   once when the session has committed nothing;
--   scope 'server': all WAL written before the call, which holds every
--                   commit made before it (a connection through a pooler
--                   in transaction mode cannot know its last commit was
--                   its own).
-- The receivers that count: physical ones named by leadgen.standby_names
-- (default: every one but pg_basebackup and pg_receivewal).
-- Called after a commit, true means a failover keeps that commit, whatever
-- synchronous_standby_names said when it was made; false means it may not
-- (no standby streaming, or one too far behind). The gateway's
-- --ack-standby-ms uses it before answering a lead submission (docs/HA.md).
-- Called inside the transaction whose changes it should cover, it covers
-- none of them: the commit comes after it.
-- Runs on a primary only; needs no privilege beyond EXECUTE (91_api_roles.sql
-- grants it to the writers and the gateway).

CREATE FUNCTION @extschema@.wait_for_standby(timeout_ms integer DEFAULT 5000, scope text DEFAULT 'session')
    RETURNS boolean
    LANGUAGE c STRICT VOLATILE
    AS 'MODULE_PATHNAME', 'pg_leadgen_wait_for_standby';
COMMENT ON FUNCTION @extschema@.wait_for_standby(integer, text) IS
    'whether a physical standby has flushed this session''s last commit (scope session) or all WAL written before the call (server), waiting up to timeout_ms';
