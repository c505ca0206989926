-- Assignment: the best agent (lowest load ratio, then highest rating, then
-- lowest id) of the lead's state and type, never past max_leads; qualified
-- when no agent has room, and assigned when capacity appears, oldest first
-- then highest score.
\getenv abs_srcdir PG_ABS_SRCDIR
\set helpers :abs_srcdir '/sql/include/leads.sql'
\i :helpers
INSERT INTO leadgen.carriers (name, states, insurance_types)
VALUES ('Assignment Carrier', '{TX,CA}', '{auto,home,renters,life,health,commercial}');

-- Dallas leads (ZIP 75201); agents of TX and one of CA.
CREATE FUNCTION pg_temp.tx(overrides jsonb DEFAULT '{}') RETURNS jsonb LANGUAGE sql AS $$
    SELECT pg_temp.lead('{"state": "TX", "zip_code": "75201", "city": "Dallas"}'::jsonb || overrides)
$$;
INSERT INTO leadgen.agents (name, state, city, specializations, current_lead_count, max_leads, rating) VALUES
    ('Avery',  'TX', 'Dallas',  '{auto}',      0, 10, 4.00),
    ('Blake',  'TX', 'Austin',  '{auto,home}', 0, 10, 4.50),
    ('Casey',  'TX', 'Houston', '{auto}',      5, 10, 5.00),
    ('Drew',   'TX', 'Dallas',  '{home}',      0, 10, 5.00),
    ('Emery',  'CA', 'Fresno',  '{auto}',      0, 10, 5.00);
INSERT INTO leadgen.agents (name, state, specializations, max_leads, rating, is_active)
VALUES ('Finley', 'TX', '{auto}', 10, 5.00, false);

-- Eight auto leads in one batch, in submission order.
CREATE TEMP TABLE batch1 AS
    SELECT g AS n, leadgen.lead_submit(pg_temp.tx()) AS id FROM generate_series(1, 8) g;
SELECT leadgen.process_pending();
SELECT b.n, l.status, a.name AS agent
  FROM batch1 b
  JOIN leadgen.leads l ON l.id = b.id
  LEFT JOIN leadgen.lead_assignments la ON la.lead_id = l.id
  LEFT JOIN leadgen.agents a ON a.id = la.agent_id
 ORDER BY b.n;
SELECT name, current_lead_count, max_leads FROM leadgen.agents ORDER BY name;

-- Ties on ratio and rating go to the lowest id.
INSERT INTO leadgen.agents (name, state, specializations, max_leads, rating) VALUES
    ('Twin A', 'CA', '{life}', 4, 3.00), ('Twin B', 'CA', '{life}', 4, 3.00);
SELECT leadgen.lead_submit(pg_temp.lead('{"insurance_type": "life", "coverage_amount": 250000}')) AS life_id \gset
SELECT leadgen.process_pending();
SELECT a.name FROM leadgen.lead_assignments la JOIN leadgen.agents a ON a.id = la.agent_id WHERE la.lead_id = :life_id;
SELECT a.name, a.current_lead_count FROM leadgen.agents a WHERE a.name LIKE 'Twin%' ORDER BY 1;

-- Ratio, not count: 1 of 2 (0.5) loses to 4 of 10 (0.4).
INSERT INTO leadgen.agents (name, state, specializations, current_lead_count, max_leads, rating) VALUES
    ('Small', 'CA', '{health}', 1, 2, 5.00), ('Large', 'CA', '{health}', 4, 10, 1.00);
SELECT leadgen.lead_submit(pg_temp.lead('{"insurance_type": "health"}')) AS health_id \gset
SELECT leadgen.process_pending();
SELECT a.name FROM leadgen.lead_assignments la JOIN leadgen.agents a ON a.id = la.agent_id WHERE la.lead_id = :health_id;

-- Capacity: an agent never passes max_leads; leads beyond it wait, qualified.
INSERT INTO leadgen.agents (name, state, specializations, max_leads, rating) VALUES ('Solo', 'CA', '{commercial}', 2, 4.00);
CREATE TEMP TABLE batch2 AS
    SELECT g AS n, leadgen.lead_submit(pg_temp.lead('{"insurance_type": "commercial", "business": {"name": "Shop", "employees": 2}}')) AS id
      FROM generate_series(1, 5) g;
