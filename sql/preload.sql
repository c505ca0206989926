-- With pg_leadgen in shared_preload_libraries, its settings are registered
-- and reserved, and the launcher runs in leadgen.database.

SELECT leadgen.preloaded() AS preloaded, leadgen.worker_database() = current_database() AS serves_this_database;

SELECT name, setting, unit, context, vartype
  FROM pg_settings WHERE name LIKE 'leadgen.%' ORDER BY 1;

-- The prefix is reserved: a misspelt setting is refused.
SET leadgen.no_such_setting = 1;

-- The launcher is up (it starts once the database exists: allow it time).
DO $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
    WHILE NOT EXISTS (SELECT 1 FROM pg_stat_activity
                       WHERE backend_type = 'pg_leadgen launcher' AND datname = current_database()) LOOP
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'the pg_leadgen launcher did not start within 60 seconds';
        END IF;
        PERFORM pg_sleep(0.2);
        PERFORM pg_stat_clear_snapshot();
    END LOOP;
END;
$$;
SELECT backend_type, application_name, datname = current_database() AS in_this_database
  FROM pg_stat_activity WHERE backend_type = 'pg_leadgen launcher';
