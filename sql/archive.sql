-- Archival: policies checked when written, a dry run moves nothing, a run
-- moves exactly the qualifying rows (whole partitions through pg_partman's
-- retention, the rest in verified batches), copy and delete strategies.
SELECT name, paused FROM leadgen.pause_job('partition_maintenance');
-- The rows are placed around the policy's cutoff (now() - 60 days) and the
-- UTC month it falls in, never at a calendar date, so that every count below
-- is the same on any day and in any time zone: 40 rows in the month before
-- the cutoff's month (a whole partition, archived through pg_partman), 100
-- in the cutoff's month before the cutoff (moved in batches), 60 after it.
SELECT now() - interval '60 days' AS cutoff,
       date_trunc('month', (now() - interval '60 days') AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS cutoff_month \gset
INSERT INTO leadgen.events (entity_type, entity_id, type, source, "timestamp")
SELECT 'lead', g, CASE WHEN g % 3 = 0 THEN 'lead.rejected' ELSE 'lead.assigned' END, 'archive-test',
       CASE WHEN g <= 40 THEN :'cutoff_month'::timestamptz - interval '1 month' + g * interval '10 hours'
            WHEN g <= 140 THEN :'cutoff_month'::timestamptz + (:'cutoff'::timestamptz - :'cutoff_month'::timestamptz) * ((g - 40) / 101.0)
            ELSE :'cutoff'::timestamptz + (now() - :'cutoff'::timestamptz) * ((g - 140) / 61.0) END
  FROM generate_series(1, 200) g;
-- Rows of a month without a partition yet went to the default partition;
-- maintenance gives them their month.
SELECT count(*) > 0 AS maintained FROM leadgen.run_maintenance();
SELECT count(*) FILTER (WHERE "timestamp" < now() - interval '60 days') AS old,
       count(*) FILTER (WHERE "timestamp" >= now() - interval '60 days') AS recent
  FROM leadgen.events WHERE source = 'archive-test' \gset
SELECT :old AS old, :recent AS recent, count(*) AS in_default FROM leadgen.events_default WHERE source = 'archive-test';

-- Bad policies are refused.
\set VERBOSITY terse
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, target)
VALUES ('bad', 'leadgen.nothing', 'timestamp', '60 days', 'move', 'archive.events');
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, target)
VALUES ('bad', 'leadgen.events', 'no_column', '60 days', 'move', 'archive.events');
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy)
VALUES ('bad', 'leadgen.events', 'true); DROP TABLE leadgen.leads; --', '60 days', 'delete');
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, target)
VALUES ('bad', 'leadgen.events', 'timestamp', '60 days', 'move', 'archive.events; DROP TABLE x');
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy)
VALUES ('bad', 'leadgen.events', 'timestamp', '60 days', 'move');
\set VERBOSITY default
SELECT count(*) AS leads_table_still_there FROM pg_class WHERE oid = 'leadgen.leads'::regclass;

INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy, target, batch_size, schedule)
VALUES ('old-events', 'leadgen.events', 'timestamp', '60 days', 'move', 'archive_test.events', 25, '15 3 * * *');
SELECT name, schedule, command FROM leadgen.jobs WHERE name = 'archive:old-events';

-- Dry run: counts, moves nothing.
SELECT policy_name, strategy, partitions_archived > 0 AS partitions, rows_qualifying > 0 AS rows, rows_archived, was_dry_run
  FROM leadgen.perf_archive('old-events', dry_run => true);
SELECT partitions AS dry_partitions, rows_qualifying AS dry_rows FROM leadgen.archive_runs
 WHERE policy = 'old-events' AND dry_run \gset
SELECT count(*) = :old + :recent AS nothing_moved FROM leadgen.events WHERE source = 'archive-test';
SELECT count(*) AS archive_schema FROM pg_namespace WHERE nspname = 'archive_test';

-- Run: exactly the old rows leave, all of them arrive in the target named,
-- and the rows of whole partitions count, as the dry run counted them.
-- (Its NOTICEs name the partitions, which depend on the date.)
SET client_min_messages = warning;
SELECT policy_name, verified, batches > 0 AS batched, was_dry_run,
       partitions_archived = :dry_partitions AS partitions_as_dry_run,
       rows_qualifying = :dry_rows AS rows_as_dry_run, rows_archived = rows_qualifying AS all_archived
  FROM leadgen.perf_archive('old-events');
