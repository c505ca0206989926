-- Helpers of the job tests (session-local, in pg_temp).
--
-- pg_temp.wait_for_run(job): the status and message of the job's latest
-- finished run, waiting for it up to 60 seconds.
CREATE FUNCTION pg_temp.wait_for_run(job text) RETURNS TABLE (status text, message text)
LANGUAGE plpgsql AS $$
DECLARE
    deadline timestamptz := clock_timestamp() + interval '60 seconds';
BEGIN
    LOOP
        RETURN QUERY SELECT r.status, r.message FROM leadgen.job_runs r
                      WHERE r.job_name = job AND r.status IN ('succeeded', 'failed')
                      ORDER BY r.id DESC LIMIT 1;
        IF FOUND THEN
            RETURN;
        END IF;
        IF clock_timestamp() > deadline THEN
            RAISE EXCEPTION 'job % did not finish within 60 seconds', job;
        END IF;
        PERFORM pg_sleep(0.1);
    END LOOP;
END;
$$;
