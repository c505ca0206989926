-- Duplicates: same normalized email or phone and same insurance type as a
-- lead of the last 30 days (edge included), across batches and within one;
-- status duplicate, score 0, a reference to the original. Rejected leads
-- are not originals. Leads processed out of submission order: one
-- original per contact, the lead judged first.
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

-- The window's edge, to the microsecond: a lead made exactly 30 days (720
-- hours: the rule counts microseconds, not calendar days) before the new
-- lead's submission is its original; one a microsecond older is not.
SELECT leadgen.lead_submit(pg_temp.lead('{"email": "edge@example.com"}')) AS edge_id \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"email": "past-edge@example.com"}')) AS past_id \gset
INSERT INTO leadgen.leads (id, status, quality_score, insurance_type, email_norm, created_at)
SELECT nextval('leadgen.lead_id_seq'), 'qualified', 50, 'auto', 'edge@example.com', p.enqueued_at - interval '720 hours'
  FROM leadgen.leads_pending p WHERE p.id = :edge_id
UNION ALL
SELECT nextval('leadgen.lead_id_seq'), 'qualified', 50, 'auto', 'past-edge@example.com',
       p.enqueued_at - interval '720 hours' - interval '1 microsecond'
  FROM leadgen.leads_pending p WHERE p.id = :past_id;
SELECT leadgen.process_pending();
SELECT l.email, l.status FROM leadgen.leads l WHERE l.id IN (:edge_id, :past_id) ORDER BY l.id;

-- The earliest match is the original, whichever contact matched: the
-- phone's lead (20 days old) before the email's (10 days old), and of
-- leads made in the same microsecond, the lowest id (the higher one is
-- written first, so that the index holds them in the other order).
SELECT nextval('leadgen.lead_id_seq') AS by_phone \gset
SELECT nextval('leadgen.lead_id_seq') AS tie_low \gset
SELECT nextval('leadgen.lead_id_seq') AS tie_high \gset
INSERT INTO leadgen.leads (id, status, quality_score, insurance_type, email_norm, phone_norm, created_at) VALUES
    (nextval('leadgen.lead_id_seq'), 'qualified', 50, 'auto', 'multi@example.com', NULL, now() - interval '240 hours'),
    (:by_phone, 'qualified', 50, 'auto', NULL, '6505550142', now() - interval '480 hours'),
    (:tie_high, 'qualified', 50, 'auto', 'tie@example.com', NULL, now() - interval '100 hours'),
    (:tie_low, 'qualified', 50, 'auto', 'tie@example.com', NULL, now() - interval '100 hours');
SELECT leadgen.lead_submit(pg_temp.lead('{"email": "Multi@example.com", "phone": "(650) 555-0142"}')) AS multi \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"email": "tie@example.com"}')) AS tie \gset
SELECT leadgen.process_pending();
SELECT l.id = :multi AS multi, l.duplicate_of = :by_phone AS refers_to_phone_lead,
       l.duplicate_of = :tie_low AS refers_to_lowest_id
  FROM leadgen.leads l WHERE l.id IN (:multi, :tie) ORDER BY l.id;

-- Out of submission order, one original per contact: the lead judged
-- first is the original and the other, judged later, is its duplicate
-- whichever was submitted first (the window reaches 30 days either side).
-- A higher priority, across batches: the later submission, at priority
-- 10, is claimed and judged alone first.
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Low", "email": "prio@example.com"}'), 0) AS prio_low \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "High", "email": "prio@example.com"}'), 10) AS prio_high \gset
SELECT leadgen.process_pending(1) AS judged_first;
SELECT leadgen.process_pending();
SELECT first_name, status, CASE duplicate_of WHEN :prio_high THEN 'High' WHEN :prio_low THEN 'Low' END AS duplicate_of
  FROM leadgen.leads WHERE id IN (:prio_low, :prio_high) ORDER BY id;
-- In one batch, the earlier submission is the original whatever the claim
-- order (priority 10 claimed first).
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Low", "phone": "415-555-0177"}'), 0) AS batch_low \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "High", "phone": "(415) 555-0177"}'), 10) AS batch_high \gset
SELECT leadgen.process_pending();
SELECT first_name, status, CASE duplicate_of WHEN :batch_high THEN 'High' WHEN :batch_low THEN 'Low' END AS duplicate_of
  FROM leadgen.leads WHERE id IN (:batch_low, :batch_high) ORDER BY id;
-- A retry from the dead letter, after its twin submitted later was
-- processed: the twin stays the original.
SELECT name, paused FROM leadgen.queue_pause('leads');
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Drained", "email": "retry@example.com"}')) AS drained \gset
SELECT leadgen.queue_drain('leads') AS drained_count;
SELECT name, paused FROM leadgen.queue_resume('leads');
SELECT leadgen.lead_submit(pg_temp.lead('{"first_name": "Twin", "email": "retry@example.com"}')) AS twin \gset
SELECT leadgen.process_pending();
SELECT leadgen.queue_retry_dead('leads', ARRAY[:drained]::bigint[]) AS requeued;
SELECT leadgen.process_pending();
SELECT first_name, status, CASE duplicate_of WHEN :twin THEN 'Twin' WHEN :drained THEN 'Drained' END AS duplicate_of
  FROM leadgen.leads WHERE id IN (:drained, :twin) ORDER BY id;
