-- Recurring jobs: cron parsing, next runs across daylight saving changes in
-- two zones, scheduling, pause and resume, and runs by the launcher
-- (VACUUM included), as the job's owner.

-- Parsing: errors name the field and the allowed range.
SELECT leadgen.cron_next('61 * * * *');
SELECT leadgen.cron_next('* * * *');
SELECT leadgen.cron_next('5-3 * * * *');
SELECT leadgen.cron_next('*/0 * * * *');
SELECT leadgen.cron_next('0 0 31 2 *');
SELECT leadgen.cron_next('@reboot');
SELECT leadgen.cron_next('0 0 * * *', 'Mars/Olympus_Mons');
SELECT leadgen.cron_next('0 0 * * *', 'UTC', '2026-11-22 10:00Z') AS daily,
       leadgen.cron_next('@hourly', 'UTC', '2026-11-22 10:00Z') AS hourly,
       leadgen.cron_next('*/15 9-17 * * MON-FRI', 'UTC', '2026-11-21 12:00Z') AS weekday,
       leadgen.cron_next('0 12 1 * SUN', 'UTC', '2026-11-22 13:00Z') AS dom_or_dow,
       leadgen.cron_next('0 0 29 2 *', 'UTC', '2026-03-01Z') AS leap_day;

SET TimeZone = 'UTC';
-- New York springs forward on 2026-03-08 (02:00 -> 03:00): the 02:30 run
-- happens at 03:00 EDT that day, then at 02:30 again.
SELECT r AS at_utc, r AT TIME ZONE 'America/New_York' AS local
  FROM leadgen.cron_next_runs('30 2 * * *', 'America/New_York', 3, '2026-03-07 00:00Z') r;
-- ... and falls back on 2026-11-01 (02:00 -> 01:00): 01:30 runs once, at
-- its first occurrence (EDT).
SELECT r AS at_utc, r AT TIME ZONE 'America/New_York' AS local
  FROM leadgen.cron_next_runs('30 1 * * *', 'America/New_York', 3, '2026-10-31 00:00Z') r;
-- Every 30 minutes through the repeated hour: each wall-clock minute once.
SELECT r AS at_utc, r AT TIME ZONE 'America/New_York' AS local
  FROM leadgen.cron_next_runs('*/30 * * * *', 'America/New_York', 6, '2026-11-01 04:45Z') r;
-- Berlin: forward on 2026-03-29 (02:00 -> 03:00), back on 2026-10-25
-- (03:00 -> 02:00).
SELECT r AS at_utc, r AT TIME ZONE 'Europe/Berlin' AS local
  FROM leadgen.cron_next_runs('30 2 * * *', 'Europe/Berlin', 3, '2026-03-28 00:00Z') r;
SELECT r AS at_utc, r AT TIME ZONE 'Europe/Berlin' AS local
  FROM leadgen.cron_next_runs('30 2 * * *', 'Europe/Berlin', 3, '2026-10-24 00:00Z') r;
SELECT r AS at_utc, r AT TIME ZONE 'Europe/Berlin' AS local
  FROM leadgen.cron_next_runs('0 * * * *', 'Europe/Berlin', 4, '2026-10-24 23:30Z') r;
RESET TimeZone;

