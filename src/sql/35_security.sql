-- Security helpers (security.c, archive.c): which tables pg_leadgen's table
-- functions serve, and to whom; SQL a user wrote, run as that user.

-- tbl, unless it is one of PostgreSQL's catalogs (pg_catalog,
-- information_schema, pg_toast), a table of another extension, or a table
-- on which role lacks one of privileges (SELECT, INSERT, UPDATE, DELETE,
-- comma-separated). A NULL role is the calling role: the session's (after
-- SET ROLE; a job's owner in a job), also when a SECURITY DEFINER function
-- asks.
CREATE FUNCTION @extschema@.table_check(tbl regclass, role regrole DEFAULT NULL, privileges text DEFAULT 'SELECT')
RETURNS regclass
    AS 'MODULE_PATHNAME', 'pg_leadgen_table_check'
    LANGUAGE C STABLE;
COMMENT ON FUNCTION @extschema@.table_check(regclass, regrole, text) IS
    'The table, unless it is a system catalog, another extension''s table, or one the role may not use so';

-- The owner of a row written now (a job, an archive policy), whose rights
-- its SQL runs with: the writing role, unless a superuser writes it, who
-- may name another.
CREATE FUNCTION @extschema@.writer_owner(requested name) RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT CASE WHEN (SELECT rolsuper FROM pg_catalog.pg_roles WHERE rolname = current_user)
                THEN requested ELSE current_user END
$$;

-- One statement run as role, in a security-restricted operation (no
-- temporary tables, SET ROLE, PREPARE, LISTEN...), with search_path =
-- pg_catalog, pg_temp; its first row as a JSON object. Only its owner may
-- call it (pg_leadgen's SECURITY DEFINER functions): 90_roles.sql grants
-- it to no one, and the C code refuses any other caller.
CREATE FUNCTION @extschema@.run_as(role regrole, statement text) RETURNS jsonb
    AS 'MODULE_PATHNAME', 'pg_leadgen_run_as'
    LANGUAGE C STRICT VOLATILE;

-- An archive policy's predicate, checked (archive.c): one boolean
-- expression over the columns of tbl that owner may read, with built-in
-- immutable operators and functions and the time functions; nothing that
-- reads other rows, tables or the server. Returns the text to run (deparsed
-- from the checked expression). Only owner itself, a superuser, or the
-- function's owner may check as owner.
CREATE FUNCTION @extschema@.archive_predicate_check(tbl regclass, predicate text, owner regrole) RETURNS text
    AS 'MODULE_PATHNAME', 'pg_leadgen_archive_predicate_check'
    LANGUAGE C STRICT VOLATILE;
COMMENT ON FUNCTION @extschema@.archive_predicate_check(regclass, text, regrole) IS
    'Check an archive policy''s predicate as its owner; returns the expression to run';
