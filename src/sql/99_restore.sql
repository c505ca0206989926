-- A restore (CREATE EXTENSION only: not part of the update scripts).
-- pg_dump's output (plain, or through pg_restore) runs CREATE EXTENSION,
-- then creates leads, events, their partitions, lead_assignments and
-- pg_partman's template tables itself, as the dumped database had them
-- (98_dump.sql: they are not members of the extension), with their rows,
-- then their keys and indexes; pg_partman's configuration rows of them come
-- with pg_partman's own configuration table. What this script made of
-- those would collide, so here it goes again. The workers wait until the
-- restore has made the foreign key of lead_assignments (worker.c,
-- LeadgenDatabaseReady).
--
-- A CREATE EXTENSION run by hand with row_security off (restoring_dump())
-- makes no lead tables either: DROP EXTENSION pg_leadgen and create it
-- again with the setting on.
DO $restore$
DECLARE
    r record;
BEGIN
    IF @extschema@.restoring_dump() AND NOT EXISTS (SELECT 1 FROM @extschema@.leads) THEN
        FOR r IN EXECUTE format('SELECT c.template_table FROM %I.part_config c'
                                ' JOIN @extschema@.partitioned_tables t USING (parent_table)'
                                ' WHERE c.template_table IS NOT NULL', @extschema@.partman_schema()) LOOP
            EXECUTE format('DROP TABLE %s', r.template_table);
        END LOOP;
        PERFORM @extschema@.prepare_restore();
        DROP TABLE @extschema@.lead_assignments, @extschema@.leads, @extschema@.events;
    END IF;
END;
$restore$;
