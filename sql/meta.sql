-- META.json, the control file and the installed extension agree on the
-- version, and META.json carries what PGXN needs.
\getenv abs_srcdir PG_ABS_SRCDIR
\set meta_path :abs_srcdir '/META.json'
\set control_path :abs_srcdir '/pg_leadgen.control'

-- read by psql, not by the server: the server may not see the checkout
\set meta `cat :'meta_path'`
\set control `cat :'control_path'`
SELECT substring(:'control' FROM 'default_version\s*=\s*''([^'']+)''') AS control_version \gset

SELECT :'meta'::jsonb->>'name' AS name,
       :'meta'::jsonb->'meta-spec'->>'version' AS meta_spec,
       (:'meta'::jsonb->>'version') = :'control_version' AS meta_matches_control,
       (:'meta'::jsonb->'provides'->'pg_leadgen'->>'version') = :'control_version' AS provides_matches_control,
       :'control_version' = leadgen.version() AS installed_matches_control,
       length(:'meta'::jsonb->>'abstract') > 0 AS has_abstract;

SELECT key AS prereq
  FROM jsonb_each(:'meta'::jsonb->'prereqs'->'runtime'->'requires')
 ORDER BY 1;

-- The versioned install script for the control's version is installed.
SELECT count(*) AS install_scripts
  FROM pg_available_extension_versions
 WHERE name = 'pg_leadgen' AND version = :'control_version';
