-- Capacity: snapshots, forecasts that recover the slope they were built
-- from, with a 95% prediction interval, and the dashboard.
-- The scheduled snapshot job must not add rows in the middle of this test.
SELECT name, paused FROM leadgen.pause_job('capacity_snapshot');
DO $$
BEGIN
    WHILE EXISTS (SELECT 1 FROM leadgen.job_runs WHERE job_name = 'capacity_snapshot' AND status IN ('starting', 'running')) LOOP
        PERFORM pg_sleep(0.1);
    END LOOP;
END;
$$;
DELETE FROM leadgen.capacity_snapshots;
SELECT leadgen.capacity_snapshot() AS resources_recorded;
SELECT resource FROM leadgen.capacity_snapshots WHERE resource NOT LIKE 'table_size:%' ORDER BY 1;
SELECT count(*) > 5 AS table_sizes FROM leadgen.capacity_snapshots WHERE resource LIKE 'table_size:%';
SELECT name, schedule FROM leadgen.jobs WHERE name = 'capacity_snapshot';

-- Synthetic history: 60 daily snapshots growing 1,000 rows a day, with a
-- deterministic wobble of +-50.
DELETE FROM leadgen.capacity_snapshots;
INSERT INTO leadgen.capacity_snapshots (resource, taken_at, value)
SELECT 'queue_depth', now() - (60 - d) * interval '1 day', 5000 + 1000 * d + 50 * sin(d)
  FROM generate_series(0, 59) d;
SELECT round((leadgen.capacity_slope('queue_depth') * 86400)::numeric, -1) AS per_day;
SELECT month ~ '^\d{4}-\d{2}$' AS month_format, unit, snapshots,
       lower_95 < projected AND projected < upper_95 AS inside_interval,
       abs(projected - (5000 + 1000 * (60 + extract(epoch FROM at - now()) / 86400))) < 1000 AS within_a_day_of_growth
  FROM leadgen.perf_capacity_forecast('queue_depth', 3);
-- The interval widens with the horizon.
SELECT bool_and(w > lag) AS widening FROM (
    SELECT upper_95 - lower_95 AS w, lag(upper_95 - lower_95, 1, 0::float8) OVER (ORDER BY at) AS lag
      FROM leadgen.perf_capacity_forecast('queue_depth', 6)) x;
-- An exact line: a zero-width interval.
INSERT INTO leadgen.capacity_snapshots (resource, taken_at, value)
SELECT 'connections', now() - (10 - d) * interval '1 day', 10 + 2 * d FROM generate_series(0, 9) d;
SELECT month ~ '^\d{4}-\d{2}$' AS month_format, round(upper_95 - lower_95) AS width
  FROM leadgen.perf_capacity_forecast('connections', 1);

-- Refusals.
SELECT * FROM leadgen.perf_capacity_forecast('disk_io');
SELECT * FROM leadgen.perf_capacity_forecast('queue_depth', 0);
SELECT * FROM leadgen.perf_capacity_forecast('''; DROP TABLE leadgen.leads; --');

-- Day one: no snapshot yet. Leads per day come from the leads' own
-- history (one to ten a day over ten days), with an interval; a resource
-- without history in the data is forecast flat at its value now, without
-- an interval. Values are whole units.
DELETE FROM leadgen.capacity_snapshots;
INSERT INTO leadgen.leads (id, status, quality_score, created_at)
SELECT 800000 + d * 100 + k, 'qualified', 50, now() - d * interval '1 day'
  FROM generate_series(1, 10) d, generate_series(1, 11 - d) k;
SELECT basis, snapshots, data_points >= 3 AS history, lower_95 <= projected AND projected <= upper_95 AS inside_interval,
       projected = round(projected) AND lower_95 = round(lower_95) AS whole_units
  FROM leadgen.perf_capacity_forecast('lead_volume', 2);
SELECT basis, snapshots, data_points, projected = leadgen.capacity_value_now('xid_age') AS value_now,
       lower_95 IS NULL AND upper_95 IS NULL AS no_interval
  FROM leadgen.perf_capacity_forecast('xid_age', 1);
DELETE FROM leadgen.leads WHERE id BETWEEN 800000 AND 801100;

-- The queue's depth in the data's history is taken in one pass over the
-- leads; it equals counting, at each day point, the leads made by then and
-- not processed by then, plus the pending rows enqueued by then. Leads made
-- or processed exactly at a point, a microsecond either side, never
-- processed, processed before made, and outside the 31-day window.
SELECT name, paused FROM leadgen.queue_pause('leads');
CREATE TEMP TABLE qd_points AS
SELECT t FROM generate_series(date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' - interval '29 days',
                              date_trunc('day', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC', interval '1 day') t;
INSERT INTO leadgen.leads (id, status, quality_score, created_at, processed_at)
SELECT 810000 + row_number() OVER (), 'qualified', 50, c, p
  FROM qd_points, LATERAL (VALUES (t, t), (t, t + interval '1 day'),
                                  (t - interval '1 microsecond', t + interval '1 microsecond'),
                                  (t + interval '1 microsecond', t + interval '2 days'),
                                  (t - interval '2 days 3 hours', NULL),
                                  (t - interval '5 hours', t - interval '6 hours')) v(c, p);
INSERT INTO leadgen.leads_pending (payload, enqueued_at)
SELECT '{}', e FROM qd_points, LATERAL (VALUES (t), (t + interval '1 microsecond'), (t - interval '3 days')) v(e);
WITH ref AS (
    SELECT d.t, ((SELECT count(*) FROM leadgen.leads l
                   WHERE l.created_at >= (SELECT min(t) FROM qd_points) - interval '2 days'
                     AND l.created_at <= d.t AND l.processed_at > d.t)
                 + (SELECT count(*) FROM leadgen.leads_pending p WHERE p.enqueued_at <= d.t))::double precision AS value
      FROM qd_points d
     WHERE d.t > (SELECT min(created_at) FROM leadgen.leads
                   WHERE created_at >= (SELECT min(t) FROM qd_points) - interval '2 days')),
     got AS (SELECT * FROM leadgen.capacity_history('queue_depth', now()))
SELECT (SELECT count(*) FROM ref) AS points, (SELECT count(*) FROM got) AS got,
       (SELECT count(*) FROM (SELECT * FROM ref EXCEPT SELECT * FROM got) x) AS differing,
       (SELECT count(DISTINCT value) > 3 FROM got) AS varied;
DELETE FROM leadgen.leads_pending WHERE payload = '{}';
DELETE FROM leadgen.leads WHERE id BETWEEN 810000 AND 810999;
SELECT name, paused FROM leadgen.queue_resume('leads');

-- The dashboard: now, forecasts, days until limits, alerts.
SELECT d->'now' ? 'connections_used_pct' AS now, d->'forecast_6_months'->'queue_depth' ? 'projected' AS forecast,
       d->'forecast_6_months'->'xid_age' ? 'projected' AS xid_forecast, d->'days_until' ? 'xid_wraparound' AS days,
       jsonb_typeof(d->'alerts') AS alerts
  FROM leadgen.perf_capacity_dashboard() d;

-- Retention: snapshots older than retention_days go.
INSERT INTO leadgen.capacity_snapshots (resource, taken_at, value) VALUES ('queue_depth', now() - interval '500 days', 1);
SELECT leadgen.capacity_snapshot(400) > 0 AS taken;
SELECT count(*) AS older_than_400_days FROM leadgen.capacity_snapshots WHERE taken_at < now() - interval '400 days';
DELETE FROM leadgen.capacity_snapshots;
SELECT name, paused FROM leadgen.resume_job('capacity_snapshot');
