-- Demo leads for `make run`: 300 leads of every insurance type from the
-- demo states, most of them valid, some duplicates and some with the
-- mistakes vendors make, submitted in one batch; then what the pipeline
-- made of them.
\set QUIET on
-- With -v show_only=1 (a second `make run`), only what the pipeline made.
\if :{?show_only}
\else
SELECT leadgen.lead_submit_batch(jsonb_agg(l)) -> 'accepted' AS accepted_leads
  FROM (
    SELECT jsonb_strip_nulls(jsonb_build_object(
        'external_id', 'demo-' || extract(epoch FROM now())::bigint || '-' || g,
        'source', (ARRAY['web_form', 'referral', 'partner_api', 'tv_ad'])[1 + g % 4],
        'insurance_type', t.type,
        'first_name', (ARRAY['Ana', 'Ben', 'Chloe', 'Dev', 'Elena', 'Farid', 'Grace', 'Hiro'])[1 + g % 8],
        'last_name', (ARRAY['Lopez', 'Smith', 'Nguyen', 'Patel', 'Kim', 'Okafor', 'Rossi'])[1 + g % 7],
        'email', CASE WHEN g % 17 = 0 THEN 'not-an-email' ELSE 'demo' || (g % 280) || '@example.com' END,
        'phone', '(' || s.area || ') 555-' || lpad((1000 + g)::text, 4, '0'),
        'date_of_birth', to_char(current_date - ((20 + g % 45) * 365 + g % 300), 'YYYY-MM-DD'),
        'zip_code', s.zip, 'state', s.state, 'city', s.city,
        'tcpa_consent', g % 23 <> 0,
        'consent_at', to_char((now() - (g % 40) * interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'vehicles', CASE WHEN t.type = 'auto' THEN jsonb_build_array(jsonb_build_object(
                        'year', 2008 + g % 17, 'make', 'Toyota', 'model', 'Camry',
                        'vin', CASE WHEN g % 3 = 0 THEN '4T1BF1FK5CU' || lpad(g::text, 6, '0') END)) END,
        'property', CASE WHEN t.type = 'home' THEN jsonb_build_object('year_built', 1950 + g % 70, 'value', 250000 + g * 1000) END,
        'coverage_amount', CASE WHEN t.type = 'life' THEN 100000 + (g % 20) * 50000 END,
        'business', CASE WHEN t.type = 'commercial' THEN jsonb_build_object('name', 'Shop ' || g, 'employees', 1 + g % 40) END)) AS l
      FROM generate_series(1, 300) g
      CROSS JOIN LATERAL (SELECT (ARRAY['auto', 'home', 'renters', 'life', 'health', 'commercial'])[1 + g % 6] AS type) t
      CROSS JOIN LATERAL (SELECT * FROM (VALUES
            (0, 'CA', '94103', 'San Francisco', '415'), (1, 'NY', '10001', 'New York', '212'),
            (2, 'TX', '75201', 'Dallas', '214'), (3, 'FL', '33101', 'Miami', '305'),
            (4, 'IL', '60601', 'Chicago', '312'), (5, 'WA', '98101', 'Seattle', '206'),
            (6, 'AZ', '85001', 'Phoenix', '602')) v(k, state, zip, city, area)
          WHERE v.k = g % 7) s
  ) leads \gset
\echo Submitted :accepted_leads demo leads; the workers process them:
SELECT pg_sleep(1) AS slept \gset
\endif
SELECT status, count(*) AS leads, round(avg(quality_score)) AS avg_score
  FROM leadgen.leads GROUP BY 1 ORDER BY 2 DESC;
SELECT reason, count(*) AS leads
  FROM leadgen.leads, unnest(rejection_reasons) reason GROUP BY 1 ORDER BY 2 DESC;
SELECT a.name AS agent, a.state, a.current_lead_count || '/' || a.max_leads AS load
  FROM leadgen.agents a ORDER BY a.current_lead_count DESC, a.name LIMIT 5;
SELECT queue_name, waiting, active, completed, dead, processing_ms_p50, processing_ms_p99
  FROM leadgen.queue_metrics('leads');
