/*
 * The operations dashboard of pg_leadgen, served by leadgen-gateway
 * (GET /dashboard). It reads the gateway's own routes with an internal or
 * admin key and draws them with the small SVG charts below: no library,
 * no network but this gateway.
 *
 * The key: typed into the form, or given once in the address as
 * /dashboard#key=... (a fragment is never sent to a server); it is kept in
 * this tab's session storage and removed from the address bar at once.
 *
 * For tests (gateway/tests/dashboard.sh, headless Chromium), the body's
 * data-state says "ready" once every panel has drawn data, data-refreshes
 * counts the refreshes, data-errors the problems shown; each chart's
 * element has data-points, the number of points or bars it drew.
 */
'use strict';

const REFRESH_MS = 5000;
const HISTORY = 120;			/* points kept per series: 10 minutes */
const KEY_ITEM = 'leadgen.dashboard.key';
const SVG = 'http://www.w3.org/2000/svg';
const COLORS = ['#2f6fdf', '#e0812f', '#2aa876', '#c9465b', '#8a63d2', '#6b7a8f'];

const state = {
	key: null,
	keySource: '',
	refreshes: 0,
	timer: null,
	history: {},				/* name -> [[time, value], ...] */
	lastBuckets: null,			/* the previous scrape's histogram buckets */
	errors: [],
	drawn: new Set()
};

/* ---------------------------------------------------------------- charts */

function el(tag, attrs, parent) {
	const e = document.createElementNS(SVG, tag);
	for (const [k, v] of Object.entries(attrs || {}))
		e.setAttribute(k, v);
	if (parent)
		parent.appendChild(e);
	return e;
}

function text(parent, x, y, s, cls, anchor) {
	const t = el('text', {x, y, class: cls || 'axis', 'text-anchor': anchor || 'start'}, parent);
	t.textContent = s;
	return t;
}

function frame(box, height) {
	box.textContent = '';
	const width = Math.max(box.clientWidth || 0, 320);
	const svg = el('svg', {viewBox: `0 0 ${width} ${height}`, width: '100%', height, role: 'img'}, box);
	return {svg, width, height};
}

function niceMax(v) {
	if (!(v > 0))
		return 1;
	const p = Math.pow(10, Math.floor(Math.log10(v)));
	for (const m of [1, 2, 2.5, 5, 10])
		if (m * p >= v)
			return m * p;
	return 10 * p;
}

function fmtNumber(v) {
	if (v === null || v === undefined || Number.isNaN(v))
		return '-';
	const a = Math.abs(v);
	if (a >= 1e9) return (v / 1e9).toFixed(1) + 'G';
	if (a >= 1e6) return (v / 1e6).toFixed(1) + 'M';
	if (a >= 1e4) return (v / 1e3).toFixed(0) + 'k';
	if (a >= 100) return v.toFixed(0);
	if (a >= 10) return v.toFixed(1);
	return v.toFixed(2).replace(/\.?0+$/, '') || '0';
}

function fmtBytes(v) {
	const units = ['B', 'KiB', 'MiB', 'GiB', 'TiB'];
	let i = 0;
	while (Math.abs(v) >= 1024 && i < units.length - 1) {
		v /= 1024;
		i++;
	}
	return v.toFixed(v >= 100 || i === 0 ? 0 : 1) + ' ' + units[i];
}

function fmtMs(v) {
	return v >= 1000 ? (v / 1000).toFixed(2) + ' s' : fmtNumber(v) + ' ms';
}

function legend(svg, series, x, y) {
	series.forEach((s, i) => {
		el('rect', {x: x + i * 120, y: y - 9, width: 10, height: 10, fill: s.color || COLORS[i]}, svg);
		text(svg, x + i * 120 + 14, y, s.name, 'legend');
	});
}

/*
 * A line chart of time series: series [{name, color, points: [[ms, v]]}],
 * an optional band [{x, lo, hi}] drawn under them, yFormat for the axis.
 */
