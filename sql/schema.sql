-- Every entity of DOMAIN.md, its columns, keys, foreign keys, checks and
-- the composite indexes the platform's load tests proved necessary.

-- The tables of the schema (partitions excluded).
SELECT c.relname, CASE c.relkind WHEN 'p' THEN 'partitioned' WHEN 'r' THEN 'table' END AS kind
  FROM pg_class c
 WHERE c.relnamespace = 'leadgen'::regnamespace AND c.relkind IN ('r', 'p') AND NOT c.relispartition
 ORDER BY 1;

-- Required columns that are missing: none.
SELECT t.tbl, t.col AS missing_column
  FROM (VALUES
    ('brokers', 'id'), ('brokers', 'name'), ('brokers', 'api_tier'),
    ('leads_pending', 'id'), ('leads_pending', 'payload'), ('leads_pending', 'priority'),
    ('leads_pending', 'attempts'), ('leads_pending', 'max_attempts'), ('leads_pending', 'next_attempt_at'),
    ('leads_pending', 'last_error'), ('leads_pending', 'enqueued_at'),
    ('leads', 'id'), ('leads', 'external_id'), ('leads', 'broker_id'), ('leads', 'source'), ('leads', 'status'),
    ('leads', 'insurance_type'), ('leads', 'first_name'), ('leads', 'last_name'), ('leads', 'email'),
    ('leads', 'phone'), ('leads', 'date_of_birth'), ('leads', 'zip_code'), ('leads', 'city'), ('leads', 'state'),
    ('leads', 'quality_score'), ('leads', 'details'), ('leads', 'rejection_reasons'), ('leads', 'created_at'),
    ('leads', 'processed_at'),
    ('agents', 'id'), ('agents', 'name'), ('agents', 'state'), ('agents', 'city'), ('agents', 'specializations'),
    ('agents', 'is_active'), ('agents', 'current_lead_count'), ('agents', 'max_leads'), ('agents', 'rating'),
    ('carriers', 'id'), ('carriers', 'name'), ('carriers', 'is_active'), ('carriers', 'partnership_status'),
    ('carriers', 'partnership_tier'), ('carriers', 'performance_score'), ('carriers', 'states'),
    ('carriers', 'insurance_types'),
    ('lead_assignments', 'id'), ('lead_assignments', 'lead_id'), ('lead_assignments', 'agent_id'),
    ('lead_assignments', 'status'), ('lead_assignments', 'assigned_at'),
    ('events', 'id'), ('events', 'entity_type'), ('events', 'entity_id'), ('events', 'type'), ('events', 'source'),
    ('events', 'payload'), ('events', 'timestamp'),
    ('leads_dead_letter', 'id'), ('leads_dead_letter', 'payload'), ('leads_dead_letter', 'priority'),
    ('leads_dead_letter', 'attempts'), ('leads_dead_letter', 'max_attempts'), ('leads_dead_letter', 'errors'),
    ('leads_dead_letter', 'enqueued_at'), ('leads_dead_letter', 'failed_at')
  ) AS t(tbl, col)
 WHERE NOT EXISTS (SELECT 1 FROM information_schema.columns c
                    WHERE c.table_schema = 'leadgen' AND c.table_name = t.tbl AND c.column_name = t.col);

-- The columns of the lead as stored, with their types.
SELECT column_name, data_type, is_nullable
  FROM information_schema.columns
 WHERE table_schema = 'leadgen' AND table_name = 'leads'
 ORDER BY ordinal_position;

-- Primary keys.
SELECT conrelid::regclass AS tbl, pg_get_constraintdef(oid) AS primary_key
  FROM pg_constraint
 WHERE contype = 'p' AND connamespace = 'leadgen'::regnamespace AND conparentid = 0
   AND NOT (SELECT relispartition FROM pg_class WHERE oid = conrelid)
 ORDER BY conrelid::regclass::text COLLATE "C";

