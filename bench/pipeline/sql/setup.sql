-- Pipeline benchmark of pg_leadgen: reference data, the deterministic lead
-- generator, the payload tables every contender reads, and the helpers of
-- the measurements. Run once per benchmark database, after
-- CREATE EXTENSION pg_leadgen, with psql variables n (measured leads) and
-- warmup (warm-up leads).

SET client_min_messages = warning;
CREATE SCHEMA bench;

-- ---------------------------------------------------------------------
-- Reference data: brokers, carriers, agents
-- ---------------------------------------------------------------------

INSERT INTO leadgen.brokers (name, api_tier) VALUES
    ('Sunrise Leads', 'partner'),
    ('QuoteWizard Partners', 'partner'),
    ('Internal Web Forms', 'internal');

-- Ten states: the 3-digit ZIP prefixes USPS allocates to each (a sample of
-- them for CA, whose range has holes), cities and area codes.
CREATE TABLE bench.states (
    code        text PRIMARY KEY,
    weight      int NOT NULL,           -- share of the leads, in %
    zip_lo      int NOT NULL,
    zip_hi      int NOT NULL,
    cities      text[] NOT NULL,
    area_codes  text[] NOT NULL,
    ord         int NOT NULL UNIQUE
);
INSERT INTO bench.states VALUES
    ('CA', 18, 930, 961, '{Los Angeles,San Francisco,San Diego,Sacramento,San Jose}', '{213,415,619,916,408}', 0),
    ('TX', 14, 750, 799, '{Houston,Dallas,Austin,San Antonio}',                      '{713,214,512,210}',     1),
    ('FL', 12, 320, 339, '{Miami,Orlando,Tampa,Jacksonville}',                        '{305,407,813,904}',     2),
    ('NY', 11, 100, 149, '{New York,Brooklyn,Buffalo,Albany,Rochester}',              '{212,718,716,518,585}', 3),
    ('PA',  8, 150, 196, '{Philadelphia,Pittsburgh,Allentown,Erie}',                  '{215,412,610,814}',     4),
    ('IL',  8, 600, 620, '{Chicago,Springfield,Naperville,Peoria}',                   '{312,217,630,309}',     5),
    ('OH',  7, 430, 459, '{Columbus,Cleveland,Cincinnati,Toledo}',                    '{614,216,513,419}',     6),
    ('GA',  7, 300, 319, '{Atlanta,Savannah,Augusta,Macon}',                          '{404,912,706,478}',     7),
    ('NC',  7, 270, 289, '{Charlotte,Raleigh,Greensboro,Durham}',                     '{704,919,336,984}',     8),
    ('MI',  8, 480, 499, '{Detroit,Grand Rapids,Lansing,Ann Arbor}',                  '{313,616,517,734}',     9);

-- Carriers: every (state, type) is served except commercial in GA and NC,
-- whose only carrier is paused (inactive): those leads are STATE_NOT_SERVED.
INSERT INTO leadgen.carriers (name, is_active, partnership_status, partnership_tier, performance_score, states, insurance_types) VALUES
    ('Liberty Shield Mutual',     true,  'active',  'platinum', 92.5, '{CA,TX,FL,NY,PA,IL,OH,GA,NC,MI}', '{auto,home,renters}'),
    ('Evergreen Life & Health',   true,  'active',  'gold',     88.0, '{CA,TX,FL,NY,PA,IL,OH,GA,NC,MI}', '{life,health}'),
    ('Summit Commercial',         true,  'active',  'gold',     81.0, '{CA,TX,FL,NY,PA,IL,OH,MI}',       '{commercial}'),
    ('Harbor Business Insurance', false, 'paused',  'standard', 58.0, '{GA,NC}',                         '{commercial}'),
    ('Sunbelt Auto & Life',       true,  'active',  'silver',   77.5, '{CA,TX,FL,GA,NC}',                '{auto,life}'),
    ('Great Lakes Home',          true,  'active',  'standard', 70.0, '{NY,PA,IL,OH,MI}',                '{home,renters}');