function lineChart(box, series, opts) {
	opts = opts || {};
	const {svg, width, height} = frame(box, opts.height || 180);
	const m = {l: 54, r: 12, t: 12, b: 40};
	const all = series.flatMap(s => s.points);
	const band = opts.band || [];
	const xs = all.map(p => p[0]).concat(band.map(b => b.x));
	const ys = all.map(p => p[1]).concat(band.map(b => b.hi));
	if (xs.length === 0) {
		text(svg, width / 2, height / 2, opts.empty || 'no data yet', 'empty', 'middle');
		box.dataset.points = 0;
		return;
	}
	let x0 = Math.min(...xs), x1 = Math.max(...xs);
	if (x1 === x0) {
		x0 -= 1000;
		x1 += 1000;
	}
	const y0 = opts.yMin !== undefined ? opts.yMin : 0;
	const y1 = niceMax(Math.max(...ys, opts.yFloor || 0));
	const X = t => m.l + (t - x0) / (x1 - x0) * (width - m.l - m.r);
	const Y = v => height - m.b - (Math.max(v, y0) - y0) / (y1 - y0) * (height - m.t - m.b);
	const fmt = opts.yFormat || fmtNumber;
	for (let i = 0; i <= 4; i++) {
		const v = y0 + (y1 - y0) * i / 4;
		el('line', {x1: m.l, x2: width - m.r, y1: Y(v), y2: Y(v), class: 'grid'}, svg);
		text(svg, m.l - 6, Y(v) + 4, fmt(v), 'axis', 'end');
	}
	const xfmt = opts.xFormat || (t => new Date(t).toISOString().slice(11, 19));
	text(svg, m.l, height - m.b + 16, xfmt(x0), 'axis');
	text(svg, width - m.r, height - m.b + 16, xfmt(x1), 'axis', 'end');
	if (band.length) {
		const top = band.map(b => `${X(b.x)},${Y(b.hi)}`);
		const bottom = band.slice().reverse().map(b => `${X(b.x)},${Y(b.lo)}`);
		el('polygon', {points: top.concat(bottom).join(' '), class: 'band'}, svg);
	}
	let n = 0;
	series.forEach((s, i) => {
		const color = s.color || COLORS[i];
		if (s.points.length > 1)
			el('polyline', {points: s.points.map(p => `${X(p[0])},${Y(p[1])}`).join(' '), fill: 'none',
							stroke: color, 'stroke-width': 2, class: 'line'}, svg);
		for (const p of s.points) {
			const c = el('circle', {cx: X(p[0]), cy: Y(p[1]), r: s.points.length > 30 ? 1.5 : 3, fill: color}, svg);
			el('title', {}, c).textContent = `${s.name}: ${fmt(p[1])}`;
			n++;
		}
	});
	legend(svg, series, m.l, height - 8);
	box.dataset.points = n;
}

/*
 * Horizontal bars: rows [{label, title, values: [v per series]}], series
 * [{name, color}]; one group of bars per row.
 */
function barChart(box, rows, series, opts) {
	opts = opts || {};
	const per = series.length;
	const rowH = Math.max(8 * per + 10, 22);
	const height = Math.max(rows.length * rowH + 44, 90);
	const {svg, width} = frame(box, height);
	const labelW = opts.labelWidth || Math.min(360, Math.max(120, width * 0.38));
	const m = {l: labelW, r: 70, t: 8};
	if (rows.length === 0) {
		text(svg, width / 2, height / 2, opts.empty || 'no data yet', 'empty', 'middle');
		box.dataset.points = 0;
		return;
	}
	const max = niceMax(Math.max(...rows.flatMap(r => r.values), 0));
	const W = v => (v / max) * (width - m.l - m.r);
	const fmt = opts.format || fmtNumber;
	let n = 0;
	rows.forEach((r, i) => {
		const y = m.t + i * rowH;
		const fits = Math.floor((m.l - 12) / 6.4);	/* characters of 11px text the label column holds */
		const label = text(svg, m.l - 8, y + rowH / 2 + 3,
						   r.label.length > fits ? r.label.slice(0, fits - 3) + '...' : r.label, 'label', 'end');
		el('title', {}, label).textContent = r.title || r.label;
		r.values.forEach((v, j) => {
			const bh = (rowH - 8) / per;
			const b = el('rect', {x: m.l, y: y + 3 + j * bh, width: Math.max(W(v), 1), height: Math.max(bh - 1, 2),
								  fill: series[j].color || COLORS[j], class: 'bar'}, svg);
			el('title', {}, b).textContent = `${series[j].name}: ${fmt(v)}`;
			if (j === per - 1 || per === 1)
				text(svg, m.l + W(v) + 4, y + 3 + j * bh + bh - 2, fmt(v), 'value');
			n++;
		});
	});
	if (per > 1)
		legend(svg, series, m.l, height - 8);
	box.dataset.points = n;
}

