-- Duplicates: same normalized email or phone and same insurance type as a
-- lead of the last 30 days (edge included), across batches and within one;
-- status duplicate, score 0, a reference to the original. Rejected leads
-- are not originals.
\getenv abs_srcdir PG_ABS_SRCDIR
\set helpers :abs_srcdir '/sql/include/leads.sql'
\i :helpers
INSERT INTO leadgen.carriers (name, states, insurance_types)
VALUES ('Duplicates Carrier', '{CA}', '{auto,home,renters,life,health,commercial}');

SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Original", "email": "Dana@Example.com", "phone": "415-555-0100"}')) AS orig \gset
SELECT leadgen.process_pending();

CREATE TEMP TABLE cases (n serial, label text, payload jsonb, id bigint);
INSERT INTO cases (label, payload) VALUES
    ('same email, other case',         pg_temp.lead('{"email": "dana@example.COM"}')),
    ('same phone, other format',       pg_temp.lead('{"phone": "+1 415.555.0100"}')),
    ('same email, other type',         pg_temp.lead('{"email": "dana@example.com", "insurance_type": "renters"}')),
    ('same email, but rejected',       pg_temp.lead('{"email": "dana@example.com", "zip_code": "1"}')),
    ('batch twin, first',              pg_temp.lead('{"phone": "(650) 555-0199", "insurance_type": "home", "property": {"year_built": 1990}}')),
    ('batch twin, second',             pg_temp.lead('{"phone": "650 555 0199", "insurance_type": "home", "property": {"year_built": 1990}}'));
UPDATE cases SET id = leadgen.lead_submit(payload);
SELECT leadgen.process_pending();
SELECT c.label, l.status, l.quality_score,
       CASE WHEN l.duplicate_of = :orig THEN 'original'
            WHEN l.duplicate_of IS NOT NULL THEN (SELECT c2.label FROM cases c2 WHERE c2.id = l.duplicate_of)
       END AS duplicate_of
  FROM cases c JOIN leadgen.leads l ON l.id = c.id ORDER BY c.n;

-- A duplicate of a duplicate refers to the original.
SELECT leadgen.lead_submit(pg_temp.lead('{"phone": "4155550100"}')) AS again \gset
SELECT leadgen.process_pending();
SELECT status, duplicate_of = :orig AS refers_to_original FROM leadgen.leads WHERE id = :again;

-- A rejected lead is no original: its corrected resubmission is a new lead.
SELECT leadgen.lead_submit(pg_temp.lead('{"email": "fixed@example.com", "tcpa_consent": false}')) AS bad \gset
SELECT leadgen.process_pending();
SELECT leadgen.lead_submit(pg_temp.lead('{"email": "fixed@example.com"}')) AS fixed \gset
SELECT leadgen.process_pending();
SELECT id = :bad AS first, status FROM leadgen.leads WHERE id IN (:bad, :fixed) ORDER BY id;

-- The 30-day window, computed from the new lead's submission time: leads
-- made 31 and 29 days before now (inserted as processed leads).
INSERT INTO leadgen.leads (id, status, quality_score, insurance_type, email_norm, created_at)
VALUES (nextval('leadgen.lead_id_seq'), 'qualified', 50, 'auto', 'old@example.com', now() - interval '31 days'),
       (nextval('leadgen.lead_id_seq'), 'qualified', 50, 'auto', 'recent@example.com', now() - interval '29 days');
SELECT leadgen.lead_submit(pg_temp.lead('{"email": "old@example.com"}')) AS old_id \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"email": "recent@example.com"}')) AS recent_id \gset
SELECT leadgen.process_pending();
SELECT l.email, l.status FROM leadgen.leads l WHERE l.id IN (:old_id, :recent_id) ORDER BY l.id;

-- Duplicates write their event too.
SELECT count(*) AS duplicate_events FROM leadgen.events WHERE type = 'lead.duplicate';

TRUNCATE leadgen.lead_assignments, leadgen.leads, leadgen.events, leadgen.lead_external_ids;
DELETE FROM leadgen.carriers;
