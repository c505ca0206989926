-- The data of the gateway suite: brokers, carriers, agents, and a lead
-- generator (public.gw_fixture_leads) that run.sh calls in several
-- transactions so that leads have several distinct created_at values.
SET client_min_messages = warning;

INSERT INTO leadgen.brokers (name, api_tier) VALUES
    ('GW Broker North', 'partner'),
    ('GW Broker South', 'partner'),
    ('GW Web Forms', 'internal');

INSERT INTO leadgen.carriers (name, is_active, partnership_status, partnership_tier, performance_score, states, insurance_types) VALUES
    ('GW West Mutual',        true,  'active',   'platinum', 91.00, '{CA,OR,WA,AZ,NV}', '{auto,home,renters,life}'),
    ('GW Northeast Casualty', true,  'active',   'gold',     87.50, '{NY,NJ,PA,MA}',    '{auto,home,renters,commercial}'),
    ('GW Gulf Assurance',     true,  'active',   'gold',     83.00, '{TX,LA,OK}',       '{auto,home,life,health}'),
    ('GW Peninsula Health',   true,  'active',   'silver',   78.00, '{FL,GA}',          '{health,life}'),
    ('GW Lakes Insurance',    true,  'active',   'standard', 72.50, '{IL,MI,OH}',       '{auto,home,renters}'),
    ('GW Prairie Life',       false, 'paused',   'standard', 60.00, '{KS,NE}',          '{life}'),
    ('GW Frontier Prospects', true,  'prospect', 'standard', 50.00, '{MT}',             '{auto}');

INSERT INTO leadgen.agents (name, email, state, city, specializations, max_leads, rating, is_active) VALUES
    ('Ana Ruiz',   'ana.ruiz@agents.example',   'CA', 'San Francisco', '{auto,home,renters}', 40, 4.80, true),
    ('Ben Ito',    'ben.ito@agents.example',    'CA', 'Los Angeles',   '{auto,life}',         60, 4.50, true),
    ('Chloe Park', 'chloe.park@agents.example', 'CA', 'San Diego',     '{home,renters,life}', 30, 4.90, true),
    ('Dan Moss',   'dan.moss@agents.example',   'WA', 'Seattle',       '{auto,home}',         25, 4.20, true),
    ('Eva Stone',  'eva.stone@agents.example',  'NY', 'New York',      '{auto,home,renters}', 50, 4.70, true),
    ('Femi Ade',   'femi.ade@agents.example',   'NY', 'Brooklyn',      '{commercial,auto}',   20, 4.10, true),
    ('Gus Lind',   'gus.lind@agents.example',   'TX', 'Houston',       '{auto,home,life}',    60, 4.60, true),
    ('Hana Cruz',  'hana.cruz@agents.example',  'TX', 'Austin',        '{health,life}',       40, 4.85, true),
    ('Ivy Lam',    'ivy.lam@agents.example',    'FL', 'Miami',         '{health,life}',       45, 4.40, true),
    ('Jon Reyes',  'jon.reyes@agents.example',  'IL', 'Chicago',       '{auto,home,renters}', 55, 4.65, true),
    ('Kai West',   'kai.west@agents.example',   'AZ', 'Phoenix',       '{auto,home,life}',    35, 4.15, true),
    ('Lea Frost',  'lea.frost@agents.example',  'NY', 'Buffalo',       '{auto}',              30, 3.50, false),
    -- Takes every renters lead from Oregon: the leads the suite submits
    -- through the gateway are assigned here (no fixture lead is in OR).
    ('Oregon Intake Desk', 'intake@agents.example', 'OR', 'Portland', '{renters}', 100000, 5.00, true);

-- n leads numbered from first: several insurance types and states, some
-- without consent (rejected), some sharing an email (duplicates), states
-- without an agent or a carrier (qualified, rejected).
CREATE FUNCTION public.gw_fixture_leads(first integer, n integer) RETURNS jsonb
LANGUAGE sql AS $$
    SELECT jsonb_agg(
               jsonb_build_object(
                   'external_id', 'fx-' || g,
                   'broker_id', (SELECT id FROM leadgen.brokers
                                  WHERE name = (ARRAY['GW Broker North', 'GW Broker South', 'GW Web Forms'])[1 + g % 3]),
                   'source', (ARRAY['web_form', 'referral', 'partner_api', 'tv'])[1 + (g / 3) % 4],
                   'insurance_type', t.ty,
                   'first_name', 'Fix', 'last_name', 'Lead' || g,
                   'email', CASE WHEN g % 41 = 0 THEN 'repeat.fixture@example.com'
                                 ELSE 'fx' || g || '@example.com' END,
                   'phone', '(415) 555-' || lpad((g % 10000)::text, 4, '0'),
                   'zip_code', s.zip, 'state', s.st, 'city', 'Town',
                   'tcpa_consent', g % 23 <> 0,
                   'consent_at', to_char(now() AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"'))
               || CASE t.ty
                      WHEN 'auto' THEN jsonb_build_object('date_of_birth', '1985-05-05',
                                            'vehicles', jsonb_build_array(jsonb_build_object('year', 2019, 'make', 'Toyota', 'model', 'Camry')))
                      WHEN 'home' THEN jsonb_build_object('property', jsonb_build_object('year_built', 1998, 'value', 450000))
                      WHEN 'life' THEN jsonb_build_object('date_of_birth', '1980-01-01', 'coverage_amount', 250000)
                      ELSE '{}'::jsonb END
               ORDER BY g)
      FROM generate_series(first, first + n - 1) g
     CROSS JOIN LATERAL (SELECT (ARRAY['renters', 'renters', 'renters', 'renters', 'renters', 'renters',
                                       'auto', 'auto', 'home', 'life'])[1 + g % 10] AS ty) t
     CROSS JOIN LATERAL (SELECT (ARRAY['CA', 'NY', 'TX', 'FL', 'IL', 'WA', 'AZ'])[1 + g % 7] AS st,
                                (ARRAY['94103', '10001', '75201', '33101', '60601', '98101', '85004'])[1 + g % 7] AS zip) s
$$;