/* A half-ring gauge of a percentage, coloured by its thresholds. */
function gauge(parent, label, pct, opts) {
	opts = opts || {};
	const box = document.createElement('div');
	box.className = 'gauge';
	parent.appendChild(box);
	const svg = el('svg', {viewBox: '0 0 120 76', width: 150, height: 95, role: 'img'}, box);
	const arc = (from, to) => {
		const a0 = Math.PI * (1 - from), a1 = Math.PI * (1 - to);
		const p = (a) => `${60 + 48 * Math.cos(a)},${64 - 48 * Math.sin(a)}`;
		return `M ${p(a0)} A 48 48 0 ${to - from > 0.5 ? 1 : 0} 1 ${p(a1)}`;
	};
	el('path', {d: arc(0, 0.9999), class: 'gauge-track'}, svg);
	const v = pct === null || pct === undefined || Number.isNaN(pct) ? null : Math.max(0, Math.min(100, pct));
	let cls = 'ok';
	if (v !== null && opts.warnBelow !== undefined && v < opts.warnBelow) cls = 'warn';
	if (v !== null && opts.warnAbove !== undefined && v > opts.warnAbove) cls = 'warn';
	if (v !== null && opts.critAbove !== undefined && v > opts.critAbove) cls = 'crit';
	if (v !== null && v > 0)
		el('path', {d: arc(0, Math.max(v / 100, 0.005)), class: 'gauge-value ' + cls}, svg);
	text(svg, 60, 60, v === null ? '-' : v.toFixed(v >= 99.95 || v < 10 ? 1 : 1) + '%', 'gauge-text', 'middle');
	const cap = document.createElement('div');
	cap.className = 'gauge-label';
	cap.textContent = label;
	box.appendChild(cap);
	box.dataset.points = v === null ? 0 : 1;
}

/* ---------------------------------------------------------------- data */

class KeyRefused extends Error {}

async function getJSON(path) {
	const r = await fetch(path, {headers: {'X-API-Key': state.key}, cache: 'no-store'});
	if (r.status === 401 || r.status === 403)
		throw new KeyRefused(`${path}: ${r.status}`);
	const body = await r.json().catch(() => null);
	if (!r.ok) {
		const msg = body && body.error ? body.error.message : r.statusText;
		const e = new Error(`${path}: ${r.status} ${msg}`);
		e.status = r.status;
		throw e;
	}
	return body;
}

async function getText(path) {
	const r = await fetch(path, {cache: 'no-store'});
	if (!r.ok)
		throw new Error(`${path}: ${r.status}`);
	return r.text();
}

function remember(name, value, now) {
	if (value === null || value === undefined || Number.isNaN(value))
		return;
	const h = state.history[name] || (state.history[name] = []);
	h.push([now, value]);
	if (h.length > HISTORY)
		h.shift();
}

function series(names, labels) {
	return names.map((n, i) => ({name: labels[i], color: COLORS[i], points: state.history[n] || []}));
}

