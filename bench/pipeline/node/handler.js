'use strict';
// The lead handler of the Node peers: what pg_leadgen's workers do for a
// lead, written the way a Node service does it, one transaction per lead.
//
//   1. the rules and the score (rules.js, a port of DOMAIN.md's rules);
//   2. an eligible lead: duplicate check by a SQL query on the normalized
//      email or phone, same insurance type, non-rejected leads created in
//      the 30 days either side of this lead's submission (a lead judged
//      before an earlier twin is that twin's original, as in pg_leadgen);
//   3. an eligible, non-duplicate lead: pick an agent with one UPDATE ...
//      RETURNING (lowest current_lead_count / max_leads, then highest
//      rating, then lowest id, only where current_lead_count < max_leads),
//      skipping agents that another lead's transaction holds, and waiting
//      for them only when every candidate is held;
//   4. insert the lead row into leadgen.leads (created_at = submission
//      time), its assignment, its event, notify listeners (as pg_leadgen
//      does for each batch); commit.
//
// Carriers' coverage and the scoring weights are read from the database and
// refreshed every few seconds, as a service would cache them.

const pg = require('pg');
const rules = require('./rules');

// The keys pg_leadgen stores in columns; every other key goes to details.
const COLUMN_KEYS = ['external_id', 'broker_id', 'source', 'insurance_type', 'first_name', 'last_name',
  'email', 'phone', 'date_of_birth', 'zip_code', 'city', 'state'];

const SQL = {
  duplicate: `
    SELECT coalesce(duplicate_of, id) AS ref
      FROM leadgen.leads
     WHERE insurance_type = $1
       AND created_at BETWEEN $2::timestamptz - interval '30 days' AND $2::timestamptz + interval '30 days'
       AND status <> 'rejected'
       AND (email_norm = $3 OR phone_norm = $4)
     ORDER BY created_at
     LIMIT 1`,
  agentSkipLocked: `
    UPDATE leadgen.agents a SET current_lead_count = a.current_lead_count + 1
     WHERE a.id = (SELECT c.id FROM leadgen.agents c
                    WHERE c.is_active AND c.state = $1 AND $2 = ANY (c.specializations)
                      AND c.current_lead_count < c.max_leads
                    ORDER BY c.current_lead_count::numeric / c.max_leads, c.rating DESC, c.id
                    LIMIT 1 FOR UPDATE SKIP LOCKED)
       AND a.current_lead_count < a.max_leads
    RETURNING a.id`,
  agentWait: `
    UPDATE leadgen.agents a SET current_lead_count = a.current_lead_count + 1
     WHERE a.id = (SELECT c.id FROM leadgen.agents c
                    WHERE c.is_active AND c.state = $1 AND $2 = ANY (c.specializations)
                      AND c.current_lead_count < c.max_leads
                    ORDER BY c.current_lead_count::numeric / c.max_leads, c.rating DESC, c.id
                    LIMIT 1 FOR UPDATE)
       AND a.current_lead_count < a.max_leads
    RETURNING a.id`,
  lead: `
    INSERT INTO leadgen.leads (external_id, broker_id, source, status, insurance_type, first_name, last_name,
                               email, phone, date_of_birth, zip_code, city, state, quality_score, details,
                               rejection_reasons, duplicate_of, email_norm, phone_norm, created_at, processed_at)
    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21)
    RETURNING id`,
  assignment: `
    INSERT INTO leadgen.lead_assignments (lead_id, lead_created_at, agent_id, status, assigned_at)
    VALUES ($1, $2, $3, 'assigned', $4)`,
  // the event, and the notification DOMAIN.md asks of every commit that
  // changes leads or agents (listeners invalidate their caches)
  event: `
    WITH e AS (
      INSERT INTO leadgen.events (entity_type, entity_id, type, source, payload, "timestamp")
      VALUES ('lead', $1, $2, 'pipeline', $3, $4)
      RETURNING 1)
    SELECT pg_notify('leadgen_changes', json_build_object('source', 'pipeline', 'leads', (SELECT count(*) FROM e),
                                                          'agents', $5::int)::text)`,
  coverage: `
    SELECT DISTINCT upper(s.st) || ':' || lower(t.ty) AS key
      FROM leadgen.carriers c, unnest(c.states) s(st), unnest(c.insurance_types) t(ty)
     WHERE c.is_active`,
  weights: 'SELECT component, points FROM leadgen.scoring_weights',
};

// payload->>'key' as PostgreSQL reads it.
function textOf(v) {
  if (v === undefined || v === null) return null;
  return typeof v === 'string' ? v : JSON.stringify(v);
}

function dateText(d) {
  if (d === null) return null;
  return `${String(d.y).padStart(4, '0')}-${String(d.m).padStart(2, '0')}-${String(d.d).padStart(2, '0')}`;
}

function connectionConfig(max) {
  return {
    host: process.env.PGHOST || '127.0.0.1',
    port: Number(process.env.PGPORT || 5533),
    database: process.env.PGDATABASE || 'bench',
    user: process.env.PGUSER || 'postgres',
    max,
  };
}

