-- What pg_leadgen installed in this database and cluster, one line per fact,
-- so that two installs can be compared line by line (test/t/004_upgrade.pl:
-- a fresh install against one updated from an earlier version).
--
-- Facts: the extension (version, configuration tables and their dump
-- conditions, members), every function (definition, owner, privileges,
-- comment), relation (kind, owner, privileges, options, partitioning),
-- column, constraint, index, trigger, policy, view, type and sequence of
-- the schema, the schema's own owner and privileges, default privileges,
-- the leadgen_* roles (attributes, memberships, settings), pg_partman's
-- configuration of pg_leadgen's tables, and the rows of the configuration
-- tables CREATE EXTENSION fills. Nothing that changes with time or with
-- the order of creation (OIDs, timestamps, counters) is printed.
\set ON_ERROR_STOP 1
\set QUIET 1
\pset format unaligned
\pset footer off
\pset tuples_only on
SET search_path = pg_catalog;

WITH ext AS (SELECT * FROM pg_extension WHERE extname = 'pg_leadgen'),
     ns AS (SELECT extnamespace AS oid FROM ext),
facts(kind, fact) AS (
    SELECT 'extension', format('version=%s relocatable=%s schema=%s', extversion, extrelocatable, extnamespace::regnamespace)
      FROM ext
    UNION ALL
    SELECT 'config', format('%s condition=%s', c::regclass, coalesce(cond, ''))
      FROM ext, unnest(extconfig, extcondition) AS u(c, cond)
    UNION ALL
    SELECT 'member', pg_describe_object(d.classid, d.objid, d.objsubid)
      FROM pg_depend d, ext
     WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'
    UNION ALL
    SELECT 'function', format('%s kind=%s owner=%s acl=%s def=%s comment=%s', p.oid::regprocedure, p.prokind,
                              p.proowner::regrole, p.proacl,
                              CASE WHEN p.prokind = 'a' THEN
                                       (SELECT format('sfunc=%s stype=%s finalfunc=%s init=%s', a.aggtransfn, a.aggtranstype::regtype,
                                                      a.aggfinalfn, a.agginitval)
                                          FROM pg_aggregate a WHERE a.aggfnoid = p.oid)
                                   ELSE md5(pg_get_functiondef(p.oid)) END,
                              md5(coalesce(obj_description(p.oid, 'pg_proc'), '')))
      FROM pg_proc p, ns WHERE p.pronamespace = ns.oid
    UNION ALL
    SELECT 'relation', format('%s kind=%s owner=%s acl=%s persistence=%s options=%s rls=%s/%s partkey=%s bound=%s comment=%s',
                              c.oid::regclass, c.relkind, c.relowner::regrole, c.relacl, c.relpersistence, c.reloptions,
                              c.relrowsecurity, c.relforcerowsecurity,
                              CASE WHEN c.relkind = 'p' THEN pg_get_partkeydef(c.oid) END,
                              pg_get_expr(c.relpartbound, c.oid),
                              md5(coalesce(obj_description(c.oid, 'pg_class'), '')))
      FROM pg_class c, ns WHERE c.relnamespace = ns.oid AND c.relkind NOT IN ('i', 'I')
    UNION ALL
    SELECT 'column', format('%s.%s %s notnull=%s default=%s identity=%s generated=%s acl=%s',
                            c.oid::regclass, a.attname, format_type(a.atttypid, a.atttypmod), a.attnotnull,
                            pg_get_expr(ad.adbin, ad.adrelid), a.attidentity, a.attgenerated, a.attacl)
      FROM pg_class c JOIN ns ON c.relnamespace = ns.oid
      JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
      LEFT JOIN pg_attrdef ad ON ad.adrelid = c.oid AND ad.adnum = a.attnum
     WHERE c.relkind IN ('r', 'p', 'v', 'm', 'c', 'f', 'u')
    UNION ALL
    SELECT 'constraint', format('%s %s %s validated=%s deferrable=%s/%s', coalesce(co.conrelid::regclass::text, co.contypid::regtype::text),
                                co.conname, pg_get_constraintdef(co.oid), co.convalidated, co.condeferrable, co.condeferred)
      FROM pg_constraint co, ns WHERE co.connamespace = ns.oid
    UNION ALL
    SELECT 'index', pg_get_indexdef(i.indexrelid)
      FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid JOIN ns ON c.relnamespace = ns.oid
    UNION ALL
    SELECT 'trigger', pg_get_triggerdef(t.oid) || ' enabled=' || t.tgenabled::text
      FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid JOIN ns ON c.relnamespace = ns.oid
     WHERE NOT t.tgisinternal
    UNION ALL
    SELECT 'policy', format('%s %s %s roles=%s using=%s check=%s', pol.polrelid::regclass, pol.polname, pol.polcmd,
                            pol.polroles::regrole[], pg_get_expr(pol.polqual, pol.polrelid), pg_get_expr(pol.polwithcheck, pol.polrelid))
      FROM pg_policy pol JOIN pg_class c ON c.oid = pol.polrelid JOIN ns ON c.relnamespace = ns.oid
    UNION ALL
    SELECT 'view', format('%s %s', c.oid::regclass, md5(pg_get_viewdef(c.oid)))
      FROM pg_class c, ns WHERE c.relnamespace = ns.oid AND c.relkind IN ('v', 'm')
    UNION ALL
    SELECT 'type', format('%s type=%s base=%s notnull=%s default=%s owner=%s acl=%s', t.oid::regtype, t.typtype,
                          CASE WHEN t.typtype = 'd' THEN format_type(t.typbasetype, t.typtypmod) END,
                          t.typnotnull, t.typdefault, t.typowner::regrole, t.typacl)
      FROM pg_type t, ns
     WHERE t.typnamespace = ns.oid AND t.typtype IN ('d', 'e', 'b', 'r')
    UNION ALL
    SELECT 'sequence', format('%s type=%s start=%s inc=%s min=%s max=%s cache=%s cycle=%s', s.seqrelid::regclass, s.seqtypid::regtype,
                              s.seqstart, s.seqincrement, s.seqmin, s.seqmax, s.seqcache, s.seqcycle)
      FROM pg_sequence s JOIN pg_class c ON c.oid = s.seqrelid JOIN ns ON c.relnamespace = ns.oid
    UNION ALL
    SELECT 'schema', format('%s owner=%s acl=%s', n.nspname, n.nspowner::regrole, n.nspacl)
      FROM pg_namespace n, ns WHERE n.oid = ns.oid
    UNION ALL
    SELECT 'default-acl', format('%s %s %s %s', d.defaclrole::regrole, d.defaclnamespace::regnamespace, d.defaclobjtype, d.defaclacl)
      FROM pg_default_acl d
    UNION ALL
    SELECT 'role', format('%s super=%s inherit=%s createrole=%s createdb=%s login=%s replication=%s bypassrls=%s connlimit=%s',
                          r.rolname, r.rolsuper, r.rolinherit, r.rolcreaterole, r.rolcreatedb, r.rolcanlogin,
                          r.rolreplication, r.rolbypassrls, r.rolconnlimit)
      FROM pg_roles r WHERE r.rolname LIKE 'leadgen\_%'
    UNION ALL
    SELECT 'membership', format('%s in %s admin=%s', m.member::regrole, m.roleid::regrole, m.admin_option)
      FROM pg_auth_members m
     WHERE m.member::regrole::text LIKE 'leadgen\_%' OR m.roleid::regrole::text LIKE 'leadgen\_%'
    UNION ALL
    SELECT 'role-setting', format('%s %s', s.setrole::regrole, s.setconfig)
      FROM pg_db_role_setting s WHERE s.setrole::regrole::text LIKE 'leadgen\_%'
)
SELECT kind || ': ' || fact FROM facts ORDER BY 1;

-- Configuration rows CREATE EXTENSION writes.
SELECT format('queue: %s paused=%s', name, paused) FROM leadgen.queues ORDER BY name;
SELECT 'scoring-weight: ' || w::text FROM leadgen.scoring_weights w ORDER BY 1;
SELECT format('job: %s schedule=%s tz=%s command=%s owner=%s paused=%s once=%s', name, schedule, timezone, command, owner, paused, once)
  FROM leadgen.jobs ORDER BY name;
SELECT 'partitioned-table: ' || t::text FROM leadgen.partitioned_tables t ORDER BY 1;
SELECT format('SELECT %L || (to_jsonb(c) - %L)::text FROM %I.part_config c WHERE parent_table LIKE %L ORDER BY parent_table',
              'partman: ', 'last_partition', leadgen.partman_schema(), 'leadgen.%') \gexec