/* Prometheus text: the buckets of the request duration histograms, by route. */
function parseBuckets(textBody) {
	const byRoute = {};
	const re = /^leadgen_gateway_request_duration_seconds_bucket\{route="((?:[^"\\]|\\.)*)",le="([^"]+)"\} ([0-9.e+]+)$/;
	for (const line of textBody.split('\n')) {
		const m = re.exec(line);
		if (!m)
			continue;
		const r = byRoute[m[1]] || (byRoute[m[1]] = []);
		r.push([m[2] === '+Inf' ? Infinity : parseFloat(m[2]), parseFloat(m[3])]);
	}
	return byRoute;
}

/* The q-quantile of cumulative buckets [[le, count]], as Prometheus interpolates it (seconds). */
function quantile(q, buckets) {
	const total = buckets.length ? buckets[buckets.length - 1][1] : 0;
	if (!(total > 0))
		return null;
	const rank = q * total;
	let prevLe = 0, prevCount = 0;
	for (const [le, count] of buckets) {
		if (count >= rank) {
			if (le === Infinity)
				return prevLe;
			return prevLe + (le - prevLe) * (count > prevCount ? (rank - prevCount) / (count - prevCount) : 0);
		}
		prevLe = le;
		prevCount = count;
	}
	return prevLe;
}

/* Buckets since the previous scrape when there were requests since, else since the gateway started. */
function sinceLast(now, last) {
	if (!last)
		return now;
	const d = now.map(([le, c], i) => [le, c - (last[i] ? last[i][1] : 0)]);
	return d.length && d[d.length - 1][1] > 0 ? d : now;
}

function sumBuckets(list) {
	const out = [];
	for (const b of list)
		b.forEach(([le, c], i) => {
			if (!out[i])
				out[i] = [le, 0];
			out[i][1] += c;
		});
	return out;
}

const ADMIN_ROUTE = /^POST \/api\/v1\/performance\/|^GET \/metrics$|^GET \/dashboard|^unmatched$/;

/* ---------------------------------------------------------------- panels */

function kpi(parent, label, value, cls) {
	const d = document.createElement('div');
	d.className = 'kpi' + (cls ? ' ' + cls : '');
	const v = document.createElement('div');
	v.className = 'kpi-value';
	v.textContent = value;
	const l = document.createElement('div');
	l.className = 'kpi-label';
	l.textContent = label;
	d.append(v, l);
	parent.appendChild(d);
}

function ageSeconds(interval) {
	/* "HH:MM:SS.ffffff", maybe with "N days" before it */
	if (!interval)
		return 0;
	const m = /(?:(\d+) days? )?(\d+):(\d+):([\d.]+)/.exec(interval);
	return m ? (+(m[1] || 0)) * 86400 + (+m[2]) * 3600 + (+m[3]) * 60 + parseFloat(m[4]) : 0;
}

/* The "leads" row of GET /performance/jobs/metrics ({"data": [one row a queue]}). */
function leadsQueue(body) {
	const rows = body && Array.isArray(body.data) ? body.data : [];
	const q = rows.find(r => r.queue_name === 'leads');
	if (!q)
		throw new Error('/api/v1/performance/jobs/metrics: no "leads" queue in the answer');
	return q;
}

