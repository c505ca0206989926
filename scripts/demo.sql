-- Demo data for `make run`: brokers, carriers and agents. Idempotent: rows
-- are matched by name and never inserted twice.

INSERT INTO leadgen.brokers (name, api_tier) VALUES
    ('Sunrise Leads', 'partner'),
    ('QuoteWizard Partners', 'partner'),
    ('Internal Web Forms', 'internal')
ON CONFLICT (name) DO NOTHING;

INSERT INTO leadgen.carriers (name, partnership_status, partnership_tier, performance_score, states, insurance_types) VALUES
    ('Pacific Mutual',        'active', 'platinum', 92.5, '{CA,OR,WA,NV,AZ}',          '{auto,home,renters,life}'),
    ('Empire Casualty',       'active', 'gold',     88.0, '{NY,NJ,CT,PA,MA}',          '{auto,home,renters,commercial}'),
    ('Lone Star Assurance',   'active', 'gold',     85.0, '{TX,OK,LA,NM}',             '{auto,home,life,health}'),
    ('Sunshine Health',       'active', 'silver',   79.5, '{FL,GA,SC,NC,AL}',          '{health,life}'),
    ('Great Lakes Insurance', 'active', 'standard', 74.0, '{IL,MI,OH,WI,IN,MN}',       '{auto,home,renters,commercial}'),
    ('Heartland Life',        'paused', 'standard', 61.0, '{IA,NE,KS,MO}',             '{life}')
ON CONFLICT (name) DO NOTHING;
UPDATE leadgen.carriers SET is_active = false WHERE name = 'Heartland Life' AND is_active;

INSERT INTO leadgen.agents (name, email, state, city, specializations, max_leads, rating)
SELECT a.name, a.email, a.state, a.city, a.specializations::text[], a.max_leads, a.rating
  FROM (VALUES
    ('Maria Garcia',    'maria.garcia@agents.example',    'CA', 'San Francisco', '{auto,home,renters}',   40, 4.80),
    ('James Chen',      'james.chen@agents.example',      'CA', 'Los Angeles',   '{auto,life}',           60, 4.50),
    ('Priya Patel',     'priya.patel@agents.example',     'CA', 'San Diego',     '{home,renters,life}',   30, 4.90),
    ('Tom Becker',      'tom.becker@agents.example',      'WA', 'Seattle',       '{auto,home}',           25, 4.20),
    ('Aisha Johnson',   'aisha.johnson@agents.example',   'NY', 'New York',      '{auto,home,renters}',   50, 4.70),
    ('David Cohen',     'david.cohen@agents.example',     'NY', 'Brooklyn',      '{commercial,auto}',     20, 4.10),
    ('Lauren Smith',    'lauren.smith@agents.example',    'NJ', 'Newark',        '{auto,home}',           35, 3.90),
    ('Carlos Ramirez',  'carlos.ramirez@agents.example',  'TX', 'Houston',       '{auto,home,life}',      60, 4.60),
    ('Emily Nguyen',    'emily.nguyen@agents.example',    'TX', 'Austin',        '{health,life}',         40, 4.85),
    ('Robert Wilson',   'robert.wilson@agents.example',   'TX', 'Dallas',        '{auto}',                80, 3.80),
    ('Grace Kim',       'grace.kim@agents.example',       'FL', 'Miami',         '{health,life}',         45, 4.40),
    ('Marcus Brown',    'marcus.brown@agents.example',    'FL', 'Orlando',       '{health}',              30, 4.00),
    ('Olivia Martin',   'olivia.martin@agents.example',   'IL', 'Chicago',       '{auto,home,renters,commercial}', 55, 4.65),
    ('Noah Anderson',   'noah.anderson@agents.example',   'MI', 'Detroit',       '{auto,home}',           30, 4.05),
    ('Sofia Rossi',     'sofia.rossi@agents.example',     'PA', 'Philadelphia',  '{auto,commercial}',     25, 4.30),
    ('Ethan Clark',     'ethan.clark@agents.example',     'AZ', 'Phoenix',       '{auto,home,life}',      35, 4.15)
  ) AS a(name, email, state, city, specializations, max_leads, rating)
 WHERE NOT EXISTS (SELECT 1 FROM leadgen.agents x WHERE x.name = a.name);
