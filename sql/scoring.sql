-- The quality score: every component, the cap, and weights changed in
-- leadgen.scoring_weights.
\getenv abs_srcdir PG_ABS_SRCDIR
\set helpers :abs_srcdir '/sql/include/leads.sql'
\i :helpers
INSERT INTO leadgen.carriers (name, states, insurance_types)
VALUES ('Scoring Carrier', '{CA}', '{auto,home,renters,life,health,commercial}');

CREATE TEMP TABLE cases (n serial, label text, payload jsonb, id bigint);
INSERT INTO cases (label, payload) VALUES
    ('all components: 40+20+15+10+10',   pg_temp.lead('{"vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}]}')),
    ('email only: contact 10',           pg_temp.lead('{"vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}]}') - 'phone'),
    ('invalid phone: rejected, unscored',   pg_temp.lead('{"phone": "12", "vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}]}')),
    ('consent 2 days old: 5',            pg_temp.lead(jsonb_build_object('consent_at', pg_temp.ts_ago('2 days'), 'vehicles', '[{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}]'::jsonb))),
    ('consent 45 days old: 0',           pg_temp.lead(jsonb_build_object('consent_at', pg_temp.ts_ago('45 days'), 'vehicles', '[{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}]'::jsonb))),
    ('referral: 40+20+15+15+10 = 100',    pg_temp.lead('{"source": "referral", "vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}]}')),
    ('Referral, any case',               pg_temp.lead('{"source": "Referral"}')),
    ('partner_api: 5',                   pg_temp.lead('{"source": "partner_api"}')),
    ('other source: 0',                  pg_temp.lead('{"source": "tv_ad"}')),
    ('no VIN: no completeness',          pg_temp.lead()),
    ('VIN with an O: no completeness',   pg_temp.lead('{"vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU12345O"}]}')),
    ('one of two vehicles without VIN',  pg_temp.lead('{"vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}, {"year": 2020, "make": "Honda", "model": "Civic"}]}')),
    ('no city: no completeness',         pg_temp.lead('{"vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}]}') - 'city'),
    ('home with value',                  pg_temp.lead('{"insurance_type": "home", "property": {"year_built": 1998, "value": 650000}}')),
    ('home without value',               pg_temp.lead('{"insurance_type": "home", "property": {"year_built": 1998}}')),
    ('life with dob and coverage',       pg_temp.lead('{"insurance_type": "life", "coverage_amount": 500000}')),
    ('renters with city',                pg_temp.lead('{"insurance_type": "renters"}')),
    ('health without city',              pg_temp.lead('{"insurance_type": "health"}') - 'city'),
    ('commercial with city',             pg_temp.lead('{"insurance_type": "commercial", "business": {"name": "Lopez Bakery LLC", "employees": 12}}'));

UPDATE cases SET id = leadgen.lead_submit(payload);
SELECT leadgen.process_pending() = (SELECT count(*) FROM cases) AS all_processed;
SELECT c.label, l.status, l.quality_score
  FROM cases c JOIN leadgen.leads l ON l.id = c.id ORDER BY c.n;

-- A business changes its weights: they apply to the next batch.
UPDATE leadgen.scoring_weights SET points = 60 WHERE component = 'base';
UPDATE leadgen.scoring_weights SET points = 12 WHERE component = 'source:web_form';
INSERT INTO leadgen.scoring_weights (component, points) VALUES ('source:tv_ad', 3);
CREATE TEMP TABLE cases2 (n serial, label text, payload jsonb, id bigint);
INSERT INTO cases2 (label, payload) VALUES
    ('base 60, web_form 12',             pg_temp.lead()),
    ('tv_ad now weighs 3',               pg_temp.lead('{"source": "tv_ad"}')),
    ('capped at 100',                    pg_temp.lead('{"source": "referral", "vehicles": [{"year": 2019, "make": "Toyota", "model": "Camry", "vin": "4T1BF1FK5CU123456"}]}'));
UPDATE cases2 SET id = leadgen.lead_submit(payload);
SELECT leadgen.process_pending();
SELECT c.label, l.quality_score FROM cases2 c JOIN leadgen.leads l ON l.id = c.id ORDER BY c.n;

UPDATE leadgen.scoring_weights SET points = 40 WHERE component = 'base';
UPDATE leadgen.scoring_weights SET points = 10 WHERE component = 'source:web_form';
DELETE FROM leadgen.scoring_weights WHERE component = 'source:tv_ad';
TRUNCATE leadgen.lead_assignments, leadgen.leads, leadgen.events, leadgen.lead_external_ids;
DELETE FROM leadgen.carriers;