function drawQueue(q, now) {
	const box = document.getElementById('queue-kpis');
	box.textContent = '';
	const oldest = ageSeconds(q.oldest_waiting_age);
	kpi(box, 'waiting', fmtNumber(q.waiting), q.waiting > 1000 ? 'warn' : '');
	kpi(box, 'delayed (retries)', fmtNumber(q.delayed));
	kpi(box, 'being processed', fmtNumber(q.active));
	kpi(box, 'processed since start', fmtNumber(q.completed));
	kpi(box, 'failed attempts', fmtNumber(q.failed));
	kpi(box, 'dead letters', fmtNumber(q.dead), q.dead > 0 ? 'warn' : '');
	kpi(box, 'oldest waiting', oldest < 1 ? '-' : fmtNumber(oldest) + ' s', oldest > 300 ? 'warn' : '');
	kpi(box, q.paused ? 'queue PAUSED' : 'queue running', q.paused ? 'paused' : 'on', q.paused ? 'warn' : '');
	remember('waiting', q.waiting, now);
	remember('delayed', q.delayed, now);
	remember('active', q.active, now);
	lineChart(document.getElementById('chart-queue'), series(['waiting', 'delayed', 'active'],
																['waiting', 'delayed', 'active']));
	const tp = (q.throughput_per_minute || []).map(p => [Date.parse(p.minute.replace('Z', ':00Z')), p.leads]);
	lineChart(document.getElementById('chart-throughput'), [{name: 'leads / minute', color: COLORS[2], points: tp}],
			  {xFormat: t => new Date(t).toISOString().slice(11, 16)});
	barChart(document.getElementById('chart-e2e'), [
		{label: 'submission to processed', values: [q.processing_ms_p50, q.processing_ms_p95, q.processing_ms_p99]},
		{label: 'wait for a worker', values: [q.wait_ms_p50, q.wait_ms_p95, q.wait_ms_p99]}
	], [{name: 'P50'}, {name: 'P95'}, {name: 'P99'}], {format: fmtMs, labelWidth: 170});
}

function drawLatency(metricsText, now) {
	const buckets = parseBuckets(metricsText);
	const last = state.lastBuckets;
	state.lastBuckets = buckets;
	const rows = [];
	const api = [];
	for (const [route, b] of Object.entries(buckets)) {
		const d = sinceLast(b, last && last[route]);
		if (!ADMIN_ROUTE.test(route))
			api.push(d);
		const p = [0.5, 0.95, 0.99].map(q => quantile(q, d));
		if (p[0] !== null)
			rows.push({label: route, values: p.map(v => v * 1000)});
	}
	rows.sort((a, b) => b.values[1] - a.values[1]);
	barChart(document.getElementById('chart-routes'), rows.slice(0, 16),
			 [{name: 'P50'}, {name: 'P95'}, {name: 'P99'}], {format: fmtMs});
	const all = sumBuckets(api);
	remember('api_p50', quantile(0.5, all) * 1000, now);
	remember('api_p95', quantile(0.95, all) * 1000, now);
	remember('api_p99', quantile(0.99, all) * 1000, now);
	lineChart(document.getElementById('chart-api-latency'), series(['api_p50', 'api_p95', 'api_p99'],
																	  ['P50', 'P95', 'P99']),
			  {yFormat: fmtMs});
}

function drawCapacity(c) {
	const g = document.getElementById('capacity-gauges');
	g.textContent = '';
	const nowc = c.now || {};
	gauge(g, 'connections used', nowc.connections_used_pct, {warnAbove: 80, critAbove: 90});
	gauge(g, 'disk budget used', nowc.disk_used_pct, {warnAbove: 80, critAbove: 90});
	gauge(g, 'XID wraparound used', nowc.xid_wraparound_used_pct, {warnAbove: 25, critAbove: 70});
	const ul = document.getElementById('capacity-alerts');
	ul.textContent = '';
	for (const a of c.alerts || []) {
		const li = document.createElement('li');
		li.className = 'sev-' + a.severity;
		li.textContent = `${a.resource}: ${a.message}`;
		ul.appendChild(li);
	}
	const days = c.days_until || {};
	const li = document.createElement('li');
	li.className = 'info';
	li.textContent = `database ${fmtBytes(nowc.database_size_bytes || 0)}; days until XID forced freeze: ` +
		`${fmtNumber(days.xid_forced_freeze)}, wraparound: ${fmtNumber(days.xid_wraparound)}` +
		(days.disk !== null && days.disk !== undefined ? `, disk budget: ${fmtNumber(days.disk)}` : '');
	ul.appendChild(li);
}

