#!/usr/bin/env node
/*
 * The table of bench/load/run.sh: one row per Artillery run (a JSON report
 * written with --output), and the knee of the stress steps.
 *
 *   node report.js RUNS.tsv
 *
 * RUNS.tsv has one line per run: scenario, offered arrivals a second, the
 * report's path. Columns of the table: offered load (new users a second,
 * and the requests a second they sent), achieved answers a second, P50 /
 * P95 / P99 of the answer time, errors (network errors, timeouts and 5xx
 * answers) and 429s.
 */
'use strict';

const fs = require('fs');

function load(path) {
	const r = JSON.parse(fs.readFileSync(path, 'utf8'));
	const a = r.aggregate;
	const c = a.counters || {};
	const rt = (a.summaries || {})['http.response_time'] || {};
	const seconds = Math.max((a.lastCounterAt - a.firstCounterAt) / 1000, 1);
	let fiveXX = 0;
	let codes = 0;
	for (const [k, v] of Object.entries(c)) {
		if (/^http\.codes\.5\d\d$/.test(k))
			fiveXX += v;
		if (/^http\.codes\.\d+$/.test(k))
			codes += v;
	}
	const netErrors = Object.entries(c).filter(([k]) => k.startsWith('errors.')).reduce((s, [, v]) => s + v, 0);
	return {
		seconds,
		users: c['vusers.created'] || 0,
		sent: c['http.requests'] || 0,
		answers: codes,
		errors: netErrors + fiveXX,
		tooMany: c['http.codes.429'] || 0,
		p50: rt.p50, p95: rt.p95, p99: rt.p99
	};
}

function num(v, digits) {
	if (v === undefined || v === null || Number.isNaN(v))
		return 'n/a';
	return v.toLocaleString('en-US', {maximumFractionDigits: digits || 0, minimumFractionDigits: digits || 0});
}

function ms(v) {
	return v === undefined ? 'n/a' : `${num(v, v < 10 ? 1 : 0)} ms`;
}

const rows = fs.readFileSync(process.argv[2], 'utf8').trim().split('\n').filter(Boolean).map(l => {
	const [scenario, arrivals, path] = l.split('\t');
	let m = null;
	try {
		m = load(path);
	} catch (e) {
		m = null;
	}
	return {scenario, arrivals: parseFloat(arrivals), path, m};
});

const out = [];
out.push('| scenario | offered load | achieved | P50 | P95 | P99 | errors | 429s |');
out.push('|---|---:|---:|---:|---:|---:|---:|---:|');
for (const r of rows) {
	if (!r.m) {
		out.push(`| ${r.scenario} | ${num(r.arrivals)} users/s | no report | | | | | |`);
		continue;
	}
	const m = r.m;
	const errPct = m.sent ? ` (${num(100 * m.errors / m.sent, 1)}%)` : '';
	out.push(`| ${r.scenario} | ${num(r.arrivals)} users/s, ${num(m.sent / m.seconds)} req/s | ` +
			 `${num(m.answers / m.seconds)} answers/s | ${ms(m.p50)} | ${ms(m.p95)} | ${ms(m.p99)} | ` +
			 `${num(m.errors)}${errPct} | ${num(m.tooMany)} |`);
}

/*
 * The knee of the stress steps: the first step whose P95 is over twice the
 * first step's, whose answers fall under 90 % of the requests sent, or
 * whose errors pass 1 %.
 */
const steps = rows.filter(r => r.scenario.startsWith('stress') && r.m);
if (steps.length > 1) {
	const base = steps[0].m.p95;
	let knee = null;
	for (const s of steps.slice(1)) {
		const why = [];
		if (s.m.p95 > 2 * base)
			why.push(`P95 ${ms(s.m.p95)}, over twice the first step's ${ms(base)}`);
		if (s.m.answers < 0.9 * s.m.sent)
			why.push(`answers ${num(s.m.answers / s.m.seconds)}/s for ${num(s.m.sent / s.m.seconds)} requests/s sent`);
		if (s.m.sent && s.m.errors / s.m.sent > 0.01)
			why.push(`errors ${num(100 * s.m.errors / s.m.sent, 1)}%`);
		if (why.length) {
			knee = `${num(s.arrivals)} users/s (${num(s.m.sent / s.m.seconds)} requests/s): ${why.join('; ')}`;
			break;
		}
	}
	const last = steps[steps.length - 1];
	out.push('');
	out.push(knee ? `Stress knee: ${knee}.`
		: `Stress: no knee up to ${num(last.arrivals)} users/s (${num(last.m.sent / last.m.seconds)} requests/s).`);
}
/* the API tour: P95 per route, slowest first */
for (const r of rows.filter(x => x.scenario === 'api')) {
	let rep;
	try {
		rep = JSON.parse(fs.readFileSync(r.path, 'utf8')).aggregate.summaries || {};
	} catch (e) {
		continue;
	}
	const per = Object.entries(rep)
		.filter(([k]) => k.startsWith('plugins.metrics-by-endpoint.response_time.'))
		.map(([k, v]) => [k.slice('plugins.metrics-by-endpoint.response_time.'.length), v])
		.sort((a, b) => b[1].p95 - a[1].p95);
	if (per.length) {
		out.push('');
		out.push('API tour, per route:');
		out.push('');
		out.push('| route | answers | P50 | P95 | P99 |');
		out.push('|---|---:|---:|---:|---:|');
		for (const [route, v] of per)
			out.push(`| ${route} | ${num(v.count)} | ${ms(v.p50)} | ${ms(v.p95)} | ${ms(v.p99)} |`);
	}
}
console.log(out.join('\n'));
