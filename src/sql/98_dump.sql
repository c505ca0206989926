-- Whether CREATE EXTENSION runs inside a restore of pg_dump's output (plain,
-- or through pg_restore), which brings the lead tables itself (99_restore.sql).
-- PostgreSQL runs an extension script with check_function_bodies off and
-- its own search_path whatever the session set, so of the settings a dump
-- begins with only row_security = off shows through (pg_dump writes it
-- unless given --enable-row-security); a session that creates the
-- extension rarely has it off otherwise.
CREATE FUNCTION @extschema@.restoring_dump() RETURNS boolean
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT pg_catalog.current_setting('row_security') = 'off'
$$;
COMMENT ON FUNCTION @extschema@.restoring_dump() IS
    'Whether this session runs a restore of pg_dump''s output (row_security off): CREATE EXTENSION then leaves the lead tables to the dump';
REVOKE ALL ON FUNCTION @extschema@.restoring_dump() FROM PUBLIC;
GRANT EXECUTE ON FUNCTION @extschema@.restoring_dump() TO leadgen_admin;

-- pg_dump and the lead tables. Every object an extension script creates is
-- a member of the extension, and pg_dump writes neither the definition nor
-- the rows of a member table unless it is registered as configuration; the
-- rows of a configuration table are loaded into the table CREATE EXTENSION
-- makes, before the dump's own statements run after it. A partitioned
-- table cannot be restored that way: its months differ from one database
-- to the next, and a dump's partitions, attached to a parent that already
-- has its indexes, collide with the indexes PostgreSQL makes for them. So
-- leads, events, their partitions, lead_assignments (whose foreign key
-- references leads) and pg_partman's template tables leave the extension:
-- pg_dump writes them as it writes a user's tables (the definitions, then
-- the rows, then the keys and indexes), pg_partman's configuration rows
-- with them, and the partitions the maintenance makes later are alike.
-- This runs last, in CREATE EXTENSION and in the update from 0.1.0:
-- leaving the extension also forgets the privileges the script granted
-- as the "initial" ones (pg_init_privs), which pg_dump would not write;
-- a GRANT after it would record them again. A restore then drops the
-- tables CREATE EXTENSION made (99_restore.sql).
DO $dump$
DECLARE
    r record;
BEGIN
    FOR r IN EXECUTE format(
        'SELECT d.objid::regclass::text AS rel, c.relkind
           FROM pg_catalog.pg_depend d JOIN pg_catalog.pg_class c ON c.oid = d.objid
          WHERE d.classid = ''pg_catalog.pg_class''::regclass AND d.deptype = ''e''
            AND d.refclassid = ''pg_catalog.pg_extension''::regclass
            AND d.refobjid = (SELECT oid FROM pg_catalog.pg_extension WHERE extname = ''pg_leadgen'')
            AND (d.objid IN (''@extschema@.leads''::regclass, ''@extschema@.events''::regclass,
                             ''@extschema@.lead_assignments''::regclass, ''@extschema@.lead_assignments_id_seq''::regclass)
                 OR d.objid IN (SELECT inhrelid FROM pg_catalog.pg_inherits
                                 WHERE inhparent IN (''@extschema@.leads''::regclass, ''@extschema@.events''::regclass))
                 OR d.objid IN (SELECT pc.template_table::regclass FROM %I.part_config pc
                                  JOIN @extschema@.partitioned_tables t USING (parent_table)
                                 WHERE pc.template_table IS NOT NULL))
          ORDER BY c.relkind = ''S'', 1', @extschema@.partman_schema()) LOOP
        EXECUTE format('ALTER EXTENSION pg_leadgen DROP %s %s',
                       CASE WHEN r.relkind = 'S' THEN 'SEQUENCE' ELSE 'TABLE' END, r.rel);
    END LOOP;
END;
$dump$;