-- Foreign keys (top-level; partitions carry clones).
SELECT conrelid::regclass AS tbl, pg_get_constraintdef(oid) AS foreign_key
  FROM pg_constraint
 WHERE contype = 'f' AND connamespace = 'leadgen'::regnamespace AND conparentid = 0
   AND NOT (SELECT relispartition FROM pg_class WHERE oid = conrelid)
 ORDER BY conrelid::regclass::text COLLATE "C", pg_get_constraintdef(oid) COLLATE "C";

-- The DOMAIN.md composite indexes that are missing: none.
WITH idx AS (
    SELECT i.indrelid::regclass::text AS tbl,
           string_agg(a.attname, ',' ORDER BY k.ord) AS cols
      FROM pg_index i
      JOIN pg_class ic ON ic.oid = i.indexrelid
      CROSS JOIN LATERAL unnest(i.indkey) WITH ORDINALITY AS k(attnum, ord)
      JOIN pg_attribute a ON a.attrelid = i.indrelid AND a.attnum = k.attnum
     WHERE ic.relnamespace = 'leadgen'::regnamespace
     GROUP BY i.indexrelid, i.indrelid
)
SELECT r.tbl, r.cols AS missing_index
  FROM (VALUES
    ('leadgen.leads', 'status,created_at'), ('leadgen.leads', 'insurance_type,quality_score'),
    ('leadgen.leads', 'zip_code,insurance_type'), ('leadgen.leads', 'source,status'),
    ('leadgen.leads', 'broker_id,status,created_at'), ('leadgen.leads', 'insurance_type,status,zip_code'),
    ('leadgen.agents', 'is_active,current_lead_count'), ('leadgen.agents', 'state,city,specializations'),
    ('leadgen.agents', 'rating,is_active'),
    ('leadgen.lead_assignments', 'status,assigned_at'), ('leadgen.lead_assignments', 'agent_id,status'),
    ('leadgen.lead_assignments', 'lead_id,status'),
    ('leadgen.events', 'entity_type,entity_id,timestamp'), ('leadgen.events', 'type,timestamp'),
    ('leadgen.events', 'source,timestamp'),
    ('leadgen.carriers', 'is_active,partnership_status'), ('leadgen.carriers', 'partnership_tier,performance_score')
  ) AS r(tbl, cols)
 WHERE NOT EXISTS (SELECT 1 FROM idx WHERE idx.tbl = r.tbl AND idx.cols = r.cols);

-- Every index of the schema on the tables themselves (not partitions).
SELECT c.relname AS index_name, i.indrelid::regclass AS tbl
  FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
  JOIN pg_class t ON t.oid = i.indrelid
 WHERE c.relnamespace = 'leadgen'::regnamespace AND NOT t.relispartition
 ORDER BY i.indrelid::regclass::text COLLATE "C", c.relname COLLATE "C";

-- Checks hold: each statement below is refused, by the constraint named.
CREATE FUNCTION pg_temp.refused_by(stmt text) RETURNS text LANGUAGE plpgsql AS $$
DECLARE
    v_constraint text;
BEGIN
    SET CONSTRAINTS ALL IMMEDIATE;	-- the deferred ones too
    EXECUTE stmt;
    RETURN 'accepted';
EXCEPTION WHEN integrity_constraint_violation OR check_violation OR foreign_key_violation THEN
    GET STACKED DIAGNOSTICS v_constraint = CONSTRAINT_NAME;
    RETURN SQLSTATE || ' ' || v_constraint;
