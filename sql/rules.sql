-- Eligibility: every rejection code of the lead contract, several codes at
-- once in checking order, and the precise readings, through the real
-- pipeline (submit, then process).
\getenv abs_srcdir PG_ABS_SRCDIR
\set helpers :abs_srcdir '/sql/include/leads.sql'
\i :helpers
INSERT INTO leadgen.carriers (name, states, insurance_types)
VALUES ('Rules Carrier', '{CA,TX,IL}', '{auto,home,renters,life,health,commercial}'),
       ('Rules Inactive Carrier', '{NY}', '{auto}');
UPDATE leadgen.carriers SET is_active = false WHERE name = 'Rules Inactive Carrier';

CREATE TEMP TABLE cases (n serial, label text, payload jsonb, id bigint);
INSERT INTO cases (label, payload) VALUES
    ('valid auto',                     pg_temp.lead()),
    ('valid, lower-case type and state', pg_temp.lead('{"insurance_type": "AUTO", "state": "ca"}')),
    ('valid ZIP+4',                    pg_temp.lead('{"zip_code": "94103-1234"}')),
    ('missing source',                 pg_temp.lead() - 'source'),
    ('null insurance_type',            pg_temp.lead('{"insurance_type": null}')),
    ('empty first_name',               pg_temp.lead('{"first_name": ""}')),
    ('blank last_name',                pg_temp.lead('{"last_name": "  \t "}')),
    ('missing zip_code',               pg_temp.lead() - 'zip_code'),
    ('missing state',                  pg_temp.lead() - 'state'),
    ('no email, no phone',             pg_temp.lead() - 'email' - 'phone'),
    ('only a phone',                   pg_temp.lead() - 'email'),
    ('auto without date_of_birth',     pg_temp.lead() - 'date_of_birth'),
    ('unparseable date_of_birth',      pg_temp.lead('{"date_of_birth": "04/12/1990"}')),
    ('renters without date_of_birth',  pg_temp.lead('{"insurance_type": "renters"}') - 'date_of_birth'),
    ('unsupported type',               pg_temp.lead('{"insurance_type": "boat"}')),
    ('unsupported type, unserved state', pg_temp.lead('{"insurance_type": "boat", "state": "NY", "zip_code": "10001"}')),
    ('invalid email',                  pg_temp.lead('{"email": "ana@@example"}')),
    ('invalid email, no phone',        pg_temp.lead('{"email": "ana at example.com"}') - 'phone'),
    ('invalid phone',                  pg_temp.lead('{"phone": "555-1234"}')),
    ('phone with area code 1xx',       pg_temp.lead('{"phone": "+1 (115) 555-2671"}')),
    ('invalid ZIP',                    pg_temp.lead('{"zip_code": "9410"}')),
    ('invalid state',                  pg_temp.lead('{"state": "XX"}')),
    ('ZIP of another state',           pg_temp.lead('{"zip_code": "10001"}')),
    ('auto, 16 today',                 pg_temp.lead(jsonb_build_object('date_of_birth', pg_temp.date_ago('16 years')))),
    ('auto, 16 tomorrow',              pg_temp.lead(jsonb_build_object('date_of_birth', pg_temp.date_ago('16 years - 1 day')))),
    ('life, 86',                       pg_temp.lead(jsonb_build_object('insurance_type', 'life', 'coverage_amount', 500000,
                                                                       'date_of_birth', pg_temp.date_ago('86 years')))),
    ('health, 65',                     pg_temp.lead(jsonb_build_object('insurance_type', 'health',
                                                                       'date_of_birth', pg_temp.date_ago('65 years')))),
    ('home, 17',                       pg_temp.lead(jsonb_build_object('insurance_type', 'home', 'property', '{"year_built": 1998}'::jsonb,
                                                                       'date_of_birth', pg_temp.date_ago('17 years')))),
    ('auto without vehicles',          pg_temp.lead() - 'vehicles'),
    ('auto with 5 vehicles',           pg_temp.lead(jsonb_build_object('vehicles', (SELECT jsonb_agg(jsonb_build_object('year', 2015, 'make', 'Ford', 'model', 'Focus')) FROM generate_series(1, 5))))),
    ('vehicle of 1980',                pg_temp.lead('{"vehicles": [{"year": 1980, "make": "Ford", "model": "Pinto"}]}')),
    ('vehicle year not an integer',    pg_temp.lead('{"vehicles": [{"year": 2019.5, "make": "Ford", "model": "Focus"}]}')),
    ('vehicle without model',          pg_temp.lead('{"vehicles": [{"year": 2019, "make": "Ford"}]}')),
    ('home without property',          pg_temp.lead('{"insurance_type": "home"}')),
    ('home built 1700',                pg_temp.lead('{"insurance_type": "home", "property": {"year_built": 1700}}')),
    ('home worth 5000',                pg_temp.lead('{"insurance_type": "home", "property": {"year_built": 1990, "value": 5000}}')),
    ('first name a no-break space',    pg_temp.lead(jsonb_build_object('first_name', U&'\00A0'))),
    ('last name an ideographic space', pg_temp.lead(jsonb_build_object('last_name', U&'\3000'))),
    ('email with a no-break space',    pg_temp.lead(jsonb_build_object('email', U&'ana\00A0x@example.com'))),
    ('home worth "5"',                 pg_temp.lead('{"insurance_type": "home", "property": {"year_built": 1990, "value": "5"}}')),
    ('home worth true',                pg_temp.lead('{"insurance_type": "home", "property": {"year_built": 1990, "value": true}}')),
    ('home worth 1e400',               pg_temp.lead('{"insurance_type": "home", "property": {"year_built": 1990, "value": 1e400}}')),
    ('home worth null (absent)',       pg_temp.lead('{"insurance_type": "home", "property": {"year_built": 1990, "value": null}}')),
    ('home worth 50,000,000 + 1e-9',   pg_temp.lead('{"insurance_type": "home", "property": {"year_built": 1990, "value": 50000000.000000001}}')),
    ('life covering 10,000,000 + 1e-13', pg_temp.lead('{"insurance_type": "life", "coverage_amount": 10000000.0000000000001}')),
    ('life covering 10,000 - 1e-19',   pg_temp.lead('{"insurance_type": "life", "coverage_amount": 9999.9999999999999999999}')),
    ('life covering 10,000,000',       pg_temp.lead('{"insurance_type": "life", "coverage_amount": 10000000.0000000000000}')),
    ('valid home (vehicles ignored)',  pg_temp.lead('{"insurance_type": "home", "property": {"year_built": 1990}, "vehicles": []}')),
    ('life without coverage',          pg_temp.lead('{"insurance_type": "life"}')),
    ('life covering 5000',             pg_temp.lead('{"insurance_type": "life", "coverage_amount": 5000}')),
    ('commercial, no employees',       pg_temp.lead('{"insurance_type": "commercial", "business": {"name": "Lopez Bakery LLC", "employees": 0}}')),
    ('commercial, blank name',         pg_temp.lead('{"insurance_type": "commercial", "business": {"name": " ", "employees": 3}}')),
    ('valid commercial',               pg_temp.lead('{"insurance_type": "commercial", "business": {"name": "Lopez Bakery LLC", "employees": 12}}')),
    ('valid renters',                  pg_temp.lead('{"insurance_type": "renters"}')),
    ('no consent',                     pg_temp.lead('{"tcpa_consent": false}')),
    ('consent without consent_at',     pg_temp.lead() - 'consent_at'),
    ('consent 91 days old',            pg_temp.lead(jsonb_build_object('consent_at', pg_temp.ts_ago('91 days')))),
    ('consent 89 days old',            pg_temp.lead(jsonb_build_object('consent_at', pg_temp.ts_ago('89 days')))),
    ('consent in the future',          pg_temp.lead(jsonb_build_object('consent_at', pg_temp.ts_ago('-1 hour')))),
    ('consent_at without zone',        pg_temp.lead('{"consent_at": "2026-01-01T10:00:00"}')),
    ('state not served',               pg_temp.lead('{"state": "NY", "zip_code": "10001"}')),
    ('served type only by inactive',   pg_temp.lead('{"state": "NY", "zip_code": "10001", "insurance_type": "auto"}')),
    ('several at once',                pg_temp.lead('{"email": "bad", "phone": "12", "zip_code": "ABCDE", "tcpa_consent": false, "vehicles": []}')),
    ('everything missing',             '{}'::jsonb),
    ('missing and invalid',            pg_temp.lead('{"first_name": null, "email": "x@y", "state": "ZZ", "insurance_type": "life"}'));

