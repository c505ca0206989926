/*
 * Artillery processor of bench/load/leadgen.yml: the bodies and query
 * strings of the scenarios. Leads are valid (a ZIP in their state, consent,
 * a unique email and phone, so that the pipeline assigns them rather than
 * marking duplicates), spread over the insurance types and states the
 * demo agents serve; list reads use the filters and sort keys a lead portal
 * does and follow one cursor.
 *
 * bench/load/run.sh sets LEADGEN_INTERNAL_KEY (admin reads) and
 * LEADGEN_LEAD_ID_MIN/MAX (the loaded leads' ids).
 */
'use strict';

const PLACES = [
	['CA', '94103', 'San Francisco'], ['CA', '90012', 'Los Angeles'], ['OR', '97201', 'Portland'],
	['NY', '10001', 'New York'], ['TX', '73301', 'Austin'], ['FL', '33101', 'Miami'],
	['IL', '60601', 'Chicago'], ['WA', '98101', 'Seattle']
];
const TYPES = ['auto', 'home', 'renters', 'life', 'health'];
const SOURCES = ['web_form', 'referral', 'partner_api', 'tv_ad'];
const STATUSES = ['assigned', 'qualified', 'rejected'];
/* newest first most of the time, as a portal opens; best scores first now and then */
const SORTS = ['-created_at', '-created_at', '-created_at', '-created_at', '-created_at', '-created_at', '-created_at',
	'-quality_score', '-quality_score', 'created_at'];

let seq = 0;
const tag = `${process.pid}.${Date.now().toString(36)}`;

function pick(a) {
	return a[Math.floor(Math.random() * a.length)];
}

function lead() {
	const [state, zip, city] = pick(PLACES);
	const type = pick(TYPES);
	const n = ++seq;
	const l = {
		source: pick(SOURCES),
		insurance_type: type,
		first_name: 'Load',
		last_name: `Client${n % 997}`,
		email: `load.${tag}.${n}@example.com`,
		phone: `(415) ${String(200 + (n % 800)).padStart(3, '0')}-${String(n % 10000).padStart(4, '0')}`,
		date_of_birth: `19${60 + (n % 40)}-0${1 + (n % 9)}-1${n % 10}`,
		zip_code: zip,
		state,
		city,
		tcpa_consent: true,
		consent_at: new Date().toISOString().replace(/\.\d+Z$/, 'Z'),
		external_id: `load-${tag}-${n}`
	};
	if (type === 'auto')
		l.vehicles = [{year: 2015 + (n % 10), make: 'Toyota', model: 'Camry'}];
	if (type === 'home')
		l.property = {year_built: 1950 + (n % 70), type: 'single_family'};
	return l;
}

/* beforeRequest: one lead as the JSON body */
function leadBody(req, context, events, done) {
	req.json = lead();
	return done();
}

/* beforeRequest: a batch of 20 leads */
function batchBody(req, context, events, done) {
	req.json = Array.from({length: 20}, lead);
	return done();
}

/* function step: the query string of a lead list page */
function listQuery(context, events, done) {
	const q = [`limit=20`, `sort=${pick(SORTS)}`];
	const r = Math.random();
	if (r < 0.4)
		q.push(`status=${pick(STATUSES)}`);
	if (r > 0.3)
		q.push(`state=${pick(PLACES)[0]}`);
	if (r > 0.7)
		q.push(`insurance_type=${pick(TYPES)}`);
	if (Math.random() < 0.3)
		q.push('fields=id,status,quality_score,created_at');
	context.vars.listQuery = q.join('&');
	return done();
}

/* function step: a lead id among those loaded */
function leadId(context, events, done) {
	const lo = parseInt(process.env.LEADGEN_LEAD_ID_MIN || '1', 10);
	const hi = parseInt(process.env.LEADGEN_LEAD_ID_MAX || '1000', 10);
	context.vars.leadId = lo + Math.floor(Math.random() * (hi - lo + 1));
	return done();
}

/* afterResponse: the next page's cursor, URL-encoded, or "" */
function nextCursor(req, res, context, events, done) {
	let c = null;
	try {
		c = JSON.parse(res.body).next_cursor;
	} catch (e) {
		c = null;
	}
	context.vars.cursor = c ? encodeURIComponent(c) : '';
	return done();
}

/* beforeScenario: the internal key of the admin reads */
function keys(context, events, done) {
	context.vars.internalKey = process.env.LEADGEN_INTERNAL_KEY || '';
	return done();
}

module.exports = {leadBody, batchBody, listQuery, leadId, nextCursor, keys};
