-- docs/SECURITY.md lists every SECURITY DEFINER function with its owner;
-- the page and the catalog agree (a function added, removed, or owned by
-- another role than the page says shows here).
\getenv abs_srcdir PG_ABS_SRCDIR
\set doc_path :abs_srcdir '/docs/SECURITY.md'
-- read by psql, not by the server: the server may not see the checkout
\set doc `cat :'doc_path'`
CREATE TEMP TABLE documented AS
SELECT m[1] AS fn, m[2] AS owner
  FROM regexp_matches(:'doc', E'\\n\\| `(leadgen\\.[a-z_]+\\([^)]*\\))` \\| `([^`]+)` \\|', 'g') m;
CREATE TEMP TABLE in_catalog AS
SELECT p.oid::regprocedure::text AS fn, CASE WHEN r.rolsuper THEN '(superuser)' ELSE r.rolname::text END AS owner
  FROM pg_proc p JOIN pg_roles r ON r.oid = p.proowner
 WHERE p.pronamespace = 'leadgen'::regnamespace AND p.prosecdef;
SELECT count(*) > 50 AS the_page_lists_them FROM documented;
SELECT 'in the catalog, not on the page' AS problem, fn, owner FROM (SELECT * FROM in_catalog EXCEPT SELECT * FROM documented) x
UNION ALL
SELECT 'on the page, not in the catalog', fn, owner FROM (SELECT * FROM documented EXCEPT SELECT * FROM in_catalog) y
ORDER BY 2, 1;