-- 200 agents, 20 per state, ten specialization profiles twice per state.
-- Michigan's agents take few leads, so that capacity runs out there in the
-- full run and later leads stay qualified.
INSERT INTO leadgen.agents (name, email, state, city, specializations, max_leads, rating)
SELECT format('Agent %s %s', s.code, k),
       format('agent%s@agency.example', k),
       s.code,
       s.cities[1 + k % cardinality(s.cities)],
       (ARRAY['{auto,home,renters}', '{life,health}', '{auto,life}', '{home,renters,commercial}', '{health}',
              '{auto,home,renters,life,health,commercial}', '{commercial,auto}', '{auto}', '{home,renters}',
              '{life,health,auto}'])[1 + (k / 10) % 10]::text[],
       CASE WHEN s.code = 'MI' THEN 150 ELSE 800 + (k * 37) % 1200 END,
       3.0 + ((k * 13) % 20) / 10.0
  FROM generate_series(0, 199) AS k
  JOIN bench.states s ON s.ord = k % 10
 ORDER BY k;

-- ---------------------------------------------------------------------
-- The lead generator: lead i is a function of i and of the run's start
-- (consents are fresh relative to it), nothing else.
-- ---------------------------------------------------------------------

-- A deterministic pseudo-random number in [0, m) for (i, k).
CREATE FUNCTION bench.rnd(i bigint, k int, m int) RETURNS int
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ((hashint8extended(i, k) & 9223372036854775807) % m)::int
$$;

CREATE FUNCTION bench.pick(a text[], i bigint, k int) RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT a[1 + bench.rnd(i, k, cardinality(a))]
$$;

-- The lead's state, by weight.
CREATE FUNCTION bench.state_of(i bigint) RETURNS bench.states
LANGUAGE sql STABLE AS $$
    SELECT s.* FROM bench.states s
     WHERE bench.rnd(i, 2, 100) < (SELECT sum(x.weight) FROM bench.states x WHERE x.ord <= s.ord)
     ORDER BY s.ord LIMIT 1
$$;

