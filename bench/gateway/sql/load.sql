-- The data of the gateway benchmark: :leads processed leads (psql variable)
-- written straight into leadgen.leads, spread over the last 60 days (the
-- months pg_partman created with the extension), newest last, with a mix
-- of statuses, types, states and brokers. Writing them directly takes
-- seconds; the gateway only reads them, so they need not go through the
-- pipeline. Then the id sequence moves past them and VACUUM ANALYZE.
\set ON_ERROR_STOP 1
SET client_min_messages = warning;

INSERT INTO leadgen.brokers (name) VALUES ('Bench Broker 1'), ('Bench Broker 2'), ('Bench Broker 3');

INSERT INTO leadgen.leads
       (id, external_id, broker_id, source, status, insurance_type, first_name, last_name,
        email, phone, date_of_birth, zip_code, city, state, quality_score, rejection_reasons,
        email_norm, phone_norm, created_at, processed_at)
SELECT g,
       CASE WHEN g % 4 = 0 THEN NULL ELSE 'ext-' || g END,
       CASE WHEN g % 4 = 0 THEN NULL ELSE (SELECT min(id) FROM leadgen.brokers) + g % 3 END,
       (ARRAY['web_form', 'referral', 'partner_api', 'tv_ad'])[1 + g % 4],
       s.status,
       (ARRAY['auto', 'home', 'renters', 'life', 'health', 'commercial'])[1 + g % 6],
       'First' || g % 997, 'Last' || g % 4999,
       'lead' || g || '@example.com',
       '415555' || lpad((g % 10000)::text, 4, '0'),
       date '1960-01-01' + (g % 15000),
       lpad((90001 + g % 6000)::text, 5, '0'), 'City ' || g % 50,
       (ARRAY['CA', 'NY', 'TX', 'FL', 'IL', 'WA', 'AZ', 'GA', 'OH', 'PA'])[1 + g % 10],
       CASE WHEN s.status IN ('assigned', 'qualified') THEN 40 + g % 60 ELSE 0 END,
       CASE WHEN s.status = 'rejected' THEN '{NO_CONSENT}'::text[] ELSE '{}' END,
       'lead' || g || '@example.com',
       '415555' || lpad((g % 10000)::text, 4, '0'),
       t.created_at,
       t.created_at + interval '2 seconds'
  FROM generate_series(1, :leads) g
 CROSS JOIN LATERAL (SELECT (ARRAY['assigned', 'assigned', 'qualified', 'rejected', 'duplicate'])[1 + g % 5] AS status) s
 CROSS JOIN LATERAL (SELECT now() - interval '5 minutes'
                            - ((:leads - g)::float8 / :leads) * interval '60 days' AS created_at) t;

SELECT setval('leadgen.lead_id_seq', :leads + 1);
VACUUM ANALYZE;
