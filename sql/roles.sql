-- Roles cannot exceed their privileges; PUBLIC gets nothing; every
-- SECURITY DEFINER function pins its search_path.

SELECT rolname, rolcanlogin FROM pg_roles WHERE rolname IN ('leadgen_reader', 'leadgen_writer', 'leadgen_admin') ORDER BY 1;

-- PUBLIC holds no privilege on the schema or anything in it.
SELECT count(*) AS public_grants
  FROM (SELECT (aclexplode(nspacl)).grantee FROM pg_namespace WHERE nspname = 'leadgen'
        UNION ALL
        SELECT (aclexplode(relacl)).grantee FROM pg_class WHERE relnamespace = 'leadgen'::regnamespace
        UNION ALL
        SELECT (aclexplode(coalesce(proacl, acldefault('f', proowner)))).grantee
          FROM pg_proc WHERE pronamespace = 'leadgen'::regnamespace) g
 WHERE grantee = 0;

-- SECURITY DEFINER functions without a pinned search_path: none.
SELECT p.oid::regprocedure AS unpinned_security_definer
  FROM pg_proc p
 WHERE p.pronamespace = 'leadgen'::regnamespace AND p.prosecdef
   AND NOT EXISTS (SELECT 1 FROM unnest(p.proconfig) c WHERE c LIKE 'search_path=%');

CREATE ROLE regress_vendor LOGIN IN ROLE leadgen_writer;
CREATE ROLE regress_analyst LOGIN IN ROLE leadgen_reader;
CREATE ROLE regress_nobody LOGIN;
CREATE ROLE regress_dba LOGIN IN ROLE leadgen_admin;
INSERT INTO leadgen.agents (name, state, specializations) VALUES ('Roles Agent', 'NY', '{home}');

-- The writer submits leads and does nothing else.
SET ROLE regress_vendor;
SELECT leadgen.lead_submit('{"source": "web_form"}', 1) > 0 AS submitted;
SELECT (leadgen.lead_submit_batch('[{"source": "web_form"}]')->>'accepted')::int AS batch_accepted;
SELECT leadgen.lead_check('{"zip_code": 1}') AS problems;
SELECT count(*) FROM leadgen.leads_pending;
INSERT INTO leadgen.leads_pending (payload) VALUES ('{}');
SELECT leadgen.process_pending();
SELECT * FROM leadgen.queue_pause('leads');
SELECT count(*) FROM leadgen.leads;
UPDATE leadgen.agents SET max_leads = 1000;
DELETE FROM leadgen.leads_pending;
INSERT INTO leadgen.leads_pending (payload, attempts) VALUES ('{}', 99);
INSERT INTO leadgen.leads (status) VALUES ('assigned');
SELECT leadgen.run_maintenance();
RESET ROLE;

-- The reader reads and cannot write or drain the queue.
SET ROLE regress_analyst;
SELECT count(*) AS agents_seen FROM leadgen.agents WHERE name = 'Roles Agent';
SELECT count(*) FROM leadgen.leads;
SELECT count(*) FROM leadgen.leads_pending;
INSERT INTO leadgen.leads_pending (payload) VALUES ('{}');
SELECT leadgen.lead_submit('{}');
UPDATE leadgen.agents SET rating = 5;
SELECT leadgen.run_maintenance();
SELECT queue_name, paused FROM leadgen.queue_metrics('leads');
RESET ROLE;

-- Someone with no pg_leadgen role cannot even see the schema.
SET ROLE regress_nobody;
SELECT count(*) FROM leadgen.agents;
SELECT leadgen.version();
RESET ROLE;

-- The admin manages everything.
SET ROLE regress_dba;
UPDATE leadgen.agents SET rating = 4.5 WHERE name = 'Roles Agent';
SELECT count(*) AS pending_seen FROM leadgen.leads_pending;
DELETE FROM leadgen.leads_pending;
SELECT count(*) AS maintained_tables FROM leadgen.run_maintenance();
RESET ROLE;

DELETE FROM leadgen.agents WHERE name = 'Roles Agent';
DROP ROLE regress_vendor, regress_analyst, regress_nobody, regress_dba;
