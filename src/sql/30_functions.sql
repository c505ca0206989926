-- Introspection of the module.

CREATE FUNCTION @extschema@.preloaded() RETURNS boolean
    AS 'MODULE_PATHNAME', 'pg_leadgen_preloaded'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.preloaded() IS
    'Whether pg_leadgen is in shared_preload_libraries, so that its workers run';

CREATE FUNCTION @extschema@.worker_database() RETURNS text
    AS 'MODULE_PATHNAME', 'pg_leadgen_worker_database'
    LANGUAGE C STABLE PARALLEL SAFE;
COMMENT ON FUNCTION @extschema@.worker_database() IS
    'The database the pg_leadgen workers serve (leadgen.database)';

CREATE FUNCTION @extschema@.version() RETURNS text
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT extversion FROM pg_catalog.pg_extension WHERE extname = 'pg_leadgen'
$$;

-- Say at install time what does not run, and why.
DO $preload$
BEGIN
    IF NOT @extschema@.preloaded() THEN
        RAISE WARNING 'pg_leadgen is not loaded through shared_preload_libraries: its background workers do not run'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  DETAIL = 'The tables and functions are installed, but no worker drains leadgen.leads_pending or runs partition maintenance.',
                  HINT = 'Add pg_leadgen to shared_preload_libraries, set leadgen.database to this database, and restart the server.';
    ELSIF @extschema@.worker_database() <> current_database() THEN
        RAISE WARNING 'the pg_leadgen workers serve database "%", not "%"',
                      @extschema@.worker_database(), current_database()
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = format('Set leadgen.database = %L and restart the server.', current_database());
    END IF;
END;
$preload$;
