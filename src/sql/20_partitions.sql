-- Monthly partitions through pg_partman.
--
-- pg_partman is called with named arguments only, and its major version is
-- detected: 4.x wants p_type 'native', 5.x wants 'range' (and names its
-- children differently). Month boundaries are computed in UTC, whatever the
-- session's TimeZone, so that every worker and every session agree on them.

-- The schema an extension was installed in (NULL when it is not
-- installed): CASCADE puts the extensions pg_leadgen requires in the first
-- schema of search_path, and a DBA may have put them elsewhere.
CREATE FUNCTION @extschema@.extension_schema(extension name) RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT n.nspname
      FROM pg_catalog.pg_extension e
      JOIN pg_catalog.pg_namespace n ON n.oid = e.extnamespace
     WHERE e.extname = extension
$$;

CREATE FUNCTION @extschema@.partman_schema() RETURNS name
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT @extschema@.extension_schema('pg_partman')
$$;

CREATE FUNCTION @extschema@.partman_major_version() RETURNS integer
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT split_part(extversion, '.', 1)::integer
      FROM pg_catalog.pg_extension WHERE extname = 'pg_partman'
$$;

-- The partitioned tables of pg_leadgen and how far ahead they are premade.
CREATE TABLE @extschema@.partitioned_tables (
    parent_table  text PRIMARY KEY,
    control       text NOT NULL,
    premake       integer NOT NULL DEFAULT 4 CHECK (premake BETWEEN 1 AND 60)
);
INSERT INTO @extschema@.partitioned_tables (parent_table, control) VALUES
    ('@extschema@.leads', 'created_at'),
    ('@extschema@.events', 'timestamp');