SELECT leadgen.process_pending();
SELECT l.status, count(*) FROM batch2 b JOIN leadgen.leads l ON l.id = b.id GROUP BY 1 ORDER BY 1;
SELECT current_lead_count, max_leads FROM leadgen.agents WHERE name = 'Solo';

-- Qualified leads are assigned when capacity appears: oldest first, then
-- highest score. Three renters leads in three transactions (three
-- submission times), with no renters agent in CA.
SELECT leadgen.lead_submit(pg_temp.lead('{"insurance_type": "renters", "first_name": "Oldest", "source": "tv_ad"}')) AS r1 \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"insurance_type": "renters", "first_name": "Middle"}')) AS r2 \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"insurance_type": "renters", "first_name": "Newest", "source": "referral"}')) AS r3 \gset
SELECT leadgen.process_pending();
SELECT first_name, status, quality_score FROM leadgen.leads WHERE id IN (:r1, :r2, :r3) ORDER BY id;
-- An agent with room for two arrives: the two oldest go to it.
INSERT INTO leadgen.agents (name, state, specializations, max_leads, rating) VALUES ('Renters Pro', 'CA', '{renters}', 2, 4.00);
SELECT l.first_name, l.status, a.name AS agent
  FROM leadgen.leads l LEFT JOIN leadgen.lead_assignments la ON la.lead_id = l.id LEFT JOIN leadgen.agents a ON a.id = la.agent_id
 WHERE l.id IN (:r1, :r2, :r3) ORDER BY l.id;
-- Its load is lowered: the last one goes too.
UPDATE leadgen.agents SET current_lead_count = 1 WHERE name = 'Renters Pro';
SELECT l.first_name, l.status FROM leadgen.leads l WHERE l.id IN (:r1, :r2, :r3) ORDER BY l.id;

-- Same submission time: the highest score first.
INSERT INTO leadgen.agents (name, state, specializations, max_leads, rating, is_active) VALUES ('Later', 'CA', '{health}', 1, 4.00, false);
UPDATE leadgen.agents SET is_active = false WHERE name IN ('Small', 'Large');
BEGIN;
SELECT leadgen.lead_submit(pg_temp.lead('{"insurance_type": "health", "first_name": "Low", "source": "tv_ad"}')) AS h1 \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"insurance_type": "health", "first_name": "High", "source": "referral"}')) AS h2 \gset
COMMIT;
SELECT leadgen.process_pending();
-- Activation frees capacity.
UPDATE leadgen.agents SET is_active = true WHERE name = 'Later';
SELECT l.first_name, l.status FROM leadgen.leads l WHERE l.id IN (:h1, :h2) ORDER BY l.id;

-- An agent never holds more than max_leads, and counts match assignments.
SELECT bool_and(a.current_lead_count <= a.max_leads) AS within_capacity,
       bool_and(a.current_lead_count - coalesce(b.base, 0) = (SELECT count(*) FROM leadgen.lead_assignments la WHERE la.agent_id = a.id)) AS counts_match
  FROM leadgen.agents a
  LEFT JOIN (VALUES ('Casey', 5), ('Small', 1), ('Large', 4), ('Renters Pro', -1)) b(name, base) ON b.name = a.name;

-- Every assigned lead has exactly one assignment and an event saying so.
SELECT l.status, count(*) AS leads, sum((SELECT count(*) FROM leadgen.lead_assignments la WHERE la.lead_id = l.id)) AS assignments,
       sum((SELECT count(*) FROM leadgen.events e WHERE e.entity_id = l.id AND e.type = 'lead.assigned')) AS assigned_events
  FROM leadgen.leads l GROUP BY 1 ORDER BY 1;

-- A batch redone lead by lead (one of its leads fails) locks its candidate
-- agents through their primary key, in id order, and still picks the best.
CREATE FUNCTION pg_temp.fail_poison() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF NEW.first_name = 'Poison' THEN
        RAISE EXCEPTION 'simulated failure' USING ERRCODE = 'data_exception';
    END IF;
    RETURN NEW;
END;
$$;
CREATE TRIGGER fail_poison BEFORE INSERT ON leadgen.leads FOR EACH ROW EXECUTE FUNCTION pg_temp.fail_poison();
INSERT INTO leadgen.agents (name, state, specializations, current_lead_count, max_leads, rating) VALUES
    ('Locked Busy', 'TX', '{life}', 5, 10, 5.00), ('Locked Free', 'TX', '{life}', 0, 10, 1.00);
