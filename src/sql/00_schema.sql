-- Schema-wide settings and sequences.
--
-- The extension lives in schema leadgen (relocatable = false). Every object
-- below is created there; PUBLIC gets nothing (see 90_roles.sql).

COMMENT ON SCHEMA @extschema@ IS 'pg_leadgen: insurance lead pipeline and performance toolkit';

-- One sequence numbers a lead for good: the pending row, the lead row, its
-- assignment and its events all carry the id it hands out.
CREATE SEQUENCE @extschema@.lead_id_seq AS bigint;
CREATE SEQUENCE @extschema@.event_id_seq AS bigint;

-- The insurance types pg_leadgen supports: the one list in SQL (the one
-- in C is validate.c's). The domain, the tables' checks and the API's
-- configuration read it.
CREATE FUNCTION @extschema@.insurance_types() RETURNS text[]
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT ARRAY['auto', 'home', 'renters', 'life', 'health', 'commercial']
$$;

-- Value domains shared by several tables.
CREATE DOMAIN @extschema@.insurance_type AS text
    CHECK (VALUE = ANY (@extschema@.insurance_types()));

CREATE DOMAIN @extschema@.us_state AS text
    CHECK (VALUE IN ('AL','AK','AZ','AR','CA','CO','CT','DE','DC','FL','GA','HI','ID','IL',
                     'IN','IA','KS','KY','LA','ME','MD','MA','MI','MN','MS','MO','MT','NE',
                     'NV','NH','NJ','NM','NY','NC','ND','OH','OK','OR','PA','RI','SC','SD',
                     'TN','TX','UT','VT','VA','WA','WV','WI','WY'));