async function drawForecast() {
	const resource = document.getElementById('forecast-resource').value;
	const box = document.getElementById('chart-forecast');
	let f;
	try {
		f = await getJSON(`/api/v1/performance/capacity/forecast/${resource}?months=6`);
	} catch (e) {
		if (e.status === 422) {
			/* too few snapshots yet: said in the chart, not an error of the page */
			lineChart(box, [], {empty: e.message.replace(/^[^:]*: \d+ /, '')});
			return;
		}
		throw e;
	}
	const pts = f.data.map(p => [Date.parse(p.at), p.projected]);
	const band = f.data.map(p => ({x: Date.parse(p.at), lo: Math.max(p.lower_95, 0), hi: Math.max(p.upper_95, 0)}));
	const unit = f.data.length ? f.data[0].unit : '';
	lineChart(box, [{name: `projected (${unit})`, color: COLORS[0], points: pts}],
			  {band, yFormat: unit === 'bytes' ? fmtBytes : fmtNumber,
			   xFormat: t => new Date(t).toISOString().slice(0, 7)});
}

function drawCaches(h, now) {
	const g = document.getElementById('cache-gauges');
	g.textContent = '';
	const gw = (h.gateway && h.gateway.cache) || {};
	const gwRate = gw.hits + gw.misses > 0 ? 100 * gw.hits / (gw.hits + gw.misses) : null;
	gauge(g, 'gateway response cache', gwRate, {warnBelow: 80});
	gauge(g, 'buffer cache (database)', h.database_hit_pct, {warnBelow: 99});
	gauge(g, 'tables', h.tables_hit_pct, {warnBelow: 99});
	gauge(g, 'indexes', h.indexes_hit_pct, {warnBelow: 99});
	remember('cache_gateway', gwRate, now);
	remember('cache_db', h.database_hit_pct, now);
	lineChart(document.getElementById('chart-cache'), series(['cache_gateway', 'cache_db'],
															 ['gateway cache %', 'buffer cache %']),
			  {yFormat: v => fmtNumber(v) + '%', yFloor: 100});
}

function drawBottlenecks(b) {
	const ul = document.getElementById('bottleneck-list');
	ul.textContent = '';
	const list = b.data || [];
	if (list.length === 0) {
		const li = document.createElement('li');
		li.className = 'info';
		li.textContent = 'No bottleneck detected.';
		ul.appendChild(li);
	}
	for (const f of list) {
		const li = document.createElement('li');
		li.className = 'sev-' + f.severity;
		const head = document.createElement('strong');
		head.textContent = `${f.severity} \u00b7 ${f.component}: `;
		const body = document.createElement('span');
		body.textContent = f.finding;
		const rec = document.createElement('div');
		rec.className = 'recommendation';
		rec.textContent = f.recommendation || '';
		li.append(head, body, rec);
		ul.appendChild(li);
	}
	ul.dataset.points = list.length;
}

function drawSlow(s) {
	const rows = (s.data || []).map(q => ({
		label: q.query.replace(/\s+/g, ' '),
		title: `${q.query}\n\ncalls ${q.calls}, mean ${fmtMs(q.mean_ms)}, max ${fmtMs(q.max_ms)}, ${q.share_pct}% of all time`,
		values: [q.total_ms]
	}));
	barChart(document.getElementById('chart-slow'), rows, [{name: 'total ms', color: COLORS[3]}],
			 {format: fmtMs, empty: 'pg_stat_statements has no statement yet'});
}

/* ---------------------------------------------------------------- the loop */

function setStatus(s) {
	document.getElementById('status').textContent = s;
}

function showProblems() {
	const ul = document.getElementById('errors');
	ul.textContent = '';
	for (const e of state.errors.slice(-10)) {
		const li = document.createElement('li');
		li.textContent = e;
		ul.appendChild(li);
	}
	document.getElementById('problems').hidden = state.errors.length === 0;
	document.body.dataset.errors = state.errors.length;
}

