-- leads and events are partitioned by month through pg_partman: registered,
-- premade ahead, with a default partition; rows land in the right month;
-- a row dated far ahead lands in the default partition and maintenance
-- moves it out, even when an assignment references it.

SELECT leadgen.partman_schema() AS partman \gset
-- The scheduled maintenance job must not run in the middle of this test.
SELECT name, paused FROM leadgen.pause_job('partition_maintenance');

SELECT p.parent_table, p.control, p.partition_interval, p.premake, p.infinite_time_partitions,
       p.automatic_maintenance
  FROM leadgen.partitioned_tables t
  JOIN LATERAL (SELECT * FROM :"partman".part_config c WHERE c.parent_table = t.parent_table) p ON true
 ORDER BY 1;

-- Monthly ranges in UTC, a default partition, and at least premake months
-- after the current one.
SELECT t.parent_table,
       bool_and(p.is_default OR (p.range_to AT TIME ZONE 'UTC') = (p.range_from AT TIME ZONE 'UTC') + interval '1 month') AS all_monthly,
       bool_and(p.is_default OR (p.range_from AT TIME ZONE 'UTC') = date_trunc('month', p.range_from AT TIME ZONE 'UTC')) AS utc_month_starts,
       count(*) FILTER (WHERE p.is_default) AS default_partitions,
       count(*) FILTER (WHERE p.range_from > now()) >= t.premake AS premade_ahead
  FROM leadgen.partitioned_tables t, leadgen.partitions(t.parent_table::regclass) p
 GROUP BY t.parent_table, t.premake
 ORDER BY 1;

-- A lead of now lands in the partition of the current month.
INSERT INTO leadgen.agents (name, state, specializations) VALUES ('Partition Agent', 'TX', '{auto}');
INSERT INTO leadgen.leads (id, status, quality_score, created_at) VALUES (1001, 'qualified', 50, now());
SELECT p.is_default, l.created_at >= p.range_from AND l.created_at < p.range_to AS in_range,
       p.range_from = date_trunc('month', now() AT TIME ZONE 'UTC') AT TIME ZONE 'UTC' AS current_month
  FROM leadgen.leads l
  JOIN leadgen.partitions('leadgen.leads') p ON p.partition = l.tableoid
 WHERE l.id = 1001;

-- Rows dated far ahead land in the default partitions.
INSERT INTO leadgen.leads (id, status, quality_score, created_at)
    VALUES (1002, 'qualified', 50, date_trunc('month', now()) + interval '5 years 10 days'),
           (1003, 'duplicate', 0, date_trunc('month', now()) + interval '6 years 3 days');
INSERT INTO leadgen.lead_assignments (lead_id, lead_created_at, agent_id)
    SELECT 1002, created_at, (SELECT id FROM leadgen.agents WHERE name = 'Partition Agent')
      FROM leadgen.leads WHERE id = 1002;
INSERT INTO leadgen.events (entity_type, entity_id, type, source, "timestamp")
    VALUES ('lead', 1002, 'lead.assigned', 'test', date_trunc('month', now()) + interval '5 years 10 days');
SELECT l.id, p.is_default
  FROM leadgen.leads l JOIN leadgen.partitions('leadgen.leads') p ON p.partition = l.tableoid
 WHERE l.id IN (1002, 1003) ORDER BY 1;

-- Maintenance moves them into monthly children of their own.
SELECT * FROM leadgen.run_maintenance();
SELECT l.id, p.is_default, l.created_at >= p.range_from AND l.created_at < p.range_to AS in_range
  FROM leadgen.leads l JOIN leadgen.partitions('leadgen.leads') p ON p.partition = l.tableoid
 WHERE l.id IN (1002, 1003) ORDER BY 1;
SELECT e.entity_id, p.is_default
  FROM leadgen.events e JOIN leadgen.partitions('leadgen.events') p ON p.partition = e.tableoid
 WHERE e.entity_id = 1002;
SELECT count(*) AS rows_left_in_defaults
  FROM (SELECT 1 FROM leadgen.leads_default UNION ALL SELECT 1 FROM leadgen.events_default) d;

-- The assignment still references its lead, and the foreign key is back
-- and validated.
SELECT a.lead_id, l.id IS NOT NULL AS lead_found
  FROM leadgen.lead_assignments a LEFT JOIN leadgen.leads l ON l.id = a.lead_id AND l.created_at = a.lead_created_at
 WHERE a.lead_id = 1002;
SELECT pg_get_constraintdef(oid) AS fk, convalidated
  FROM pg_constraint
 WHERE conrelid = 'leadgen.lead_assignments'::regclass AND contype = 'f' AND conparentid = 0
 ORDER BY 1;
\set VERBOSITY terse
INSERT INTO leadgen.lead_assignments (lead_id, lead_created_at, agent_id)
    SELECT 999999, now(), id FROM leadgen.agents WHERE name = 'Partition Agent';
\set VERBOSITY default

-- A second run has nothing to move, and the caller's search_path is kept.
SET search_path = public, leadgen;
SELECT * FROM leadgen.run_maintenance();
SHOW search_path;
RESET search_path;

-- Clean up.
DELETE FROM leadgen.lead_assignments WHERE lead_id = 1002;
DELETE FROM leadgen.events WHERE entity_id = 1002;
DELETE FROM leadgen.leads WHERE id IN (1001, 1002, 1003);
DELETE FROM leadgen.agents WHERE name = 'Partition Agent';
SELECT name, paused FROM leadgen.resume_job('partition_maintenance');
