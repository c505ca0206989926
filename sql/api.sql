-- The gateway's side of the database: API keys, shared rate limits, list
-- statements with signed cursors, and the JSON answers of the routes.
\getenv abs_srcdir PG_ABS_SRCDIR
\set helpers :abs_srcdir '/sql/include/leads.sql'
\i :helpers
\set SHOW_CONTEXT never

-- Keys: returned once, stored only as a hash; tiers checked; a broker binding only for partners.
SELECT leadgen.api_key_create('api-partner', 'partner') AS partner_key \gset
SELECT :'partner_key' ~ '^lg_[0-9a-f]{64}$' AS key_shape;
SELECT count(*) AS rows_with_plain_key FROM leadgen.api_keys WHERE key_prefix = :'partner_key' OR key_hash::text LIKE '%' || :'partner_key' || '%';
SELECT key_prefix = left(:'partner_key', 11) AS prefix_kept, length(key_hash) AS hash_bytes FROM leadgen.api_keys WHERE name = 'api-partner';
SELECT tier, broker_id FROM leadgen.api_key_verify(:'partner_key');
SELECT count(*) AS unknown_key_rows FROM leadgen.api_key_verify('lg_not_a_key');
-- each refusal, then its SQLSTATE
SELECT leadgen.api_key_create('api-bad', 'superuser');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.api_key_create('api-partner', 'partner');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.api_key_create('api-bound-admin', 'admin', 1);
\echo SQLSTATE :SQLSTATE
SELECT leadgen.api_key_revoke('no-such-key');
\echo SQLSTATE :SQLSTATE
SELECT leadgen.api_key_revoke('api-partner');
SELECT count(*) AS revoked_key_rows FROM leadgen.api_key_verify(:'partner_key');

-- Rate limits: a shared window per bucket; the request over the limit is
-- refused with a Retry-After, and other buckets are untouched.
SELECT allowed, remaining, retry_after FROM leadgen.api_rate_take('api-test', 3, 3600);
SELECT allowed, remaining, retry_after FROM leadgen.api_rate_take('api-test', 3, 3600);
SELECT allowed, remaining, retry_after FROM leadgen.api_rate_take('api-test', 3, 3600);
SELECT allowed, remaining, retry_after > 0 AS must_wait FROM leadgen.api_rate_take('api-test', 3, 3600);
SELECT allowed, remaining FROM leadgen.api_rate_take('api-other', 3, 3600);
-- A call on the same bucket with another window counts apart: it cannot
-- reset the exhausted one.
SELECT allowed FROM leadgen.api_rate_take('api-test', 1000, 7);
SELECT allowed, remaining FROM leadgen.api_rate_take('api-test', 3, 3600);
SELECT leadgen.api_rate_take('api-test', 0, 60);