-- Forgets pg_partman's configuration rows of pg_leadgen's tables, in a
-- database whose lead tables are empty. CREATE EXTENSION calls it for the
-- rows a previous DROP EXTENSION left behind, and in a restore
-- (99_restore.sql), whose dump brings those rows back with pg_partman's
-- configuration table. (0.1.0's restore procedure called it by hand.)
CREATE FUNCTION @extschema@.prepare_restore() RETURNS bigint
LANGUAGE plpgsql SET search_path = pg_catalog, pg_temp AS $$
DECLARE
    v_partman name := @extschema@.partman_schema();
    v_n bigint;
BEGIN
    IF EXISTS (SELECT 1 FROM @extschema@.leads) OR EXISTS (SELECT 1 FROM @extschema@.events) THEN
        RAISE EXCEPTION 'leadgen.leads or leadgen.events has rows: prepare_restore() is for a new database'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Restore into a database where CREATE EXTENSION pg_leadgen has just run.';
    END IF;
    EXECUTE format('DELETE FROM %I.part_config WHERE parent_table IN (SELECT parent_table FROM @extschema@.partitioned_tables)',
                   v_partman);
    GET DIAGNOSTICS v_n = ROW_COUNT;
    RETURN v_n;
END;
$$;
COMMENT ON FUNCTION @extschema@.prepare_restore() IS
    'Before loading the rows of a dump into a new database: forget pg_partman''s configuration of pg_leadgen''s tables (the dump brings it back)';

DO $partitions$
DECLARE
    v_partman  name := @extschema@.partman_schema();
    v_major    integer := @extschema@.partman_major_version();
    v_tz       text := current_setting('TimeZone');
    r          record;
BEGIN
    IF v_partman IS NULL THEN
        RAISE EXCEPTION 'extension "pg_partman" is not installed'
            USING ERRCODE = 'object_not_in_prerequisite_state',
                  HINT = 'Use CREATE EXTENSION pg_leadgen CASCADE.';
    END IF;
    IF v_major NOT IN (4, 5) THEN
        RAISE EXCEPTION 'pg_partman major version % is not supported', v_major
            USING ERRCODE = 'feature_not_supported',
                  HINT = 'pg_leadgen works with pg_partman 4.x and 5.x.';
    END IF;
    -- A previous DROP EXTENSION leaves pg_partman's configuration rows
    -- behind; they would make create_parent refuse.
    PERFORM @extschema@.prepare_restore();
    PERFORM pg_catalog.set_config('TimeZone', 'UTC', true);
    FOR r IN SELECT * FROM @extschema@.partitioned_tables ORDER BY parent_table LOOP
        IF v_major = 4 THEN
            EXECUTE format('SELECT %I.create_parent(p_parent_table := $1, p_control := $2, p_type := %L,'
                           ' p_interval := %L, p_premake := $3, p_jobmon := false)',
                           v_partman, 'native', '1 month')
                USING r.parent_table, r.control, r.premake;
        ELSE
            EXECUTE format('SELECT %I.create_parent(p_parent_table := $1, p_control := $2, p_type := %L,'
                           ' p_interval := %L, p_premake := $3, p_default_table := true, p_jobmon := false)',
                           v_partman, 'range', '1 month')
                USING r.parent_table, r.control, r.premake;
        END IF;
        -- pg_leadgen's workers own the maintenance schedule of these tables
        -- (leadgen.run_maintenance, which also empties the default
        -- partition: pg_partman's own run refuses to proceed while it holds
        -- rows). A pg_partman background worker must not race them, and the
        -- configuration rows a DROP EXTENSION leaves behind stay inert.
        EXECUTE format('UPDATE %I.part_config SET infinite_time_partitions = true, premake = $2,'
                       ' automatic_maintenance = ''off'' WHERE parent_table = $1', v_partman)
            USING r.parent_table, r.premake;
    END LOOP;
    PERFORM pg_catalog.set_config('TimeZone', v_tz, true);
END;
$partitions$;

-- Partition maintenance for pg_leadgen's tables: premake the months ahead
-- (even when no row has arrived for a while: infinite_time_partitions), and
-- move rows that landed in a default partition into monthly children,
-- creating those as needed. The workers run it every
-- leadgen.maintenance_interval; it is safe to call by hand at any time.
-- Returns, per table, the number of rows moved out of the default partition.
--
-- Moving a row out of the default partition deletes it there and inserts
-- it in the new child. PostgreSQL checks a foreign key that references a
-- partitioned table partition by partition, so a lead with an assignment
-- cannot be moved while lead_assignments' foreign key exists, deferred or
-- not. When the default partition holds rows, the foreign keys that
-- reference the table are therefore dropped for the move and added back,
-- validated, in the same transaction: nothing can see the table without
-- them, and the move is all or nothing. That path takes a SHARE ROW
-- EXCLUSIVE lock on the referencing tables until commit; it runs only when
-- rows dated outside every premade month arrived.
--
-- SECURITY DEFINER: leadgen_admin may run maintenance without owning the
-- tables or pg_partman's configuration. Call it through run_maintenance().
CREATE FUNCTION @extschema@.maintain_partitions() RETURNS TABLE (parent_table text, rows_moved bigint)
LANGUAGE plpgsql SECURITY DEFINER SET search_path = pg_catalog, pg_temp SET TimeZone = 'UTC' AS $$
DECLARE
    v_partman   name := @extschema@.partman_schema();
    v_default   regclass;
    v_has_rows  boolean;
    v_fks       jsonb;
    r           record;
    fk          jsonb;
BEGIN
    IF v_partman IS NULL THEN
        RAISE EXCEPTION 'extension "pg_partman" is not installed'
            USING ERRCODE = 'object_not_in_prerequisite_state';
    END IF;
    FOR r IN SELECT t.parent_table FROM @extschema@.partitioned_tables t ORDER BY 1 LOOP
        parent_table := r.parent_table;
        rows_moved := 0;
        SELECT p.partition INTO v_default
          FROM @extschema@.partitions(r.parent_table::regclass) p WHERE p.is_default;
        v_has_rows := false;
        IF v_default IS NOT NULL THEN
            EXECUTE format('SELECT EXISTS (SELECT 1 FROM %s)', v_default) INTO v_has_rows;
        END IF;
        -- Rows in the default partition first: pg_partman refuses to create
        -- a child whose range already has rows there.
        IF v_has_rows THEN
            SELECT coalesce(jsonb_agg(jsonb_build_object('name', con.conname,
                                                         'tbl', con.conrelid::regclass::text,
                                                         'def', pg_get_constraintdef(con.oid))
                                      ORDER BY con.conname), '[]')
              INTO v_fks
              FROM pg_catalog.pg_constraint con
             WHERE con.contype = 'f' AND con.confrelid = r.parent_table::regclass
               AND con.conparentid = 0;
            FOR fk IN SELECT jsonb_array_elements(v_fks) LOOP
                EXECUTE format('ALTER TABLE %s DROP CONSTRAINT %I', fk->>'tbl', fk->>'name');
            END LOOP;
            EXECUTE format('SELECT %I.partition_data_time(p_parent_table := $1, p_batch_count := 100000, p_analyze := false)',
                           v_partman)
                INTO rows_moved USING r.parent_table;
            rows_moved := coalesce(rows_moved, 0);
            -- pg_partman stages the moved rows in a temporary table that lives
            -- until commit; the next table's rows have other columns.
            DROP TABLE IF EXISTS pg_temp.partman_temp_data_storage;
            FOR fk IN SELECT jsonb_array_elements(v_fks) LOOP
                EXECUTE format('ALTER TABLE %s ADD CONSTRAINT %I %s', fk->>'tbl', fk->>'name', fk->>'def');
            END LOOP;
        END IF;
        EXECUTE format('SELECT %I.run_maintenance(p_parent_table := $1, p_jobmon := false)', v_partman)
            USING r.parent_table;
        RETURN NEXT;
    END LOOP;
END;
$$;

-- pg_partman's functions set search_path for the whole session
-- (set_config(..., false)) and put back the value they found, which inside
-- maintain_partitions() is its own pinned path: a SET clause cannot contain
-- that. run_maintenance() keeps the caller's search_path and restores it.
CREATE FUNCTION @extschema@.run_maintenance() RETURNS TABLE (parent_table text, rows_moved bigint)
LANGUAGE plpgsql AS $$
DECLARE
    v_search_path text := pg_catalog.current_setting('search_path');
BEGIN
    RETURN QUERY SELECT m.parent_table, m.rows_moved FROM @extschema@.maintain_partitions() m;
    PERFORM pg_catalog.set_config('search_path', v_search_path, false);
END;
$$;

-- The partitions of a pg_leadgen table with their ranges, oldest first; the
-- default partition last.
CREATE FUNCTION @extschema@.partitions(parent regclass)
RETURNS TABLE (partition regclass, range_from timestamptz, range_to timestamptz, is_default boolean)
LANGUAGE sql STABLE SET search_path = pg_catalog, pg_temp AS $$
    SELECT c.oid::regclass,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'FROM \(''([^'']+)''\)'))[1]::timestamptz,
           (regexp_match(pg_get_expr(c.relpartbound, c.oid), 'TO \(''([^'']+)''\)'))[1]::timestamptz,
           pg_get_expr(c.relpartbound, c.oid) = 'DEFAULT'
      FROM pg_catalog.pg_inherits i
      JOIN pg_catalog.pg_class c ON c.oid = i.inhrelid
     WHERE i.inhparent = parent
     ORDER BY 4, 2
$$;

-- leads, events, their partitions and pg_partman's template tables leave
-- the extension at the end of the script (98_dump.sql), so that pg_dump
-- writes them whole.
