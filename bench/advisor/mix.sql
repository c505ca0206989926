-- The query mix of bench/advisor: lookups pgbench's schema has no index
-- for (an application's reports and screens next to pgbench's own
-- transactions).
\set aid random(1, 100000 * :scale)
\set bal random(-100000, 100000)
\set tid random(1, 10 * :scale)
SELECT aid, bid FROM pgbench_accounts WHERE abalance = :bal;
SELECT count(*) FROM pgbench_history WHERE aid = :aid;
SELECT count(*) FROM pgbench_history WHERE mtime > now() - interval '5 minutes';
SELECT sum(delta) FROM pgbench_history WHERE tid = :tid AND delta > 4000;