CREATE FUNCTION bench.ts(t timestamptz, variant int) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT CASE WHEN variant = 0
                THEN to_char(t AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS"Z"')
                ELSE to_char(t AT TIME ZONE 'UTC' - interval '5 hours', 'YYYY-MM-DD"T"HH24:MI:SS".000-05:00"')
           END
$$;

-- The lead i as a vendor submits it. About 3% repeat the contact of an
-- earlier lead of the same block (duplicates), about 5% break one rule
-- (rejections), and commercial leads of GA and NC are STATE_NOT_SERVED.
-- Ids of one block of 10,000,000 never refer to another block: the
-- warm-up leads live in their own block.
CREATE FUNCTION bench.lead_payload(i bigint, base timestamptz) RETURNS jsonb
LANGUAGE plpgsql STABLE AS $$
DECLARE
    first_names constant text[] := '{Ana,James,Maria,Robert,Priya,Michael,Linda,David,Sofia,William,Emily,Carlos,'
        'Olivia,Noah,Grace,Ethan,Aisha,Daniel,Chloe,Marcus,Hannah,Lucas,Mia,Omar,Zoe,Ryan,Leah,Mateo,Nora,Samuel,'
        'Ava,Jamal,Ella,Kevin,Isabel,Tyler,Fatima,Henry,Julia,Victor}';
    last_names constant text[] := '{Lopez,Smith,Johnson,Chen,Patel,Garcia,Brown,Nguyen,Kim,Martin,Rossi,Cohen,'
        'Wilson,Anderson,Clark,Ramirez,Becker,Taylor,Moore,Jackson,White,Harris,Lewis,Walker,Hall,Young,King,'
        'Wright,Scott,Green,Baker,Adams,Nelson,Hill,Campbell,Mitchell,Roberts,Carter,Phillips,Evans}';
    domains constant text[] := '{gmail.com,yahoo.com,outlook.com,icloud.com,aol.com,hotmail.com,proton.me,example.com}';
    cars constant text[] := '{Toyota/Camry,Honda/Civic,Ford/F-150,Chevrolet/Silverado,Tesla/Model 3,Nissan/Altima,'
        'Subaru/Outback,Hyundai/Elantra,Jeep/Wrangler,BMW/3 Series}';
    trades constant text[] := '{Bakery LLC,Plumbing Inc,Consulting LLC,Auto Repair,Dental Group,Landscaping Co,Cafe,Logistics Inc}';
    vin_chars constant text := '0123456789ABCDEFGHJKLMNPRSTUVWXYZ';
    block constant bigint := (i - 1) / 10000000 * 10000000 + 1;
    j bigint := i;                  -- the lead whose person this is
    st bench.states;
    itype text;
    fname text;
    lname text;
    p jsonb;
    kind int := bench.rnd(i, 1, 1000);     -- which rule it breaks, if any
    contact int;
    email text;
    phone text;
    zip text;
    age int;
    dob text;
    consent timestamptz;
    nveh int;
    veh jsonb := '[]';
BEGIN
    -- a duplicate is another lead's person (and contact) submitted again
    IF bench.rnd(i, 3, 100) < 3 THEN
        j := i - 200 - bench.rnd(i, 4, 1800);
        IF j < block OR bench.rnd(j, 3, 100) < 3 THEN
            j := i;
        END IF;
    END IF;
    IF j <> i THEN
        kind := 999;                -- a duplicate breaks no rule of its own
    END IF;

    st := bench.state_of(j);
    itype := CASE WHEN bench.rnd(j, 5, 100) < 35 THEN 'auto'
                  WHEN bench.rnd(j, 5, 100) < 55 THEN 'home'
                  WHEN bench.rnd(j, 5, 100) < 65 THEN 'renters'
                  WHEN bench.rnd(j, 5, 100) < 80 THEN 'life'
                  WHEN bench.rnd(j, 5, 100) < 92 THEN 'health'
                  ELSE 'commercial' END;
    fname := bench.pick(first_names, j, 6);
    lname := bench.pick(last_names, j, 7);
    email := lower(fname) || '.' || lower(lname) || j || '@' || bench.pick(domains, j, 8);
    IF j <> i OR bench.rnd(j, 9, 10) = 0 THEN
        email := initcap(fname) || '.' || lname || j || '@' || upper(bench.pick(domains, j, 8));
    END IF;
    phone := bench.pick(st.area_codes, j, 10) || (200 + (j / 10000) % 800)::text || lpad((j % 10000)::text, 4, '0');
    phone := CASE bench.rnd(i, 11, 5)
                 WHEN 0 THEN '+1 (' || substr(phone, 1, 3) || ') ' || substr(phone, 4, 3) || '-' || substr(phone, 7)
                 WHEN 1 THEN substr(phone, 1, 3) || '-' || substr(phone, 4, 3) || '-' || substr(phone, 7)
                 WHEN 2 THEN substr(phone, 1, 3) || '.' || substr(phone, 4, 3) || '.' || substr(phone, 7)
                 WHEN 3 THEN '1 ' || substr(phone, 1, 3) || ' ' || substr(phone, 4, 3) || ' ' || substr(phone, 7)
                 ELSE phone END;
    contact := bench.rnd(j, 12, 100);
    zip := lpad((st.zip_lo + bench.rnd(j, 13, st.zip_hi - st.zip_lo + 1))::text, 3, '0')
           || lpad(bench.rnd(j, 14, 100)::text, 2, '0');
    IF bench.rnd(j, 15, 10) = 0 THEN
        zip := zip || '-' || lpad(bench.rnd(j, 16, 10000)::text, 4, '0');
    END IF;

    age := CASE itype WHEN 'auto' THEN 18 + bench.rnd(j, 17, 58)
                      WHEN 'life' THEN 25 + bench.rnd(j, 17, 46)
                      WHEN 'health' THEN 20 + bench.rnd(j, 17, 44)
                      WHEN 'commercial' THEN 30 + bench.rnd(j, 17, 36)
                      ELSE 22 + bench.rnd(j, 17, 59) END;
    consent := base - CASE WHEN bench.rnd(i, 18, 100) < 60 THEN interval '1 minute' * (1 + bench.rnd(i, 19, 1200))
                           WHEN bench.rnd(i, 18, 100) < 95 THEN interval '1 day' * (2 + bench.rnd(i, 19, 27))
                                                                + interval '1 minute' * bench.rnd(i, 20, 600)
                           ELSE interval '1 day' * (31 + bench.rnd(i, 19, 50)) END;

    -- the rule this lead breaks (about 5%)
    IF kind < 10 THEN           -- INVALID_PHONE: exchange starting with 1
        phone := substr(regexp_replace(phone, '[^0-9]', '', 'g'), length(regexp_replace(phone, '[^0-9]', '', 'g')) - 9, 3)
                 || '-155-' || lpad((j % 10000)::text, 4, '0');
        contact := 50;
    ELSIF kind < 18 THEN        -- ZIP_STATE_MISMATCH: a ZIP of the next state
        SELECT lpad(s.zip_lo::text, 3, '0') || '01' INTO zip
          FROM bench.states s WHERE s.ord = (st.ord + 1) % 10;
    ELSIF kind < 25 THEN        -- NO_CONSENT: consent older than 90 days
        consent := base - interval '1 day' * (100 + bench.rnd(i, 21, 100));
    ELSIF kind < 30 THEN        -- AGE_OUT_OF_RANGE
        age := CASE itype WHEN 'auto' THEN 14 WHEN 'life' THEN 88 WHEN 'health' THEN 70
                          WHEN 'commercial' THEN age ELSE 16 END;
    ELSIF kind < 35 THEN        -- INVALID_EMAIL: no dotted domain
        email := lower(fname) || '.' || lower(lname) || j || '@mail';
        contact := 50;
    END IF;

    dob := to_char(((base AT TIME ZONE 'UTC')::date - make_interval(years => age))::date
                   - (10 + bench.rnd(j, 22, 340)), 'YYYY-MM-DD');

    p := jsonb_build_object(
        'tracking_id', 'bench-' || i,
        'source', CASE WHEN bench.rnd(i, 23, 100) < 45 THEN 'web_form'
                       WHEN bench.rnd(i, 23, 100) < 70 THEN 'partner_api'
                       WHEN bench.rnd(i, 23, 100) < 85 THEN 'referral'
                       ELSE 'affiliate' END,
        'insurance_type', itype,
        'first_name', fname,
        'last_name', lname,
        'zip_code', zip,
        'state', CASE WHEN bench.rnd(i, 24, 20) = 0 THEN lower(st.code) ELSE st.code END,
        'tcpa_consent', true,
        'consent_at', bench.ts(consent, bench.rnd(i, 25, 5) / 4));
    IF bench.rnd(i, 26, 10) < 8 THEN
        p := p || jsonb_build_object('broker_id', 1 + bench.rnd(i, 27, 3));
    END IF;
    IF contact >= 5 THEN
        p := p || jsonb_build_object('phone', phone);
    END IF;
    IF contact < 5 OR contact >= 10 THEN
        p := p || jsonb_build_object('email', email);
    END IF;
    IF bench.rnd(j, 28, 10) <> 0 THEN
        p := p || jsonb_build_object('city', bench.pick(st.cities, j, 29));
    END IF;
    IF itype IN ('auto', 'life', 'health') OR bench.rnd(j, 30, 10) < 6 THEN
        p := p || jsonb_build_object('date_of_birth', dob);
    END IF;

    IF itype = 'auto' THEN
        nveh := 1 + bench.rnd(j, 31, 3);
        FOR v IN 1 .. nveh LOOP
            veh := veh || jsonb_build_array(
                jsonb_build_object('year', CASE WHEN kind BETWEEN 35 AND 44 AND v = 1 THEN 1975
                                                ELSE 2005 + bench.rnd(j * 8 + v, 32, 21) END,
                                   'make', split_part(bench.pick(cars, j * 8 + v, 33), '/', 1),
                                   'model', split_part(bench.pick(cars, j * 8 + v, 33), '/', 2))
                || CASE WHEN bench.rnd(j, 34, 10) < 6 THEN
                        jsonb_build_object('vin', (SELECT string_agg(substr(vin_chars, 1 + bench.rnd(j * 8 + v, 100 + c, 33), 1), '')
                                                     FROM generate_series(1, 17) AS c))
                   ELSE '{}' END);
        END LOOP;
        p := p || jsonb_build_object('vehicles', veh);
    ELSIF itype = 'home' THEN
        IF kind BETWEEN 35 AND 44 THEN   -- INVALID_PROPERTY: no year_built
            p := p || jsonb_build_object('property', jsonb_build_object('value', 250000));
        ELSE
            p := p || jsonb_build_object('property', jsonb_build_object('year_built', 1920 + bench.rnd(j, 35, 100))
                      || CASE WHEN bench.rnd(j, 36, 10) < 7
                              THEN jsonb_build_object('value', 150000 + 1000 * bench.rnd(j, 37, 1850)) ELSE '{}' END);
        END IF;
    ELSIF itype = 'life' THEN
        p := p || jsonb_build_object('coverage_amount',
                  CASE WHEN kind BETWEEN 35 AND 44 THEN 5000 ELSE 100000 + 50000 * bench.rnd(j, 38, 39) END);
    ELSIF itype = 'commercial' THEN
        p := p || jsonb_build_object('business', jsonb_build_object(
                  'name', lname || ' ' || bench.pick(trades, j, 39),
                  'employees', CASE WHEN kind BETWEEN 35 AND 44 THEN 0 ELSE 1 + bench.rnd(j, 40, 200) END));
    ELSIF kind BETWEEN 35 AND 44 THEN    -- renters, health: MISSING_FIELD (no last name)
        p := p - 'last_name';
    END IF;
    RETURN p;
END;
$$;

-- ---------------------------------------------------------------------
-- What every contender reads
-- ---------------------------------------------------------------------

CREATE TABLE bench.params (n int NOT NULL, warmup int NOT NULL, base timestamptz NOT NULL);
INSERT INTO bench.params VALUES (:n, :warmup, now());

-- The measured leads (ids 1..n) and the warm-up leads (their own block).
CREATE TABLE bench.payloads (id int PRIMARY KEY, payload jsonb NOT NULL);
INSERT INTO bench.payloads
SELECT g, bench.lead_payload(g, (SELECT base FROM bench.params)) FROM generate_series(1, :n) g;
CREATE TABLE bench.warmup (id int PRIMARY KEY, payload jsonb NOT NULL);
INSERT INTO bench.warmup
SELECT g, bench.lead_payload(10000000 + g, (SELECT base FROM bench.params)) FROM generate_series(1, :warmup) g;

-- The measured leads as JSON arrays of 1000, for lead_submit_batch.
CREATE TABLE bench.batches (b int PRIMARY KEY, payloads jsonb NOT NULL);
INSERT INTO bench.batches
SELECT (id - 1) / 1000 + 1, jsonb_agg(payload ORDER BY id) FROM bench.payloads GROUP BY (id - 1) / 1000;
CREATE TABLE bench.warmup_batches (b int PRIMARY KEY, payloads jsonb NOT NULL);
INSERT INTO bench.warmup_batches
SELECT (id - 1) / 1000 + 1, jsonb_agg(payload ORDER BY id) FROM bench.warmup GROUP BY (id - 1) / 1000;

-- The plain-SQL floor: a bare queue and a bare sink.
CREATE TABLE bench.floor_queue (id bigint PRIMARY KEY, payload jsonb NOT NULL);
CREATE TABLE bench.floor_sink (id bigint NOT NULL, payload jsonb NOT NULL);

-- bench.timings, bench.drain() and the contract-writes floor's queue and
-- sessions: drain.sql, shared with the fresh-install database of shape 3.
\ir drain.sql

-- pg_leadgen's verdicts on the measured leads (status, score, reasons, and
-- a digest of every other column that does not hold an id or a time), kept
-- to check the Node peers' rows against them.
CREATE TABLE bench.reference (tracking_id text PRIMARY KEY, status text, quality_score int, rejection_reasons text[],
                              columns text);
