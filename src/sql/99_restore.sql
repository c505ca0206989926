-- A restore (CREATE EXTENSION only: not part of the update scripts).
-- pg_dump's output (plain, or through pg_restore) runs CREATE EXTENSION,
-- then creates leads, events,
-- their partitions and lead_assignments itself, as the dumped database had
-- them (20_partitions.sql: they are not members of the extension), with
-- their rows, then their keys and indexes. The tables made above would
-- collide with those, so here they go again; pg_partman's configuration
-- of them was not made (20_partitions.sql) and comes with the dump too.
-- The workers wait until the restore has made the foreign key of
-- lead_assignments (worker.c, LeadgenDatabaseReady).
--
-- A CREATE EXTENSION run by hand with row_security off (restoring_dump())
-- makes no lead tables either: DROP EXTENSION pg_leadgen and create it
-- again with the setting on.
DO $restore$
BEGIN
    IF @extschema@.restoring_dump()
       AND NOT EXISTS (SELECT 1 FROM @extschema@.leads) THEN
        DROP TABLE @extschema@.lead_assignments, @extschema@.leads, @extschema@.events;
    END IF;
END;
$restore$;