RESET client_min_messages;
SELECT count(*) = :recent AS only_recent_left FROM leadgen.events WHERE source = 'archive-test';
SELECT count(*) AS old_left FROM leadgen.events WHERE source = 'archive-test' AND "timestamp" < now() - interval '60 days';
SELECT count(*) = :old AS all_old_in_target FROM archive_test.events WHERE source = 'archive-test';
SELECT c.oid::regclass AS tables_in_archive_schema FROM pg_class c
 WHERE c.relnamespace = 'archive_test'::regnamespace AND c.relkind IN ('r', 'p') ORDER BY 1;
SELECT count(*) AS partitions_left_behind FROM pg_class c
 WHERE c.relnamespace = 'leadgen'::regnamespace AND c.relkind = 'r' AND c.relname LIKE 'events\_p%' AND NOT c.relispartition;
SELECT policy, dry_run, rows_done = rows_qualifying AS complete FROM leadgen.archive_runs ORDER BY id;
SHOW search_path;
-- A second run finds nothing.
SELECT rows_qualifying, rows_archived FROM leadgen.perf_archive('old-events');

-- Delete by date: whole partitions are dropped, their rows counted as the
-- dry run counts them.
INSERT INTO leadgen.events (entity_type, entity_id, type, source, "timestamp")
SELECT 'lead', g, 'lead.assigned', 'archive-drop', :'cutoff_month'::timestamptz - interval '2 months' + g * interval '1 hour'
  FROM generate_series(1, 10) g;
SELECT count(*) > 0 AS maintained FROM leadgen.run_maintenance();
INSERT INTO leadgen.archive_policies (name, table_name, age_column, older_than, strategy)
VALUES ('drop-old', 'leadgen.events', 'timestamp', '60 days', 'delete');
SELECT rows_qualifying AS dry_rows FROM leadgen.perf_archive('drop-old', dry_run => true) \gset
SET client_min_messages = warning;
SELECT policy_name, partitions_archived > 0 AS partitions, rows_qualifying = :dry_rows AS rows_as_dry_run,
       rows_archived = rows_qualifying AS all_deleted, rows_qualifying >= 10 AS counted
  FROM leadgen.perf_archive('drop-old');
RESET client_min_messages;
SELECT count(*) AS dropped_left FROM leadgen.events WHERE source = 'archive-drop';

-- A table made in a schema that exists says nothing of the schema: the
-- caller sees the batches only.
INSERT INTO leadgen.events (entity_type, entity_id, type, source, "timestamp")
SELECT 'lead', g, 'lead.assigned', 'archive-move', now() - interval '1 hour' FROM generate_series(1, 4) g;
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy, target, batch_size)
VALUES ('move-tagged', 'leadgen.events', $$source = 'archive-move'$$, '1 day', 'move', 'archive_test.moved', 2);
SELECT policy_name, rows_qualifying, rows_archived, batches FROM leadgen.perf_archive('move-tagged');
SELECT count(*) AS moved FROM archive_test.moved WHERE source = 'archive-move';

-- Delete and copy, with a predicate (which may name the table); copy goes
-- in batches too.
CREATE TABLE public.archive_copy (LIKE leadgen.events);
INSERT INTO leadgen.archive_policies (name, table_name, predicate, older_than, strategy, target, batch_size)
VALUES ('copy-rejected', 'leadgen.events', $$type = 'lead.rejected' AND source = 'archive-test'$$, '1 day', 'copy', 'public.archive_copy', 8),
       ('drop-rejected', 'leadgen.events', $$events.type = 'lead.rejected' AND events.source = 'archive-test'$$, '1 day', 'delete', NULL, 10000);
SELECT policy_name, strategy, rows_qualifying, rows_archived, batches FROM leadgen.perf_archive('copy-rejected');
SELECT rows_archived AS copied_again, batches FROM leadgen.perf_archive('copy-rejected');
SELECT policy_name, strategy, rows_qualifying = rows_archived AS all_done FROM leadgen.perf_archive('drop-rejected');
SELECT count(*) AS rejected_left FROM leadgen.events WHERE source = 'archive-test' AND type = 'lead.rejected';
SELECT count(*) > 0 AS copied FROM public.archive_copy;
SELECT * FROM leadgen.perf_archive('no-such-policy');

-- Clean up.
DELETE FROM leadgen.archive_policies;
DELETE FROM leadgen.archive_runs;
DELETE FROM leadgen.jobs WHERE name LIKE 'archive:%';
DELETE FROM leadgen.events WHERE source = 'archive-test';
DROP TABLE public.archive_copy;
SET client_min_messages = warning;
DROP SCHEMA archive_test CASCADE;
RESET client_min_messages;
SELECT name, paused FROM leadgen.resume_job('partition_maintenance');
