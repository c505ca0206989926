-- Shapes of data for the drain (bench/pipeline, step 5): the same pipeline
-- on data a real install meets, besides setup.sql's realistic variety
-- (shape 1). Run once after setup.sql, with psql variables n (leads per
-- shape) and backlog (leads of shape 7). Every payload is a function of its
-- number and of the run's start (bench.params.base), nothing else.
--
--   2 uniform: one insurance type, one state, 200 agents in it with room;
--   3 fresh install: shape 2's leads in a database just created, never
--     analyzed, autovacuum off (run.sh does that part);
--   4 skewed: 80% of the leads in one state whose 5 agents are nearly full,
--     the rest in a state with room;
--   5 long histories: 1,000 contacts with 50 earlier leads each in the
--     30-day window; half of the measured leads are those contacts again;
--   6 duplicate-heavy: 30% of the leads resubmit an earlier lead's person;
--   7 backlog: shape 1's variety, :backlog leads pending before the workers
--     start.

SET client_min_messages = warning;

-- payloads of shapes 2-7 (shape 3 reuses shape 2's, shape 5 adds history)
CREATE TABLE bench.shape_payloads (shape int NOT NULL, id int NOT NULL, payload jsonb NOT NULL,
                                   PRIMARY KEY (shape, id));

-- An auto lead of one person (number i) in state st (CA or TX), valid.
CREATE FUNCTION bench.simple_payload(i bigint, st text, base timestamptz) RETURNS jsonb
LANGUAGE sql IMMUTABLE AS $$
    SELECT jsonb_build_object(
        'tracking_id', 'shape-' || i,
        'source', (ARRAY['web_form', 'partner_api', 'referral', 'affiliate'])[1 + bench.rnd(i, 23, 4)],
        'insurance_type', 'auto',
        'first_name', (ARRAY['Ana', 'James', 'Maria', 'Robert', 'Priya', 'Michael'])[1 + bench.rnd(i, 6, 6)],
        'last_name', (ARRAY['Lopez', 'Smith', 'Chen', 'Patel', 'Garcia', 'Nguyen'])[1 + bench.rnd(i, 7, 6)],
        'email', 'person' || i || '@example.com',
        'phone', CASE st WHEN 'CA' THEN '415' ELSE '512' END
                 || (200 + (i / 10000) % 800)::text || lpad((i % 10000)::text, 4, '0'),
        'date_of_birth', to_char(((base AT TIME ZONE 'UTC')::date - 365 * (20 + bench.rnd(i, 17, 50))), 'YYYY-MM-DD'),
        'zip_code', CASE st WHEN 'CA' THEN (930 + bench.rnd(i, 13, 32))::text ELSE (750 + bench.rnd(i, 13, 50))::text END
                    || lpad(bench.rnd(i, 14, 100)::text, 2, '0'),
        'state', st,
        'city', CASE st WHEN 'CA' THEN 'Los Angeles' ELSE 'Austin' END,
        'tcpa_consent', true,
        'consent_at', bench.ts(base - interval '1 minute' * (1 + bench.rnd(i, 19, 1200)), 0),
        'vehicles', jsonb_build_array(jsonb_build_object('year', 2010 + bench.rnd(i, 32, 15),
                                                         'make', 'Toyota', 'model', 'Camry')))
$$;

-- 2: uniform (and 3, its fresh install)
INSERT INTO bench.shape_payloads
SELECT 2, g, bench.simple_payload(20000000 + g, 'CA', (SELECT base FROM bench.params)) FROM generate_series(1, :n) g;

-- 4: skewed, 80% CA
INSERT INTO bench.shape_payloads
SELECT 4, g, bench.simple_payload(40000000 + g, CASE WHEN bench.rnd(g, 60, 100) < 80 THEN 'CA' ELSE 'TX' END,
                                  (SELECT base FROM bench.params))
  FROM generate_series(1, :n) g;

-- 5: long histories. Contact c (0..999) is of type c % 6; every other
-- measured lead takes a contact of its own type, so that each of them has
-- 50 earlier leads of its contact and type in the window.
INSERT INTO bench.shape_payloads
SELECT 5, p.id,
       CASE WHEN p.id % 2 = 0 THEN p.payload || jsonb_build_object(
                'email', 'history' || c.c || '@example.com',
                'phone', '212555' || lpad(c.c::text, 4, '0'))
            ELSE p.payload END
  FROM bench.payloads p
 CROSS JOIN LATERAL (SELECT ((p.id / 2) % 166) * 6
                            + array_position(ARRAY['auto', 'home', 'renters', 'life', 'health', 'commercial'],
                                             p.payload->>'insurance_type') - 1 AS c) c;
CREATE TABLE bench.history_contacts AS
SELECT c, (ARRAY['auto', 'home', 'renters', 'life', 'health', 'commercial'])[1 + c % 6] AS insurance_type
  FROM generate_series(0, 999) c;

-- 6: duplicate-heavy: 30% of the leads are an earlier lead's payload again
-- (the same person, type and details; only its tracking id is its own).
INSERT INTO bench.shape_payloads
SELECT 6, p.id,
       CASE WHEN bench.rnd(p.id, 61, 100) < 30 AND p.id > 1
            THEN (SELECT o.payload FROM bench.payloads o WHERE o.id = greatest(1, p.id - 1 - bench.rnd(p.id, 62, 500)))
                 || jsonb_build_object('tracking_id', p.payload->'tracking_id')
            ELSE p.payload END
  FROM bench.payloads p;

-- 7: backlog: shape 1's leads, copied until :backlog, each copy another
-- person (its own email and a phone of its own exchange).
INSERT INTO bench.shape_payloads
SELECT 7, k.copy * (SELECT count(*) FROM bench.payloads) + p.id,
       CASE WHEN k.copy = 0 THEN p.payload
            ELSE p.payload || jsonb_build_object(
                'tracking_id', 'backlog-' || k.copy || '-' || p.id)
                 || CASE WHEN p.payload ? 'email'
                         THEN jsonb_build_object('email', 'c' || k.copy || '.' || (p.payload->>'email')) ELSE '{}' END
                 || CASE WHEN p.payload ? 'phone'
                         THEN jsonb_build_object('phone', left(regexp_replace(regexp_replace(p.payload->>'phone', '[^0-9]', '', 'g'), '^1(\d{10})$', '\1'), 3)
                                                 || (200 + k.copy * 100 + (p.id / 10000) % 100)::text
                                                 || lpad((p.id % 10000)::text, 4, '0'))
                         ELSE '{}' END
       END
  FROM generate_series(0, (:backlog - 1) / (SELECT count(*) FROM bench.payloads)) k(copy)
 CROSS JOIN bench.payloads p
 WHERE k.copy * (SELECT count(*) FROM bench.payloads) + p.id <= :backlog;

ANALYZE bench.shape_payloads;

-- The agents of a shape: the 200 agents of setup.sql set aside (inactive),
-- the shape's own ones added. bench.shape_end() puts them back.
CREATE PROCEDURE bench.shape_agents(shape int)
LANGUAGE plpgsql AS $$
BEGIN
    IF shape NOT IN (2, 4) THEN
        RETURN;
    END IF;
    UPDATE leadgen.agents SET is_active = false WHERE is_active AND name NOT LIKE 'Shape %';
    IF shape = 2 THEN
        INSERT INTO leadgen.agents (name, state, city, specializations, max_leads, rating)
        SELECT format('Shape 2 agent %s', k), 'CA', 'Los Angeles', '{auto}', 1000000, 3.0 + (k % 20) / 10.0
          FROM generate_series(1, 200) k;
    ELSE
        -- five agents of CA nearly full: room for 10 leads each
        INSERT INTO leadgen.agents (name, state, city, specializations, max_leads, current_lead_count, rating)
        SELECT format('Shape 4 agent CA %s', k), 'CA', 'Los Angeles', '{auto}', 1000, 990, 3.0 + k / 10.0
          FROM generate_series(1, 5) k;
        INSERT INTO leadgen.agents (name, state, city, specializations, max_leads, rating)
        SELECT format('Shape 4 agent TX %s', k), 'TX', 'Austin', '{auto}', 1000000, 3.0 + (k % 20) / 10.0
          FROM generate_series(1, 20) k;
    END IF;
END;
$$;

-- Shape 5's history: 50 earlier leads of each of the 1,000 contacts,
-- spread over the last 29 days, written straight into leadgen.leads.
CREATE PROCEDURE bench.shape_history()
LANGUAGE sql AS $$
    INSERT INTO leadgen.leads
           (id, source, status, insurance_type, first_name, last_name, email, phone, date_of_birth,
            zip_code, city, state, quality_score, rejection_reasons, email_norm, phone_norm,
            created_at, processed_at)
    SELECT nextval('leadgen.lead_id_seq'), 'web_form', 'qualified', h.insurance_type, 'History', 'Contact',
           'history' || h.c || '@example.com', '212555' || lpad(h.c::text, 4, '0'), date '1980-01-01',
           '10001', 'New York', 'NY', 60, '{}', 'history' || h.c || '@example.com', '212555' || lpad(h.c::text, 4, '0'),
           t.at, t.at + interval '1 second'
      FROM bench.history_contacts h
     CROSS JOIN generate_series(1, 50) g
     CROSS JOIN LATERAL (SELECT now() - interval '29 days' + ((g * 1000 + h.c)::float8 / 51000) * interval '28 days' AS at) t;
$$;

-- After a shape: its leads gone, setup.sql's agents back as they were.
CREATE PROCEDURE bench.shape_end()
LANGUAGE plpgsql AS $$
BEGIN
    PERFORM leadgen.queue_pause('leads');
    TRUNCATE leadgen.lead_assignments, leadgen.leads, leadgen.events, leadgen.leads_pending,
             leadgen.leads_dead_letter, leadgen.lead_external_ids;
    DELETE FROM leadgen.agents WHERE name LIKE 'Shape %';
    UPDATE leadgen.agents SET is_active = true WHERE NOT is_active;
    UPDATE leadgen.agents SET current_lead_count = 0 WHERE current_lead_count <> 0;
END;
$$;

RESET client_min_messages;
