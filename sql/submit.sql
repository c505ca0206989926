-- Submission: schema-level checks only, every problem listed, an id for
-- good, idempotent external_id per broker, batches.
\getenv abs_srcdir PG_ABS_SRCDIR
\set helpers :abs_srcdir '/sql/include/leads.sql'
\i :helpers
INSERT INTO leadgen.brokers (name) VALUES ('Submit Broker');
INSERT INTO leadgen.brokers (name, is_active) VALUES ('Retired Broker', false);
SELECT id AS broker FROM leadgen.brokers WHERE name = 'Submit Broker' \gset
SELECT id AS retired FROM leadgen.brokers WHERE name = 'Retired Broker' \gset

-- A valid lead is enqueued and gets an id.
SELECT leadgen.lead_submit(pg_temp.lead()) > 0 AS enqueued;
SELECT count(*) AS pending FROM leadgen.leads_pending;

-- Missing and empty fields are not refused at submission.
SELECT leadgen.lead_submit('{"source": "", "first_name": "   "}') > 0 AS accepted_for_rejection;

-- Refused: not an object, wrong JSON types (every problem listed), bad broker.
-- each refusal, then its SQLSTATE
SELECT leadgen.lead_submit('[1, 2]');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_submit('"a lead"');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_submit('{"zip_code": 94103, "tcpa_consent": "yes", "vehicles": {"year": 2019}, "property": [], "email": null, "coverage_amount": "500000", "first_name": 7}');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_submit('{"broker_id": 999999}');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_submit('{"broker_id": -3}');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_submit('{"broker_id": 1.5}');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_submit(format('{"broker_id": %s}', :retired)::jsonb);
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_submit(jsonb_build_object('external_id', repeat('x', 300)));
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_submit(jsonb_build_object('notes', repeat('x', 70000)));
\echo SQLSTATE :SQLSTATE
-- a known string key past 1000 bytes (its column is indexed: such a lead
-- was accepted, then failed in the worker for good)
SELECT leadgen.lead_submit(jsonb_build_object('source', repeat('s', 1001), 'city', repeat('c', 5000)));
\echo SQLSTATE :SQLSTATE
SELECT leadgen.lead_check('{"zip_code": 94103, "state": ["CA"]}');
SELECT leadgen.lead_check(pg_temp.lead());
SELECT count(*) AS pending_after_refusals FROM leadgen.leads_pending;

-- The size limit is a setting.
SET leadgen.max_payload_size = '128kB';
SELECT leadgen.lead_submit(jsonb_build_object('notes', repeat('x', 70000))) > 0 AS accepted_under_raised_limit;
RESET leadgen.max_payload_size;
-- The limit is on the JSON text: 20,000 small numbers are 40 kB of text
-- (and 240 kB of jsonb); 1000 bytes of a known string key are accepted.
SELECT leadgen.lead_submit(jsonb_build_object('source', repeat('s', 1000),
                                              'notes', (SELECT jsonb_agg(1) FROM generate_series(1, 20000)))) > 0
       AS accepted_by_its_text_size;

-- A repeated external_id of the same broker returns the original id and
-- creates nothing; another broker (or none) is another key.
SELECT leadgen.lead_submit(pg_temp.lead(jsonb_build_object('external_id', 'vendor-1', 'broker_id', :broker))) AS first_id \gset
SELECT count(*) AS pending_before FROM leadgen.leads_pending \gset
SELECT leadgen.lead_submit(pg_temp.lead(jsonb_build_object('external_id', 'vendor-1', 'broker_id', :broker))) = :first_id AS same_id;
SELECT id = :first_id AS same_id, created FROM leadgen.lead_enqueue(pg_temp.lead(jsonb_build_object('external_id', 'vendor-1', 'broker_id', :broker)));
SELECT count(*) - :pending_before AS created_by_repeats FROM leadgen.leads_pending;
SELECT leadgen.lead_submit(pg_temp.lead('{"external_id": "vendor-1"}')) <> :first_id AS other_broker_other_lead;
-- ... also once the first one has been processed.
SELECT leadgen.process_pending() > 0 AS processed;
SELECT leadgen.lead_submit(pg_temp.lead(jsonb_build_object('external_id', 'vendor-1', 'broker_id', :broker))) = :first_id AS same_id_after_processing;
SELECT count(*) AS pending_after_repeat FROM leadgen.leads_pending;

-- The pending row, the lead and its events carry the submitted id.
SELECT l.id = :first_id AS lead_has_id, l.external_id, l.broker_id = :broker AS broker_kept
  FROM leadgen.leads l WHERE l.id = :first_id;

-- Batches: invalid items reported with every problem, valid ones accepted.
SELECT jsonb_pretty(leadgen.lead_submit_batch(jsonb_build_array(
    pg_temp.lead(), '"not a lead"'::jsonb, pg_temp.lead('{"zip_code": 1, "state": 2}'),
    pg_temp.lead(jsonb_build_object('external_id', 'vendor-1', 'broker_id', :broker)))) - 'ids');
SELECT jsonb_array_length(leadgen.lead_submit_batch(jsonb_build_array(pg_temp.lead(), pg_temp.lead()))->'ids') AS ids;
SELECT leadgen.lead_submit_batch('{"a": 1}');
SELECT leadgen.lead_submit_batch('[]');

-- Priority is kept.
SELECT leadgen.lead_submit(pg_temp.lead(), priority => 7) AS prio_id \gset
SELECT priority FROM leadgen.leads_pending WHERE id = :prio_id;

-- Clean up.
SELECT leadgen.process_pending() >= 0 AS drained;
TRUNCATE leadgen.lead_assignments, leadgen.leads, leadgen.events, leadgen.lead_external_ids, leadgen.leads_dead_letter;
DELETE FROM leadgen.leads_pending;
DELETE FROM leadgen.brokers;