CREATE FUNCTION bench.lead_digest(l leadgen.leads) RETURNS text
LANGUAGE sql IMMUTABLE AS $$
    SELECT md5(row(l.external_id, l.broker_id, l.source, l.insurance_type, l.first_name, l.last_name, l.email,
                   l.phone, l.date_of_birth, l.zip_code, l.city, l.state, l.details, l.email_norm,
                   l.phone_norm)::text)
$$;

-- ---------------------------------------------------------------------
-- Helpers of the measurements
-- ---------------------------------------------------------------------

-- The state every measurement starts from: no lead, no event, no
-- assignment, agents empty; then the warm-up leads processed by the
-- workers, so that leads, events and lead_assignments are not empty when
-- the measurement plans its statements (the caller ANALYZEs next).
CREATE PROCEDURE bench.reset()
LANGUAGE plpgsql AS $$
DECLARE
    w record;
    t0 timestamptz := clock_timestamp();
BEGIN
    PERFORM leadgen.queue_pause('leads');
    COMMIT;
    TRUNCATE leadgen.lead_assignments, leadgen.leads, leadgen.events, leadgen.leads_pending,
             leadgen.leads_dead_letter, leadgen.lead_external_ids, bench.floor_queue, bench.floor_sink;
    UPDATE leadgen.agents SET current_lead_count = 0 WHERE current_lead_count <> 0;
    COMMIT;
    FOR w IN SELECT x.payloads FROM bench.warmup_batches x ORDER BY x.b LOOP
        PERFORM leadgen.lead_submit_batch(w.payloads);
    END LOOP;
    PERFORM leadgen.queue_resume('leads');
    COMMIT;
    LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM leadgen.leads_pending ORDER BY priority DESC, id LIMIT 1);
        IF clock_timestamp() - t0 > interval '10 minutes' THEN
            RAISE EXCEPTION 'the warm-up leads were not processed in 10 minutes';
        END IF;
        PERFORM pg_sleep(0.05);
        COMMIT;
    END LOOP;
