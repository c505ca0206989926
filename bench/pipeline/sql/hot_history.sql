-- The history of a contact resubmitted again and again (step 2b): :n
-- processed leads of one email and phone, of every insurance type, spread
-- over the last 29 days, written straight into leadgen.leads (the drain
-- only reads them, as originals to compare with).
\set ON_ERROR_STOP 1
INSERT INTO leadgen.leads
       (id, source, status, insurance_type, first_name, last_name, email, phone, date_of_birth,
        zip_code, city, state, quality_score, rejection_reasons, email_norm, phone_norm,
        created_at, processed_at)
SELECT nextval('leadgen.lead_id_seq'), 'web_form',
       CASE WHEN g = 1 THEN 'assigned' ELSE 'duplicate' END,
       (ARRAY['auto', 'home', 'renters', 'life', 'health', 'commercial'])[1 + g % 6],
       'Hot', 'Contact', 'hot.contact@example.com', '(415) 555-0199', date '1980-01-01',
       '94103', 'San Francisco', 'CA', CASE WHEN g = 1 THEN 70 ELSE 0 END, '{}',
       'hot.contact@example.com', '4155550199',
       t.at, t.at + interval '1 second'
  FROM generate_series(1, :n) g
 CROSS JOIN LATERAL (SELECT now() - interval '29 days' + (g::float8 / :n) * interval '28 days' AS at) t;
