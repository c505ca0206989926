-- Security helpers (security.c): which tables pg_leadgen's table functions
-- serve, and to whom.

-- tbl, unless it is one of PostgreSQL's catalogs (pg_catalog,
-- information_schema, pg_toast), a table of another extension, or a table
-- the calling role may not read (SELECT). The calling role is the
-- session's (after SET ROLE; a job's owner in a job), also when a SECURITY
-- DEFINER function asks.
CREATE FUNCTION @extschema@.table_check(tbl regclass) RETURNS regclass
    AS 'MODULE_PATHNAME', 'pg_leadgen_table_check'
    LANGUAGE C STRICT STABLE;
COMMENT ON FUNCTION @extschema@.table_check(regclass) IS
    'The table, unless it is a system catalog, another extension''s table, or one the calling role may not read';