SELECT leadgen.lead_submit(pg_temp.tx('{"insurance_type": "life", "coverage_amount": 250000, "first_name": "Poison"}')) AS poison \gset
SELECT leadgen.lead_submit(pg_temp.tx('{"insurance_type": "life", "coverage_amount": 250000}')) AS locked \gset
SELECT leadgen.process_pending();
SELECT l.status, a.name AS agent FROM leadgen.leads l
  JOIN leadgen.lead_assignments la ON la.lead_id = l.id JOIN leadgen.agents a ON a.id = la.agent_id
 WHERE l.id = :locked;
SELECT count(*) AS dead_lettered FROM leadgen.leads_dead_letter WHERE id = :poison;
SELECT name, current_lead_count FROM leadgen.agents WHERE name LIKE 'Locked %' ORDER BY name;
DROP TRIGGER fail_poison ON leadgen.leads;
DELETE FROM leadgen.leads_dead_letter;

-- The agents are read, locked and counted by index, whatever the
-- statistics say: the scan counters of agents and of its indexes around a
-- drain, compared in one transaction (pending statistics are flushed only
-- between transactions), on agents never analyzed (autovacuum kept away),
-- then on statistics where one state covers nearly every agent.
\set scans :abs_srcdir '/sql/include/scans.sql'
\i :scans
SELECT pg_temp.autovacuum('{leadgen.agents}', false);
-- pg_temp.agent_scans(): a drain of 30 Dallas leads; whether agents were
-- read by the primary key and the state index only.
CREATE FUNCTION pg_temp.agent_scans() RETURNS TABLE (what text, ok boolean)
LANGUAGE sql AS $$
    SELECT what, CASE what WHEN 'scans of its indexes' THEN n > 0 ELSE n = 0 END
      FROM pg_temp.drain_scans('{leadgen.agents}', '{leadgen.agents_pkey,leadgen.agents_state_city_specializations_idx}',
                               (SELECT array_agg(pg_temp.tx()) FROM generate_series(1, 30)))
     WHERE what <> 'entries read from its indexes'
$$;
INSERT INTO leadgen.agents (name, state, specializations, max_leads, rating)
SELECT 'Bulk ' || g, 'TX', '{auto}', 1000, 3.00 FROM generate_series(1, 500) g;
BEGIN;
SELECT * FROM pg_temp.agent_scans();
COMMIT;
ANALYZE leadgen.agents;
SELECT (most_common_vals::text::text[])[1] AS state, most_common_freqs[1] > 0.9 AS covers_nearly_all
  FROM pg_stats WHERE schemaname = 'leadgen' AND tablename = 'agents' AND attname = 'state';
BEGIN;
SELECT * FROM pg_temp.agent_scans();
COMMIT;
SELECT count(*) AS assigned_to_bulk FROM leadgen.lead_assignments la JOIN leadgen.agents a ON a.id = la.agent_id
 WHERE a.name LIKE 'Bulk %';
SELECT pg_temp.autovacuum('{leadgen.agents}', true);

-- Every lead's pipeline event against the lead (pg_temp.event_check).
\set events :abs_srcdir '/sql/include/events.sql'
\i :events
SELECT * FROM pg_temp.event_check();

-- A NULL among a carrier's states made a NULL key of the coverage list
-- and crashed every batch (a worker in a crash loop, the lead never
-- retried). It is refused; one written before 0.2.0 (the check dropped
-- here) is passed over.
\set VERBOSITY terse
INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('Null State', '{NULL,NV}', '{auto}');
\set VERBOSITY default
BEGIN;
ALTER TABLE leadgen.carriers DROP CONSTRAINT carriers_states_check;
INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('Null State', '{NULL,NV}', '{auto}');
SELECT * FROM pg_temp.verdict(pg_temp.lead('{"state": "NV", "zip_code": "89501", "city": "Reno"}'));
ROLLBACK;

TRUNCATE leadgen.lead_assignments, leadgen.leads, leadgen.events, leadgen.lead_external_ids;
DELETE FROM leadgen.agents;
DELETE FROM leadgen.carriers;
-- the 500 agents above leave no dead rows behind for the tests that follow
VACUUM leadgen.agents;