-- The built-in job, and scheduling.
SELECT name, schedule, timezone, command, paused, next_run_at IS NOT NULL AS scheduled FROM leadgen.jobs ORDER BY id;
SELECT name, schedule, timezone, paused FROM leadgen.schedule_job('nightly-vacuum', '30 2 * * *', 'America/Chicago', 'VACUUM (ANALYZE) leadgen.leads_pending');
\set VERBOSITY terse
SELECT leadgen.schedule_job('bad', '99 * * * *', 'UTC', 'SELECT 1');
SELECT leadgen.schedule_job('bad', '* * * * *', 'Nowhere/Special', 'SELECT 1');
SELECT leadgen.schedule_job('bad', '* * * * *', 'UTC', '   ');
\set VERBOSITY default
-- Rescheduling by name changes the job in place.
SELECT name, schedule, timezone FROM leadgen.schedule_job('nightly-vacuum', '45 3 * * *', 'Asia/Tokyo', 'VACUUM (ANALYZE) leadgen.leads_pending');
SELECT count(*) AS jobs_named_nightly FROM leadgen.jobs WHERE name = 'nightly-vacuum';
SELECT next_run_at = leadgen.cron_next('45 3 * * *', 'Asia/Tokyo', now()) AS next_from_schedule FROM leadgen.jobs WHERE name = 'nightly-vacuum';
SELECT name, paused FROM leadgen.pause_job('nightly-vacuum');
SELECT name, paused, next_run_at > now() AS scheduled FROM leadgen.resume_job('nightly-vacuum');
SELECT leadgen.pause_job('no-such-job');

-- A job run by hand starts at once, in a worker of its own (in this
-- database, whatever the launcher serves); VACUUM cannot run in a
-- transaction block, and runs there.
\getenv abs_srcdir PG_ABS_SRCDIR
\set job_helpers :abs_srcdir '/sql/include/jobs.sql'
\i :job_helpers
SELECT name FROM leadgen.run_job_now('nightly-vacuum');
SELECT * FROM pg_temp.wait_for_run('nightly-vacuum');
SELECT next_run_at > now() AS rescheduled, last_run_at IS NOT NULL AS ran FROM leadgen.jobs WHERE name = 'nightly-vacuum';
SELECT name FROM leadgen.run_job_now('partition_maintenance');
SELECT * FROM pg_temp.wait_for_run('partition_maintenance');

-- A failing command is recorded as failed with its SQLSTATE.
SELECT name FROM leadgen.schedule_job('broken', '0 0 1 1 *', 'UTC', 'SELECT 1/0');
SELECT name FROM leadgen.run_job_now('broken');
SELECT * FROM pg_temp.wait_for_run('broken');

-- A job runs as the role that scheduled it, and cannot change role.
CREATE ROLE regress_ops IN ROLE leadgen_admin;
GRANT CREATE ON SCHEMA public TO regress_ops;
SET ROLE regress_ops;
SELECT name, owner FROM leadgen.schedule_job('whoami', '0 0 1 1 *', 'UTC', 'CREATE TABLE public.job_probe AS SELECT current_user AS who');
UPDATE leadgen.jobs SET owner = 'postgres' WHERE name = 'whoami';
SELECT owner FROM leadgen.jobs WHERE name = 'whoami';
SELECT name FROM leadgen.schedule_job('escalate', '0 0 1 1 *', 'UTC', 'SET ROLE postgres');
SELECT name FROM leadgen.run_job_now('whoami');
SELECT name FROM leadgen.run_job_now('escalate');
RESET ROLE;
SELECT * FROM pg_temp.wait_for_run('whoami');
SELECT who FROM public.job_probe;
SELECT * FROM pg_temp.wait_for_run('escalate');

-- History: every run, and pruning past leadgen.job_history_days.
SELECT job_name, status, count(*) FROM leadgen.job_runs WHERE job_name NOT IN ('partition_maintenance', 'capacity_snapshot') GROUP BY 1, 2 ORDER BY 1, 2;
UPDATE leadgen.job_runs SET created_at = now() - interval '8 days' WHERE job_name = 'broken';
SELECT leadgen.prune_job_runs() AS pruned;
SELECT count(*) AS broken_runs_left FROM leadgen.job_runs WHERE job_name = 'broken';

-- Clean up.
SELECT leadgen.unschedule_job(name) FROM leadgen.jobs WHERE name NOT IN ('partition_maintenance', 'capacity_snapshot') ORDER BY name;
SELECT count(*) AS runs_left_of_dropped_jobs FROM leadgen.job_runs WHERE job_name NOT IN ('partition_maintenance', 'capacity_snapshot');
DROP TABLE public.job_probe;
REVOKE CREATE ON SCHEMA public FROM regress_ops;
DROP ROLE regress_ops;