function connectionString() {
  const c = connectionConfig(1);
  return `postgres://${c.user}@${c.host}:${c.port}/${c.database}`;
}

class LeadHandler {
  constructor({ poolSize = 50, refreshMs = 5000 } = {}) {
    this.pool = new pg.Pool(connectionConfig(poolSize));
    this.refreshMs = refreshMs;
    this.coverage = new Set();
    this.weights = rules.DEFAULT_WEIGHTS;
    this.done = 0;
    this.failed = 0;
    this.statuses = {};
  }

  async init() {
    await this.refresh();
    this.timer = setInterval(() => this.refresh().catch(() => {}), this.refreshMs);
    this.timer.unref();
  }

  async refresh() {
    const cov = await this.pool.query(SQL.coverage);
    const w = await this.pool.query(SQL.weights);
    this.coverage = new Set(cov.rows.map((r) => r.key));
    this.weights = rules.weightsFromRows(w.rows);
  }

  served(state, type) {
    return this.coverage.has(`${state}:${type}`);
  }

  // job: {tracking_id, payload, submitted_at}; attempt counts from 1.
  async handle(job, attempt = 1) {
    const payload = job.payload;
    const createdAt = job.submitted_at;
    const v = rules.validate(payload, Date.now() * 1000, (s, t) => this.served(s, t), this.weights);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      let status;
      let dupOf = null;
      let agentId = null;
      if (v.reasons.length > 0) {
        status = 'rejected';
      } else {
        if (v.emailNorm !== null || v.phoneNorm !== null) {
          const d = await client.query({
            name: 'lead_duplicate', text: SQL.duplicate, values: [v.type, createdAt, v.emailNorm, v.phoneNorm],
          });
          if (d.rows.length > 0) dupOf = d.rows[0].ref;
        }
        if (dupOf !== null) {
          status = 'duplicate';
        } else {
          let a = await client.query({ name: 'lead_agent_skip', text: SQL.agentSkipLocked, values: [v.state, v.type] });
          if (a.rows.length === 0) {
            a = await client.query({ name: 'lead_agent_wait', text: SQL.agentWait, values: [v.state, v.type] });
          }
          if (a.rows.length > 0) agentId = a.rows[0].id;
          status = agentId !== null ? 'assigned' : 'qualified';
        }
      }
      const score = status === 'assigned' || status === 'qualified' ? v.score : 0;
      const details = {};
      for (const [k, val] of Object.entries(payload)) {
        if (!COLUMN_KEYS.includes(k)) details[k] = val;
      }
      const brokerId = Number.isInteger(payload.broker_id) && payload.broker_id > 0 ? payload.broker_id : null;
      const processedAt = new Date().toISOString();
      const r = await client.query({
        name: 'lead_insert',
        text: SQL.lead,
        values: [
          textOf(payload.external_id), brokerId, textOf(payload.source), status,
          v.type !== null ? v.type : textOf(payload.insurance_type),
          textOf(payload.first_name), textOf(payload.last_name), textOf(payload.email), textOf(payload.phone),
          dateText(v.dob), textOf(payload.zip_code), textOf(payload.city),
          v.state !== null ? v.state : textOf(payload.state),
          score, JSON.stringify(details), v.reasons, dupOf, v.emailNorm, v.phoneNorm, createdAt, processedAt,
        ],
      });
      const leadId = r.rows[0].id;
      if (agentId !== null) {
        await client.query({
          name: 'lead_assignment', text: SQL.assignment, values: [leadId, createdAt, agentId, processedAt],
        });
      }
      const event = { status, quality_score: score };
      if (v.reasons.length > 0) event.rejection_reasons = v.reasons;
      if (agentId !== null) event.agent_id = Number(agentId);
      if (dupOf !== null) event.duplicate_of = Number(dupOf);
      event.attempt = attempt;
      await client.query({
        name: 'lead_event',
        text: SQL.event,
        values: [leadId, `lead.${status}`, JSON.stringify(event), processedAt, agentId !== null ? 1 : 0],
      });
      await client.query('COMMIT');
      this.done++;
      this.statuses[status] = (this.statuses[status] || 0) + 1;
    } catch (err) {
      this.failed++;
      await client.query('ROLLBACK').catch(() => {});
      throw err;
    } finally {
      client.release();
    }
  }

  async close() {
    clearInterval(this.timer);
    await this.pool.end();
  }
}

// Run fn on every item with at most `limit` in flight.
async function eachLimit(items, limit, fn) {
  let next = 0;
  const lanes = [];
  for (let k = 0; k < Math.min(limit, items.length); k++) {
    lanes.push((async () => {
      while (next < items.length) {
        const item = items[next++];
        await fn(item);
      }
    })());
  }
  await Promise.all(lanes);
}

module.exports = { LeadHandler, eachLimit, connectionConfig, connectionString, textOf };