END;
$$;
INSERT INTO leadgen.agents (name, state, specializations, max_leads) VALUES ('Check Agent', 'CA', '{auto}', 1);
SELECT stmt, pg_temp.refused_by(stmt) AS refused_by
  FROM (VALUES
    ($$UPDATE leadgen.agents SET current_lead_count = 2 WHERE name = 'Check Agent'$$),
    ($$UPDATE leadgen.agents SET current_lead_count = -1 WHERE name = 'Check Agent'$$),
    ($$INSERT INTO leadgen.agents (name, state) VALUES ('Bad State', 'ZZ')$$),
    ($$INSERT INTO leadgen.agents (name, state, specializations) VALUES ('Bad Type', 'CA', '{boats}')$$),
    ($$INSERT INTO leadgen.leads (status, created_at) VALUES ('pending', now())$$),
    ($$INSERT INTO leadgen.leads (status, created_at, rejection_reasons) VALUES ('rejected', now(), '{}')$$),
    ($$INSERT INTO leadgen.leads (status, created_at, quality_score, rejection_reasons) VALUES ('rejected', now(), 10, '{INVALID_ZIP}')$$),
    ($$INSERT INTO leadgen.leads (status, created_at, quality_score) VALUES ('assigned', now(), 101)$$),
    ($$INSERT INTO leadgen.leads (status, created_at, broker_id) VALUES ('qualified', now(), 424242)$$),
    ($$INSERT INTO leadgen.leads_pending (payload) VALUES ('[1,2]')$$),
    ($$INSERT INTO leadgen.leads_pending (payload, max_attempts) VALUES ('{}', 0)$$),
    ($$INSERT INTO leadgen.lead_assignments (lead_id, lead_created_at, agent_id)
         SELECT 123456789, now(), id FROM leadgen.agents WHERE name = 'Check Agent'$$),
    ($$INSERT INTO leadgen.carriers (name, partnership_tier) VALUES ('Bad Tier', 'diamond')$$),
    ($$INSERT INTO leadgen.brokers (name, api_tier) VALUES ('Bad Broker', 'root')$$)
  ) AS t(stmt);
-- The assignment's key to leads can be deferred to commit (a restore
-- loads assignments before leads, README Backups): refused there all the same.
BEGIN;
SET CONSTRAINTS ALL DEFERRED;
INSERT INTO leadgen.lead_assignments (lead_id, lead_created_at, agent_id)
SELECT 123456789, '2026-01-01 00:00+00', id FROM leadgen.agents WHERE name = 'Check Agent';
\set VERBOSITY terse
COMMIT;
\set VERBOSITY default
DELETE FROM leadgen.agents WHERE name = 'Check Agent';

-- Scoring weights: the DOMAIN.md defaults; a changed weight is kept by
-- pg_dump and merged, not duplicated, when restored.
SELECT component, points FROM leadgen.scoring_weights ORDER BY component;
UPDATE leadgen.scoring_weights SET points = 12 WHERE component = 'source:web_form';
INSERT INTO leadgen.scoring_weights (component, points) VALUES ('source:web_form', 11);
SELECT component, points, modified FROM leadgen.scoring_weights WHERE modified ORDER BY 1;
SELECT count(*) AS web_form_rows FROM leadgen.scoring_weights WHERE component = 'source:web_form';
UPDATE leadgen.scoring_weights SET points = 10 WHERE component = 'source:web_form';
-- What pg_dump writes the rows of, besides the monthly partitions (not
-- members of the extension): the configuration tables and sequences.
SELECT c.oid::regclass AS dumped, nullif(x.cond, '') AS rows_where
  FROM pg_extension e, unnest(e.extconfig, e.extcondition) x(rel, cond)
  JOIN pg_class c ON c.oid = x.rel
 WHERE e.extname = 'pg_leadgen'
 ORDER BY c.oid::regclass::text;
-- leads, events and lead_assignments, with every partition, are not
-- members: pg_dump writes them whole, definitions, rows, keys and indexes,
-- as a user's tables (98_dump.sql).
SELECT c.relname, c.relkind, d.objid IS NOT NULL AS member,
       (SELECT count(*) FROM pg_init_privs ip WHERE ip.objoid = c.oid AND ip.classoid = 'pg_class'::regclass) AS initial_privileges
  FROM pg_class c
  LEFT JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = c.oid AND d.deptype = 'e'
 WHERE c.relnamespace = 'leadgen'::regnamespace
   AND (c.relname IN ('leads', 'events', 'lead_assignments', 'lead_assignments_id_seq', 'leads_pending')
        OR c.oid IN (SELECT inhrelid FROM pg_inherits WHERE inhparent = 'leadgen.leads'::regclass) AND c.relname LIKE '%default')
 ORDER BY 1;