-- The window's far edge: a lead made exactly 720 hours after the new
-- lead's submission is its original; one a microsecond later is not.
SELECT leadgen.lead_submit(pg_temp.lead('{"email": "late-edge@example.com"}')) AS late_edge \gset
SELECT leadgen.lead_submit(pg_temp.lead('{"email": "past-late-edge@example.com"}')) AS past_late \gset
SELECT nextval('leadgen.lead_id_seq') AS late_orig \gset
INSERT INTO leadgen.leads (id, status, quality_score, insurance_type, email_norm, created_at)
SELECT :late_orig, 'qualified', 50, 'auto', 'late-edge@example.com', p.enqueued_at + interval '720 hours'
  FROM leadgen.leads_pending p WHERE p.id = :late_edge
UNION ALL
SELECT nextval('leadgen.lead_id_seq'), 'qualified', 50, 'auto', 'past-late-edge@example.com',
       p.enqueued_at + interval '720 hours' + interval '1 microsecond'
  FROM leadgen.leads_pending p WHERE p.id = :past_late;
SELECT leadgen.process_pending();
SELECT l.email, l.status, l.duplicate_of = :late_orig AS refers_to_later_lead
  FROM leadgen.leads l WHERE l.id IN (:late_edge, :past_late) ORDER BY l.id;

-- The probes read their index and nothing else, whatever the planner's
-- statistics say (a probe planned from them once walked the whole window
-- through the (created_at, id) index: 230 ms per batch). 3,000 earlier
-- leads of one type and one state, of 3,000 people; the counters of the
-- leads' partitions and indexes are compared before and after a drain, in
-- one transaction (pending statistics are flushed only between them).
\set scans :abs_srcdir '/sql/include/scans.sql'
\i :scans
-- pg_temp.probe_scans(): a drain of 40 new people and one lead of
-- everyone@example.com; whether leads were read by the contact indexes
-- only, at most two entries per probe and partition (the window meets two
-- months at most).
CREATE FUNCTION pg_temp.probe_scans() RETURNS TABLE (what text, ok boolean)
LANGUAGE sql AS $$
    SELECT what, CASE what WHEN 'scans of its indexes' THEN n > 0
                           WHEN 'entries read from its indexes' THEN n <= 2 * 2 * 2 * 41
                           ELSE n = 0 END
      FROM pg_temp.drain_scans('{leadgen.leads}', '{leadgen.leads_email_norm_idx,leadgen.leads_phone_norm_idx}',
                               (SELECT array_agg(pg_temp.lead()) FROM generate_series(1, 40))
                               || pg_temp.lead('{"email": "everyone@example.com", "phone": "415-555-9999"}'))
$$;
SELECT pg_temp.autovacuum('{leadgen.leads}', false);
INSERT INTO leadgen.leads (id, status, quality_score, insurance_type, state, email_norm, phone_norm, created_at)
SELECT nextval('leadgen.lead_id_seq'), 'qualified', 50, 'auto', 'CA', 'bulk' || g || '@example.com',
       '415' || lpad(g::text, 7, '0'), now() - interval '1 minute' * g * 13
  FROM generate_series(1, 3000) g;
-- never analyzed
SELECT count(*) AS analyzed_partitions FROM pg_stats WHERE schemaname = 'leadgen' AND tablename LIKE 'leads%'
   AND attname = 'email_norm';
BEGIN;
SELECT * FROM pg_temp.probe_scans();
COMMIT;
-- analyzed when one email, one phone, one type and one state cover every row
UPDATE leadgen.leads SET email_norm = 'everyone@example.com', phone_norm = '4155559999'
 WHERE email_norm LIKE 'bulk%';
ANALYZE leadgen.leads;
SELECT attname, (most_common_vals::text::text[])[1] AS most_common, most_common_freqs[1] > 0.9 AS covers_nearly_all
  FROM pg_stats WHERE schemaname = 'leadgen' AND tablename = 'leads'
   AND attname IN ('email_norm', 'phone_norm', 'insurance_type', 'state', 'status') ORDER BY attname;
BEGIN;
SELECT * FROM pg_temp.probe_scans();
COMMIT;
SELECT count(*) FILTER (WHERE status = 'duplicate') AS duplicates, count(*) AS leads
  FROM leadgen.leads WHERE email_norm = 'everyone@example.com' AND details ? 'vehicles';
SELECT pg_temp.autovacuum('{leadgen.leads}', true);

-- Every lead's pipeline event against the lead (pg_temp.event_check).
\set events :abs_srcdir '/sql/include/events.sql'
\i :events
SELECT * FROM pg_temp.event_check();

TRUNCATE leadgen.lead_assignments, leadgen.leads, leadgen.events, leadgen.lead_external_ids;
DELETE FROM leadgen.carriers;