-- List statements: identifiers only from the list's spec; every request
-- value is a parameter ($4 onwards here).
SELECT leadgen.api_list_statement('leads', '{status,state}', '{id,status}', '-created_at', false) ~ 't\.status = \$4 AND t\.state = upper\(\$5::text\)' AS binds_filters;
SELECT leadgen.api_list_statement('leads', NULL, NULL, NULL, true) ~ 'api_cursor_decode' AS decodes_cursor;
SELECT leadgen.api_list_statement('leads', '{"status; DROP TABLE leadgen.leads"}', NULL, NULL, false);
SELECT leadgen.api_list_statement('leads', NULL, '{id,"email_norm"}', NULL, false);
-- A field asked twice is returned once (and a long list of it stays one argument).
SELECT substring(leadgen.api_list_statement('leads', NULL, array_fill('id'::text, ARRAY[60]) || '{status,id}', NULL, false)
                 from '''(\{[^'']*\})''::text\[\]') AS field_names;
SELECT leadgen.api_list_statement('leads', NULL, NULL, '--created_at', false);
SELECT leadgen.api_list_statement('agents', NULL, NULL, 'name', false);
SELECT leadgen.api_list_statement('brokers', NULL, NULL, NULL, false);

-- Pages: run the statements as the gateway does (parameters as text).
INSERT INTO leadgen.brokers (name) VALUES ('API Broker');
SELECT id AS broker FROM leadgen.brokers WHERE name = 'API Broker' \gset
INSERT INTO leadgen.agents (name, state, city, specializations, max_leads, rating)
VALUES ('Api Agent', 'CA', 'San Francisco', '{auto,home,renters}', 100, 4.5);
INSERT INTO leadgen.carriers (name, states, insurance_types) VALUES ('Api Carrier', '{CA}', '{auto,home,renters}');
SELECT count(leadgen.lead_submit(pg_temp.lead(jsonb_build_object('external_id', 'api-' || i, 'broker_id', :broker,
                                                                 'email', 'api' || i || '@example.com')))) AS submitted
  FROM generate_series(1, 7) i;
SELECT leadgen.process_pending() AS processed;

-- pg_temp.page(with_cursor, limit, offset, cursor): the page of the
-- broker's leads by id, bound as the gateway binds (every value as text).
CREATE FUNCTION pg_temp.page_text(with_cursor boolean, lim text, off text, cur text, broker text) RETURNS text
LANGUAGE plpgsql AS $$
DECLARE
    r text;
BEGIN
    EXECUTE replace(replace(replace(replace(
                leadgen.api_list_statement('leads', '{broker_id}', '{id,external_id}', 'id', with_cursor),
                '$1', '$1::text'), '$2', '$2::text'), '$3', '$3::text'), '$4', '$4::text')
       INTO r USING lim, off, cur, broker;
    RETURN r;
END;
$$;
CREATE FUNCTION pg_temp.page(with_cursor boolean, lim text, off text, cur text, broker text) RETURNS jsonb
LANGUAGE sql AS $$ SELECT pg_temp.page_text(with_cursor, lim, off, cur, broker)::jsonb $$;
SELECT pg_temp.page(false, '3', '0', NULL, :'broker') AS page1 \gset
SELECT jsonb_path_query_array(:'page1', '$.data[*].external_id') AS page1_ids, (:'page1')::jsonb->'limit' AS lim;
SELECT (:'page1')::jsonb->>'next_cursor' AS cursor1 \gset
SELECT pg_temp.page(true, '3', '0', :'cursor1', :'broker') AS page2 \gset
SELECT jsonb_path_query_array(:'page2', '$.data[*].external_id') AS page2_ids;
SELECT (:'page2')::jsonb->>'next_cursor' AS cursor2 \gset
SELECT jsonb_path_query_array(p, '$.data[*].external_id') AS page3_ids, p->'next_cursor' AS last_cursor
  FROM pg_temp.page(true, '3', '0', :'cursor2', :'broker') p;
-- The same rows by offset.
SELECT jsonb_path_query_array(p, '$.data[*].external_id') AS offset_3
  FROM pg_temp.page(false, '3', '3', NULL, :'broker') p;
-- A cursor changed by one character, made up, or of another sort, is refused.
\set VERBOSITY terse
SELECT pg_temp.page(true, '3', '0', overlay(:'cursor1' placing (CASE WHEN substr(:'cursor1', 3, 1) = 'A' THEN 'B' ELSE 'A' END) from 3 for 1), :'broker');
SELECT pg_temp.page(true, '3', '0', 'WzFd.0123456789abcdef01234567', :'broker');
SELECT pg_temp.page(true, '3', '0', '''; DROP TABLE leadgen.leads; --', :'broker');
SELECT leadgen.api_cursor_decode('-id', :'cursor1');
\set VERBOSITY default
SELECT count(*) > 0 AS leads_still_there FROM leadgen.leads;
-- Walking every page by cursor, sorted by a numeric key that repeats (the
-- id breaks ties), gives each lead once, in the order of the sort.
CREATE FUNCTION pg_temp.walk(sort text) RETURNS bigint[]
LANGUAGE plpgsql AS $$
DECLARE
    first text := leadgen.api_list_statement('leads', '{broker_id}', '{id}', sort, false);
    next text := leadgen.api_list_statement('leads', '{broker_id}', '{id}', sort, true);
    broker text := (SELECT id FROM leadgen.brokers WHERE name = 'API Broker')::text;
    p jsonb;
    ids bigint[] := '{}';
BEGIN
    EXECUTE replace(first, '$4', '$3::bigint') INTO p USING 2, 0, broker;
    LOOP
        ids := ids || ARRAY(SELECT (e->>'id')::bigint FROM jsonb_array_elements(p->'data') e);
        EXIT WHEN p->>'next_cursor' IS NULL;
        EXECUTE next INTO p USING 2, 0, p->>'next_cursor', broker;
    END LOOP;
    RETURN ids;
END;
$$;
SELECT pg_temp.walk('-quality_score') = ARRAY(SELECT id FROM leadgen.leads WHERE broker_id = :broker ORDER BY quality_score DESC, id DESC) AS walked_by_score,
       cardinality(pg_temp.walk('-quality_score')) AS leads,
       pg_temp.walk('created_at') = ARRAY(SELECT id FROM leadgen.leads WHERE broker_id = :broker ORDER BY created_at, id) AS walked_by_time;
-- A page past the last row: no data, no cursor; written as compactly as
-- pages with rows.
SELECT p AS past_the_end FROM pg_temp.page_text(false, '3', '1000', NULL, :'broker') p;
SELECT regexp_replace(p, '"id":[0-9]+', '"id":N') AS last_row FROM pg_temp.page_text(false, '1', '6', NULL, :'broker') p;
-- Limits are capped at 500 inside the statement too.
SELECT p->'limit' AS asked, jsonb_array_length(p->'data') <= 500 AS capped
  FROM pg_temp.page(false, '100000', '0', NULL, :'broker') p;

-- The page writer (api_page) writes each value as to_json() does: numbers
-- (NaN and infinities quoted), booleans, strings escaped, dates and times
-- in ISO 8601, json and jsonb as they are, arrays with their nulls, nested
-- arrays and composites through to_json() itself; nulls as null.
SET TimeZone = 'America/New_York';
CREATE DOMAIN pg_temp.score AS numeric CHECK (VALUE >= 0);
CREATE TYPE pg_temp.pair AS (x integer, y text);
CREATE TEMP TABLE page_values AS
SELECT * FROM (VALUES
    (1::bigint, 12.50::numeric, 'NaN'::float8, 7::pg_temp.score, true, E'quote " back \\ nl \n tab \t é', date '2026-02-28',
     timestamp '2026-02-28 13:14:15.5', timestamptz '2026-02-28 13:14:15+00', '{"k": [1, 2]}'::json, '{"k": {"z": null}}'::jsonb,
     ARRAY['a', NULL, 'b"c'], ARRAY[1, NULL, 3], ARRAY[[1, 2], [3, 4]], ROW(5, 'five')::pg_temp.pair),
    (2, 'NaN', '-Infinity', NULL, false, '', 'infinity', '-infinity', NULL, 'null', '[]', '{}', NULL, '{}', NULL)
) v(id, n, f, s, b, t, d, ts, tz, j, jb, a, ai, m, c);
SELECT leadgen.api_page(ROW(v.id, v.n, v.f, v.s, v.b, v.t, v.d, v.ts, v.tz, v.j, v.jb, v.a, v.ai, v.m, v.c), v.id, v.id, 5, 0, 'id',
                        '{id,n,f,s,b,t,d,ts,tz,j,jb,a,ai,m,c}') AS written
  FROM (SELECT * FROM page_values ORDER BY id) v;
SELECT (SELECT leadgen.api_page(ROW(v.id, v.n, v.f, v.s, v.b, v.t, v.d, v.ts, v.tz, v.j, v.jb, v.a, v.ai, v.m, v.c), v.id, v.id, 5, 0, 'id',
                                '{id,n,f,s,b,t,d,ts,tz,j,jb,a,ai,m,c}')::jsonb->'data'
          FROM (SELECT * FROM page_values ORDER BY id) v)
       = (SELECT jsonb_agg(to_jsonb(v) ORDER BY v.id) FROM page_values v) AS same_as_to_json;
RESET TimeZone;
-- Rows out of page order fail the page; so does a row of another width.
SELECT leadgen.api_page(ROW(v.id), v.id, v.id, 5, 0, '-id', '{id}') FROM (SELECT * FROM page_values ORDER BY id) v;
\echo SQLSTATE :SQLSTATE
SELECT leadgen.api_page(ROW(v.id), v.id, v.id, 5, 0, 'id', '{id,n}') FROM page_values v;
\echo SQLSTATE :SQLSTATE
-- A sort key must be one a cursor can carry as text and cast back.
SELECT leadgen.api_page(ROW(v.id), v.a, v.id, 5, 0, 'a', '{id}') FROM page_values v;
\echo SQLSTATE :SQLSTATE
-- Columns of a pseudo-type (an anyarray of pg_stats) are written by to_json() too.
CREATE TEMP TABLE page_mcv AS SELECT g % 3 AS x FROM generate_series(1, 300) g;
ANALYZE page_mcv;
SELECT jsonb_typeof(x.p->'data'->0->'v') AS written_as, x.p->'data'->0->'v' = x.j AS same_as_to_json
  FROM (SELECT leadgen.api_page(ROW(s.most_common_vals), 1::bigint, 1::bigint, 5, 0, 'id', '{v}')::jsonb AS p,
               min(to_jsonb(s.most_common_vals)::text)::jsonb AS j
          FROM pg_stats s WHERE s.tablename = 'page_mcv' AND s.attname = 'x') x;
-- A cursor is base64url of [sort, key, id] and a signature of it.
SELECT convert_from(decode(translate(split_part(c, '.', 1), '-_', '+/') || '==', 'base64'), 'UTF8') AS payload,
       split_part(c, '.', 2) = leadgen.api_cursor_sign(convert_from(decode(translate(split_part(c, '.', 1), '-_', '+/') || '==', 'base64'), 'UTF8')) AS signed,
       (leadgen.api_cursor_decode('-created_at', c)).*
  FROM leadgen.api_cursor_encode('-created_at', '2026-02-28T13:14:15+00:00', 42) c;

-- One lead with its assignment and events; another broker's lead is absent for a bound key.
SELECT id AS lead_id FROM leadgen.leads WHERE external_id = 'api-1' \gset
SELECT j->>'external_id' AS external_id, j->'assignment' IS NOT NULL AS has_assignment_key,
       jsonb_typeof(j->'events') AS events, j ? 'email_norm' AS internal_columns_shown
  FROM (SELECT leadgen.api_lead(:lead_id)::jsonb AS j) x;
SELECT leadgen.api_lead(:lead_id, :broker) IS NOT NULL AS own_broker, leadgen.api_lead(:lead_id, :broker + 1000) IS NULL AS other_broker;
SELECT leadgen.api_lead(-1) IS NULL AS absent;
-- Two rows of one id (the key is (id, created_at), a hand-written copy):
-- the newest answers, not an error.
INSERT INTO leadgen.leads
SELECT (jsonb_populate_record(l, jsonb_build_object('created_at', l.created_at + interval '1 second'))).*
  FROM leadgen.leads l WHERE l.id = :lead_id;
SELECT (SELECT count(*) FROM leadgen.leads WHERE id = :lead_id) AS rows_of_the_id,
       (j->>'created_at')::timestamptz = (SELECT max(created_at) FROM leadgen.leads WHERE id = :lead_id) AS newest
  FROM (SELECT leadgen.api_lead(:lead_id)::jsonb AS j) x;
-- ... and the lists page through them (they failed the page: 500 over HTTP)
SELECT count(*) FILTER (WHERE (r->>'id')::bigint = :lead_id) AS rows_of_the_id_listed
  FROM jsonb_array_elements(leadgen.api_list('leads', '{}', '{}', 'id', 'id', 500, 0, NULL)::jsonb->'data') r;
SELECT count(*) FILTER (WHERE (r->>'id')::bigint = :lead_id) AS rows_of_the_id_listed_by_score
  FROM jsonb_array_elements(leadgen.api_list('leads', '{}', '{}', 'id,quality_score', '-quality_score', 500, 0, NULL)::jsonb->'data') r;
DELETE FROM leadgen.leads WHERE id = :lead_id AND created_at = (SELECT max(created_at) FROM leadgen.leads WHERE id = :lead_id);

-- Submission answers: 422 with every problem, 202, 200 for a repeat, 403 for another broker.
SELECT status, body::jsonb->'error'->'details' AS problems FROM leadgen.api_lead_submit('{"first_name": 5, "zip_code": 94103}');
SELECT status, body::jsonb->>'status' AS state FROM leadgen.api_lead_submit(pg_temp.lead('{"external_id": "api-new"}'));
SELECT status, body::jsonb->>'status' AS state FROM leadgen.api_lead_submit(pg_temp.lead('{"external_id": "api-1"}'), :broker);
SELECT status, body::jsonb->'error'->>'code' AS code FROM leadgen.api_lead_submit(pg_temp.lead(jsonb_build_object('broker_id', :broker)), :broker + 1000);
-- A broker-bound key's broker is written into the lead; a key bound to an
-- inactive broker gets the schema problem, not an error.
SELECT (body::jsonb->>'id')::bigint AS scoped_id FROM leadgen.api_lead_submit(pg_temp.lead('{"external_id": "api-scoped"}'), :broker) \gset
SELECT broker_id = :broker AS broker_written, payload->'broker_id' = to_jsonb(:broker) AS in_payload
  FROM leadgen.leads_pending WHERE id = :scoped_id;
INSERT INTO leadgen.brokers (name, is_active) VALUES ('API Retired', false) RETURNING id AS retired_broker \gset
SELECT status, body::jsonb->'error'->'details' = jsonb_build_array(format('Broker %s is not active.', :retired_broker)) AS problem_named
  FROM leadgen.api_lead_submit(pg_temp.lead('{}'), :retired_broker);
SELECT * FROM leadgen.api_lead_submit(NULL::jsonb);

-- Single leads gathered by the gateway: one answer each, in order.
SELECT ord, status, body::jsonb->>'status' AS state, body::jsonb->'error'->>'code' AS code
  FROM leadgen.api_lead_submit_many(ARRAY[pg_temp.lead('{"external_id": "api-many"}')::text, '{"first_name": 1}',
                                          pg_temp.lead('{"external_id": "api-many"}')::text,
                                          pg_temp.lead(jsonb_build_object('broker_id', :broker + 1000))::text],
                                    ARRAY[NULL, NULL, NULL, :broker]::bigint[]);
SELECT count(*) AS no_payloads FROM leadgen.api_lead_submit_many(NULL, NULL);
SELECT count(*) AS not_json FROM leadgen.api_lead_submit_many(ARRAY['{"first_name": '], NULL);

-- Batches: JSON arrays and NDJSON, errors by index, bounded size.
SELECT status, body::jsonb - 'ids' AS summary
  FROM leadgen.api_leads_batch(format('[%s, 7, {"first_name": 1}]', pg_temp.lead()), false);
SELECT status, body::jsonb - 'ids' AS summary
  FROM leadgen.api_leads_batch(E'\n' || pg_temp.lead()::text || E'\n{not json\n\n' || pg_temp.lead()::text, true);
SELECT status, body::jsonb - 'ids' AS summary
  FROM leadgen.api_leads_batch(format('[%s, %s]', pg_temp.lead(jsonb_build_object('broker_id', :broker + 1000)), pg_temp.lead()), false, :broker);
SELECT status, body::jsonb->'error'->>'code' AS code
  FROM leadgen.api_leads_batch((SELECT jsonb_agg(pg_temp.lead()) FROM generate_series(1, 1001))::text, false);
SELECT status FROM leadgen.api_leads_batch('{"not": "an array"}', false);
SELECT status FROM leadgen.api_leads_batch('[]', false);
SELECT leadgen.api_leads_batch('[1,', false);

-- Config and analytics documents.
SELECT j->'insurance_types' AS types, j->'states_served'->'auto' AS auto_states, j->'limits'->'batch_max_items' AS batch_max
  FROM (SELECT leadgen.api_config()::jsonb AS j) x;
SELECT (j->>'total')::integer >= 7 AS counted, j ? 'conversion_rate' AS has_rates, j->'throughput' ? 'last_hour' AS throughput
  FROM (SELECT leadgen.api_analytics_summary()::jsonb AS j) x;
-- the window: 1 to 3650 days
SELECT leadgen.api_analytics_summary(7)::jsonb->'window_days' AS window_days;
SELECT leadgen.api_analytics_summary(-5);
SELECT leadgen.api_analytics_summary(2147483647);
SELECT leadgen.api_dead_letter('leads')::jsonb - 'data' AS dead_letter;
SELECT leadgen.api_dead_letter('nope');
