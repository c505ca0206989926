-- The drain's clock (bench/pipeline): bench.timings and bench.drain(), in
-- the benchmark's database (setup.sql includes this file) and in the
-- fresh-install database of shape 3 (run.sh loads it there alone).
-- Expects the schema bench.

-- Start and end of each session of a measurement (server clock).
CREATE TABLE bench.timings (label text NOT NULL, session int NOT NULL, t_start timestamptz, t_end timestamptz,
                            rows bigint);

-- Resume the paused queue and wait until the workers have emptied it: the
-- time from the resume's commit until leads_pending is empty (each batch
-- deletes its pending rows in the transaction that writes their leads).
CREATE PROCEDURE bench.drain(label text, timeout interval DEFAULT '15 minutes')
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz;
BEGIN
    PERFORM leadgen.queue_resume('leads');
    COMMIT;
    t0 := clock_timestamp();
    LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM leadgen.leads_pending ORDER BY priority DESC, id LIMIT 1);
        IF clock_timestamp() - t0 > timeout THEN
            RAISE EXCEPTION 'the queue was not drained in %', timeout;
        END IF;
        PERFORM pg_sleep(0.005);
        COMMIT;
    END LOOP;
    INSERT INTO bench.timings VALUES (label, 0, t0, clock_timestamp(), NULL);
END;
$$;
