-- With pg_leadgen in shared_preload_libraries, its settings are registered
-- and reserved, and the launcher runs in leadgen.database. Nothing here
-- depends on which database that is, or on how many workers run: the same
-- output against the suite's own instance and against a DBA's server.

SELECT leadgen.preloaded() AS preloaded,
       leadgen.worker_database() = current_setting('leadgen.database') AS worker_database_is_the_setting;

SELECT name, unit, context, vartype
  FROM pg_settings WHERE name LIKE 'leadgen.%' ORDER BY 1;

-- The prefix is reserved: a misspelt setting is refused.
SET leadgen.no_such_setting = 1;

-- The launcher is up in leadgen.database (it starts once the database
-- exists: allow it time).
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
    WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity
                       WHERE backend_type = 'pg_leadgen launcher' AND datname = leadgen.worker_database()) LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'the pg_leadgen launcher did not start in database "%" within 60 seconds',
                            leadgen.worker_database();
        END IF;
        PERFORM pg_sleep(0.2);
        PERFORM pg_stat_clear_snapshot();
    END LOOP;
END;
$$;
SELECT backend_type, application_name, datname = leadgen.worker_database() AS in_leadgen_database
  FROM pg_stat_activity WHERE backend_type = 'pg_leadgen launcher';