async function panel(name, fn) {
	try {
		await fn();
		state.drawn.add(name);
		return true;
	} catch (e) {
		if (e instanceof KeyRefused)
			throw e;
		state.errors.push(`${name}: ${e.message}`);
		return false;
	}
}

async function refresh() {
	if (!state.key)
		return;
	const now = Date.now();
	state.errors = [];
	try {
		await Promise.all([
			panel('queue', async () => drawQueue(leadsQueue(await getJSON('/api/v1/performance/jobs/metrics?queue=leads')), now)),
			panel('latency', async () => drawLatency(await getText('/metrics'), now)),
			panel('capacity', async () => drawCapacity(await getJSON('/api/v1/performance/capacity/dashboard'))),
			panel('forecast', drawForecast),
			panel('caches', async () => drawCaches(await getJSON('/api/v1/performance/cache/hit-rate'), now)),
			panel('bottlenecks', async () => drawBottlenecks(await getJSON('/api/v1/performance/capacity/bottlenecks'))),
			panel('slow', async () => drawSlow(await getJSON('/api/v1/performance/database/slow-queries?limit=10')))
		]);
	} catch (e) {
		if (e instanceof KeyRefused) {
			stop();
			sessionStorage.removeItem(KEY_ITEM);
			state.key = null;
			setStatus('The key was refused (401/403): give an internal or admin key.');
			document.body.dataset.state = 'key-refused';
			return;
		}
		state.errors.push(String(e));
	}
	state.refreshes++;
	document.body.dataset.refreshes = state.refreshes;
	showProblems();
	setStatus(`updated ${new Date(now).toISOString().slice(11, 19)} UTC, every ${REFRESH_MS / 1000} s` +
			  (state.keySource ? ` \u00b7 key ${state.keySource}` : ''));
	if (state.drawn.size === 7 && state.errors.length === 0)
		document.body.dataset.state = 'ready';
}

function stop() {
	if (state.timer)
		clearInterval(state.timer);
	state.timer = null;
}

function start() {
	stop();
	document.body.dataset.state = 'loading';
	refresh();
	state.timer = setInterval(() => {
		if (!document.hidden)
			refresh();
	}, REFRESH_MS);
}

/* The key from the address's fragment (then removed from it), or this tab's storage. */
function takeKey() {
	const m = /(?:^#|&)key=([^&]+)/.exec(location.hash);
	if (m) {
		sessionStorage.setItem(KEY_ITEM, decodeURIComponent(m[1]));
		history.replaceState(null, '', location.pathname + location.search);
		state.keySource = 'from the address (removed from it), kept in this tab';
	} else if (sessionStorage.getItem(KEY_ITEM))
		state.keySource = 'kept in this tab';
	return sessionStorage.getItem(KEY_ITEM);
}

function init() {
	state.key = takeKey();
	document.getElementById('keyform').addEventListener('submit', ev => {
		ev.preventDefault();
		const input = document.getElementById('key');
		if (!input.value.trim())
			return;
		sessionStorage.setItem(KEY_ITEM, input.value.trim());
		input.value = '';
		state.key = sessionStorage.getItem(KEY_ITEM);
		state.keySource = 'typed, kept in this tab';
		start();
	});
	document.getElementById('forget').addEventListener('click', () => {
		sessionStorage.removeItem(KEY_ITEM);
		state.key = null;
		stop();
		setStatus('No key: give an internal or admin API key.');
		document.body.dataset.state = 'no-key';
	});
	document.getElementById('forecast-resource').addEventListener('change', () => {
		panel('forecast', drawForecast).then(showProblems);
	});
	if (state.key)
		start();
	else {
		setStatus('No key: give an internal or admin API key (or open /dashboard#key=...).');
		document.body.dataset.state = 'no-key';
	}
}

window.addEventListener('error', ev => {
	state.errors.push(`script error: ${ev.message}`);
	showProblems();
});
window.addEventListener('unhandledrejection', ev => {
	state.errors.push(`script error: ${ev.reason}`);
	showProblems();
});
document.addEventListener('DOMContentLoaded', init);