END;
$$;

-- Wait until the pending queue is empty (no timing).
CREATE PROCEDURE bench.wait_empty(timeout interval DEFAULT '10 minutes')
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
BEGIN
    LOOP
        EXIT WHEN NOT EXISTS (SELECT 1 FROM leadgen.leads_pending ORDER BY priority DESC, id LIMIT 1);
        IF clock_timestamp() - t0 > timeout THEN
            RAISE EXCEPTION 'the queue was not drained in %', timeout;
        END IF;
        PERFORM pg_sleep(0.02);
        COMMIT;
    END LOOP;
END;
$$;

-- One session of the plain-SQL floor: claim 100 rows with SKIP LOCKED,
-- delete them and insert them into the sink in one statement, commit,
-- until the queue is empty. The ids are taken once as an array, as
-- pg_leadgen's claim takes them ("id IN (subquery)" can be planned as a
-- semi join that runs the LIMIT subquery again per row).
CREATE PROCEDURE bench.floor_drain(label text, session int, batch int DEFAULT 100)
LANGUAGE plpgsql AS $$
DECLARE
    t0 timestamptz := clock_timestamp();
    moved bigint := 0;
    k bigint;
BEGIN
    LOOP
        WITH c AS (
            DELETE FROM bench.floor_queue q
             WHERE q.id = ANY (ARRAY(SELECT x.id FROM bench.floor_queue x ORDER BY x.id LIMIT batch FOR UPDATE SKIP LOCKED))
            RETURNING q.id, q.payload
        ), i AS (
            INSERT INTO bench.floor_sink SELECT c.id, c.payload FROM c RETURNING 1
        )
        SELECT count(*) INTO k FROM i;
        COMMIT;
        EXIT WHEN k = 0;
        moved := moved + k;
    END LOOP;
    INSERT INTO bench.timings VALUES (label, session, t0, clock_timestamp(), moved);
END;
$$;

RESET client_min_messages;
