'use strict';
// Checks the Node port of the lead rules (rules.js) against pg_leadgen on
// the edge cases of sql/rule_cases.sql, which pg_leadgen has processed:
// every case must get the same rejection reasons, in the same order, and
// the same score (duplicates, scored 0 by both, compare their reasons
// only). Each case is judged at its lead's processed_at. Prints one JSON
// line; exits 1 on any difference.

const pg = require('pg');
const rules = require('./rules');
const { connectionConfig } = require('./handler');

async function main() {
  const db = new pg.Client(connectionConfig(1));
  await db.connect();
  const coverage = new Set((await db.query(`
    SELECT DISTINCT upper(s.st) || ':' || lower(t.ty) AS key
      FROM leadgen.carriers c, unnest(c.states) s(st), unnest(c.insurance_types) t(ty)
     WHERE c.is_active`)).rows.map((r) => r.key));
  const weights = rules.weightsFromRows((await db.query('SELECT component, points FROM leadgen.scoring_weights')).rows);
  const cases = (await db.query(`
    SELECT c.label, c.payload, l.status, l.quality_score, l.rejection_reasons,
           (extract(epoch FROM l.processed_at) * 1000000)::bigint AS now_us
      FROM bench.rule_cases c
      LEFT JOIN leadgen.leads l ON l.details->>'tracking_id' = c.payload->>'tracking_id'
     ORDER BY c.n`)).rows;
  await db.end();

  const diffs = [];
  for (const c of cases) {
    if (c.status === null) {
      diffs.push({ label: c.label, problem: 'not processed by pg_leadgen' });
      continue;
    }
    const v = rules.validate(c.payload, Number(c.now_us), (s, t) => coverage.has(`${s}:${t}`), weights);
    const pgReasons = c.rejection_reasons.join(',');
    const jsReasons = v.reasons.join(',');
    const scored = c.status === 'assigned' || c.status === 'qualified';
    if (pgReasons !== jsReasons || (scored && v.score !== c.quality_score)) {
      diffs.push({
        label: c.label,
        pg_leadgen: { status: c.status, score: c.quality_score, reasons: c.rejection_reasons },
        rules_js: { score: v.score, reasons: v.reasons },
      });
    }
  }
  process.stdout.write(`${JSON.stringify({ cases: cases.length, differences: diffs.length, diffs })}\n`);
  process.exit(diffs.length === 0 ? 0 : 1);
}

main().catch((err) => {
  console.error(err);
  process.exit(2);
});