UPDATE cases SET id = leadgen.lead_submit(payload);
SELECT leadgen.process_pending() = (SELECT count(*) FROM cases) AS all_processed;

SELECT c.label, l.status, l.quality_score, l.rejection_reasons
  FROM cases c JOIN leadgen.leads l ON l.id = c.id
 ORDER BY c.n;

-- Rejected leads score 0; eligible leads have no reasons.
SELECT bool_and((status = 'rejected') = (quality_score = 0 AND cardinality(rejection_reasons) > 0)) AS consistent
  FROM leadgen.leads;

-- Unknown keys and the type-specific details are kept in details.
SELECT leadgen.lead_submit(pg_temp.lead('{"referrer": "spring-campaign"}')) > 0 AS submitted;
SELECT leadgen.process_pending();
SELECT l.details ? 'vehicles' AS has_vehicles, l.details->>'referrer' AS referrer, l.details ? 'first_name' AS dup_column,
       l.state, l.insurance_type, l.date_of_birth IS NOT NULL AS dob_stored
  FROM leadgen.leads l WHERE l.details ? 'referrer';

-- Every lead's pipeline event against the lead (pg_temp.event_check).
\set events :abs_srcdir '/sql/include/events.sql'
\i :events
SELECT * FROM pg_temp.event_check();

TRUNCATE leadgen.lead_assignments, leadgen.leads, leadgen.events, leadgen.lead_external_ids;
DELETE FROM leadgen.carriers;
