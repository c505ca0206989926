-- Edge cases of the lead rules, one per reading of DOMAIN.md: pg_leadgen
-- processes them, and node/rules-check.js checks that the Node port of
-- the rules (node/rules.js) gives every one the same verdict (rejection
-- reasons in order, and score). Each case carries its tracking_id, kept in
-- the lead's details.

SET client_min_messages = warning;
CREATE SEQUENCE bench.case_seq;
CREATE FUNCTION bench.case_lead(overrides jsonb DEFAULT '{}') RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_build_object(
        'tracking_id', 'case-' || n,
        'source', 'web_form', 'insurance_type', 'auto',
        'first_name', 'Ana', 'last_name', 'Lopez',
        'email', 'case' || n || '@example.com',
        'phone', '(415) 555-' || lpad(n::text, 4, '0'),
        'date_of_birth', to_char(current_date - interval '30 years', 'YYYY-MM-DD'),
        'zip_code', '94103', 'state', 'CA', 'city', 'San Francisco',
        'tcpa_consent', true,
        'consent_at', to_char((now() - interval '1 hour') AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'),
        'vehicles', jsonb_build_array(jsonb_build_object('year', 2019, 'make', 'Toyota', 'model', 'Camry'))
    ) || overrides
    FROM (SELECT nextval('bench.case_seq') AS n) s
$$;
CREATE FUNCTION bench.case_ts(ago interval) RETURNS text
LANGUAGE sql AS $$
    SELECT to_char((now() - ago) AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.US"Z"')
$$;
CREATE FUNCTION bench.case_date(ago interval) RETURNS text
LANGUAGE sql AS $$
    SELECT to_char((now() AT TIME ZONE 'UTC')::date - ago, 'YYYY-MM-DD')
$$;

CREATE TABLE bench.rule_cases (n serial PRIMARY KEY, label text NOT NULL, payload jsonb NOT NULL);
INSERT INTO bench.rule_cases (label, payload) VALUES
    ('valid auto',                       bench.case_lead()),
    ('lower-case type and state',        bench.case_lead('{"insurance_type": "AUTO", "state": "ca"}')),
    ('ZIP+4',                            bench.case_lead('{"zip_code": "94103-1234"}')),
    ('missing source',                   bench.case_lead() - 'source'),
    ('null insurance_type',              bench.case_lead('{"insurance_type": null}')),
    ('empty first_name',                 bench.case_lead('{"first_name": ""}')),
    ('blank last_name',                  bench.case_lead('{"last_name": "  \t "}')),
    ('missing zip_code',                 bench.case_lead() - 'zip_code'),
    ('missing state',                    bench.case_lead() - 'state'),
    ('no email, no phone',               bench.case_lead() - 'email' - 'phone'),
    ('only a phone',                     bench.case_lead() - 'email'),
    ('auto without date_of_birth',       bench.case_lead() - 'date_of_birth'),
    ('unparseable date_of_birth',        bench.case_lead('{"date_of_birth": "04/12/1990"}')),
    ('Feb 30',                           bench.case_lead('{"date_of_birth": "1990-02-30"}')),
    ('renters without date_of_birth',    bench.case_lead('{"insurance_type": "renters"}') - 'date_of_birth'),
    ('unsupported type',                 bench.case_lead('{"insurance_type": "boat"}')),
    ('unsupported type, unserved state', bench.case_lead('{"insurance_type": "boat", "state": "WA", "zip_code": "98101"}')),
    ('invalid email @@',                 bench.case_lead('{"email": "ana@@example"}')),
    ('invalid email, no phone',          bench.case_lead('{"email": "ana at example.com"}') - 'phone'),
    ('email without dotted domain',      bench.case_lead('{"email": "ana@example"}')),
    ('email with doubled dot',           bench.case_lead('{"email": "ana@example..com"}')),
    ('email, upper case',                bench.case_lead('{"email": "Ana.Lopez@EXAMPLE.com"}')),
    ('invalid phone',                    bench.case_lead('{"phone": "555-1234"}')),
    ('phone with area code 1xx',         bench.case_lead('{"phone": "+1 (115) 555-2671"}')),
    ('phone with exchange 0xx',          bench.case_lead('{"phone": "415-055-2671"}')),
    ('phone 1 415 555 2671',             bench.case_lead('{"phone": "1 415 555 2671"}')),
    ('phone with two +',                 bench.case_lead('{"phone": "++1 415 555 2671"}')),
    ('phone with letters',               bench.case_lead('{"phone": "415-555-CALL"}')),
    ('invalid ZIP',                      bench.case_lead('{"zip_code": "9410"}')),
    ('ZIP with a space',                 bench.case_lead('{"zip_code": " 94103"}')),
    ('invalid state',                    bench.case_lead('{"state": "XX"}')),
    ('ZIP of another state',             bench.case_lead('{"zip_code": "10001"}')),
    ('military ZIP',                     bench.case_lead('{"zip_code": "09001"}')),
    ('auto, 16 today',                   bench.case_lead(jsonb_build_object('date_of_birth', bench.case_date('16 years')))),
    ('auto, 16 tomorrow',                bench.case_lead(jsonb_build_object('date_of_birth', bench.case_date('16 years - 1 day')))),
    ('life, 86',                         bench.case_lead(jsonb_build_object('insurance_type', 'life', 'coverage_amount', 500000,
                                                                           'date_of_birth', bench.case_date('86 years')))),
    ('life, 85',                         bench.case_lead(jsonb_build_object('insurance_type', 'life', 'coverage_amount', 500000,
                                                                           'date_of_birth', bench.case_date('85 years')))),
    ('health, 65',                       bench.case_lead(jsonb_build_object('insurance_type', 'health',
                                                                           'date_of_birth', bench.case_date('65 years')))),
    ('health, 64',                       bench.case_lead(jsonb_build_object('insurance_type', 'health',
                                                                           'date_of_birth', bench.case_date('64 years')))),
    ('home, 17',                         bench.case_lead(jsonb_build_object('insurance_type', 'home', 'property', '{"year_built": 1998}'::jsonb,
                                                                           'date_of_birth', bench.case_date('17 years')))),
    ('born in the future',               bench.case_lead(jsonb_build_object('date_of_birth', bench.case_date('-1 year')))),
    ('commercial born in the future',    bench.case_lead(jsonb_build_object('insurance_type', 'commercial', 'business', '{"name": "X LLC", "employees": 2}'::jsonb,
                                                                           'date_of_birth', bench.case_date('-1 year')))),
    ('auto without vehicles',            bench.case_lead() - 'vehicles'),
    ('auto with 5 vehicles',             bench.case_lead(jsonb_build_object('vehicles', (SELECT jsonb_agg(jsonb_build_object('year', 2015, 'make', 'Ford', 'model', 'Focus')) FROM generate_series(1, 5))))),
    ('vehicle of 1980',                  bench.case_lead('{"vehicles": [{"year": 1980, "make": "Ford", "model": "Pinto"}]}')),
    ('vehicle of next year',             bench.case_lead(jsonb_build_object('vehicles', jsonb_build_array(jsonb_build_object('year', extract(year FROM now() AT TIME ZONE 'UTC')::int + 1, 'make', 'Ford', 'model', 'Focus'))))),
    ('vehicle year 2019.5',              bench.case_lead('{"vehicles": [{"year": 2019.5, "make": "Ford", "model": "Focus"}]}')),
    ('vehicle year as a string',         bench.case_lead('{"vehicles": [{"year": "2019", "make": "Ford", "model": "Focus"}]}')),
    ('vehicle without model',            bench.case_lead('{"vehicles": [{"year": 2019, "make": "Ford"}]}')),
    ('vehicle not an object',            bench.case_lead('{"vehicles": [[2019, "Ford", "Focus"]]}')),
    ('home without property',            bench.case_lead('{"insurance_type": "home"}')),
    ('home built 1700',                  bench.case_lead('{"insurance_type": "home", "property": {"year_built": 1700}}')),
    ('home worth 5000',                  bench.case_lead('{"insurance_type": "home", "property": {"year_built": 1990, "value": 5000}}')),
    ('home with value',                  bench.case_lead('{"insurance_type": "home", "property": {"year_built": 1990, "value": 650000}}')),
    ('home (vehicles ignored)',          bench.case_lead('{"insurance_type": "home", "property": {"year_built": 1990}, "vehicles": []}')),
    ('life without coverage',            bench.case_lead('{"insurance_type": "life"}')),
    ('life covering 5000',               bench.case_lead('{"insurance_type": "life", "coverage_amount": 5000}')),
    ('life covering 500000',             bench.case_lead('{"insurance_type": "life", "coverage_amount": 500000}')),
    ('commercial, no employees',         bench.case_lead('{"insurance_type": "commercial", "business": {"name": "Lopez Bakery LLC", "employees": 0}}')),
    ('commercial, blank name',           bench.case_lead('{"insurance_type": "commercial", "business": {"name": " ", "employees": 3}}')),
    ('commercial',                       bench.case_lead('{"insurance_type": "commercial", "business": {"name": "Lopez Bakery LLC", "employees": 12}}')),
    ('renters',                          bench.case_lead('{"insurance_type": "renters"}')),
    ('health without city',              bench.case_lead('{"insurance_type": "health"}') - 'city'),
    ('no consent',                       bench.case_lead('{"tcpa_consent": false}')),
    ('consent without consent_at',       bench.case_lead() - 'consent_at'),
    ('consent 91 days old',              bench.case_lead(jsonb_build_object('consent_at', bench.case_ts('91 days')))),
    ('consent 89 days old',              bench.case_lead(jsonb_build_object('consent_at', bench.case_ts('89 days')))),
    ('consent 2 days old',               bench.case_lead(jsonb_build_object('consent_at', bench.case_ts('2 days')))),
    ('consent 45 days old',              bench.case_lead(jsonb_build_object('consent_at', bench.case_ts('45 days')))),
    ('consent in the future',            bench.case_lead(jsonb_build_object('consent_at', bench.case_ts('-1 hour')))),
    ('consent_at without zone',          bench.case_lead('{"consent_at": "2026-01-01T10:00:00"}')),
    ('consent_at with +0530',            bench.case_lead(jsonb_build_object('consent_at', to_char((now() - interval '2 hours') AT TIME ZONE 'UTC' + interval '5 hours 30 minutes', 'YYYY-MM-DD"T"HH24:MI:SS"+0530"')))),
    ('consent_at with -05',              bench.case_lead(jsonb_build_object('consent_at', to_char((now() - interval '2 hours') AT TIME ZONE 'UTC' - interval '5 hours', 'YYYY-MM-DD HH24:MI:SS.US"-05"')))),
    ('referral with VIN: 100',           bench.case_lead('{"source": "referral", "vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}]}')),
    ('Referral, any case',               bench.case_lead('{"source": "Referral"}')),
    ('partner_api',                      bench.case_lead('{"source": "partner_api"}')),
    ('other source',                     bench.case_lead('{"source": "tv_ad"}')),
    ('VIN with an O',                    bench.case_lead('{"vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU12345O"}]}')),
    ('one of two vehicles without VIN',  bench.case_lead('{"vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}, {"year": 2020, "make": "Honda", "model": "Civic"}]}')),
    ('no city, VIN',                     bench.case_lead('{"vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}]}') - 'city'),
    ('state not served (WA)',            bench.case_lead('{"state": "WA", "zip_code": "98101"}')),
    ('served only by an inactive carrier', bench.case_lead('{"insurance_type": "commercial", "state": "GA", "zip_code": "30301", "business": {"name": "X LLC", "employees": 2}}')),
    ('several at once',                  bench.case_lead('{"email": "bad", "phone": "12", "zip_code": "ABCDE", "tcpa_consent": false, "vehicles": []}')),
    ('everything missing',               '{"tracking_id": "case-empty"}'::jsonb),
    ('missing and invalid',              bench.case_lead('{"first_name": null, "email": "x@y", "state": "ZZ", "insurance_type": "life"}'));
RESET client_min_messages;
