'use strict';
// Runs one Node peer of the pipeline benchmark and prints its result as
// one JSON line:
//
//   node peer.js bullmq|pgboss|graphile
//
// 1. reads the measured leads (bench.payloads) into memory, prepares the
//    queue (its schema or Redis keys) and starts the worker process
//    (peer-worker.js), waiting until it consumes;
// 2. starts the clock and adds every lead as a job, 1000 per bulk call
//    (BullMQ addBulk, pg-boss insert, graphile-worker addJobs); each job
//    carries its submission time, which becomes the lead's created_at;
// 3. stops the clock when the worker has committed every lead and the
//    queue holds no waiting or active job.

const { fork } = require('node:child_process');
const path = require('node:path');
const pg = require('pg');
const { connectionConfig, connectionString } = require('./handler');

const kind = process.argv[2];
const CHUNK = 1000;
const TIMEOUT_MS = Number(process.env.PEER_TIMEOUT_MS || 20 * 60 * 1000);

function sleep(ms) {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

async function backend(db) {
  if (kind === 'bullmq') {
    const { Queue } = require('bullmq');
    const queue = new Queue('leads', {
      connection: { host: '127.0.0.1', port: Number(process.env.REDIS_PORT || 6390), maxRetriesPerRequest: null },
    });
    await queue.waitUntilReady();
    await queue.obliterate({ force: true });
    const opts = { removeOnComplete: true, removeOnFail: 1000, attempts: 5, backoff: { type: 'exponential', delay: 1000 } };
    return {
      add: (jobs) => queue.addBulk(jobs.map((data) => ({ name: 'lead', data, opts }))),
      pending: async () => {
        const c = await queue.getJobCounts('wait', 'active', 'delayed', 'prioritized', 'paused', 'waiting-children');
        return Object.values(c).reduce((a, b) => a + b, 0);
      },
      close: () => queue.close(),
    };
  }
  if (kind === 'pgboss') {
    const { PgBoss } = await import('pg-boss');
    // The producer: no supervision or scheduling of its own (the worker's
    // instance supervises).
    const boss = new PgBoss({ connectionString: connectionString(), max: 2, schema: 'pgboss',
      supervise: false, schedule: false });
    boss.on('error', (e) => console.error(e));
    await boss.start();
    if (!(await boss.getQueue('leads'))) await boss.createQueue('leads', { retryLimit: 4, retryBackoff: true });
    await boss.deleteAllJobs('leads');
    return {
      add: (jobs) => boss.insert('leads', jobs.map((data) => ({ data }))),
      pending: async () => Number((await db.query(
        "SELECT count(*) AS n FROM pgboss.job WHERE name = 'leads' AND state IN ('created', 'retry', 'active')",
      )).rows[0].n),
      close: () => boss.stop({ graceful: false, wait: true }),
    };
  }
  if (kind === 'graphile') {
    const { makeWorkerUtils } = require('graphile-worker');
    const utils = await makeWorkerUtils({ connectionString: connectionString() });
    await utils.migrate();
    await db.query('DELETE FROM graphile_worker._private_jobs');
    return {
      add: (jobs) => utils.addJobs(jobs.map((payload) => ({ identifier: 'lead', payload, maxAttempts: 5 }))),
      pending: async () => Number((await db.query('SELECT count(*) AS n FROM graphile_worker._private_jobs')).rows[0].n),
      close: () => utils.release(),
    };
  }
  throw new Error(`unknown peer ${kind}`);
}

async function main() {
  const db = new pg.Client(connectionConfig(1));
  await db.connect();
  const rows = (await db.query('SELECT id, payload FROM bench.payloads ORDER BY id')).rows;
  const leads = rows.map((r) => ({ tracking_id: r.payload.tracking_id, payload: r.payload }));
  const n = leads.length;
  const q = await backend(db);

  // the worker process
  const child = fork(path.join(__dirname, 'peer-worker.js'), [kind], { stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
  let done = 0;
  let failed = 0;
  let final = null;
  let fatal = null;
  const ready = new Promise((resolve, reject) => {
    child.on('message', (m) => {
      if (m.ready) resolve();
      if (m.fatal) {
        fatal = m.fatal;
        reject(new Error(m.fatal));
      }
      if (m.done !== undefined) {
        done = m.done;
        failed = m.failed;
      }
      if (m.final) final = m;
    });
    child.on('exit', (code) => {
      if (!final) reject(new Error(`worker exited with ${code}`));
    });
  });
  await ready;

  // the measurement
  const t0 = process.hrtime.bigint();
  for (let k = 0; k < n; k += CHUNK) {
    const submitted = new Date().toISOString();
    await q.add(leads.slice(k, k + CHUNK).map((l) => ({ ...l, submitted_at: submitted })));
  }
  const tAdded = process.hrtime.bigint();
  let tEnd = null;
  while (tEnd === null) {
    if (fatal) throw new Error(fatal);
    if (Number(process.hrtime.bigint() - t0) / 1e6 > TIMEOUT_MS) throw new Error(`${kind}: not drained in time`);
    if (done >= n && (await q.pending()) === 0) {
      tEnd = process.hrtime.bigint();
      break;
    }
    await sleep(20);
  }

  child.send({ stop: true });
  for (let k = 0; k < 500 && !final; k++) await sleep(20);
  await q.close();
  await db.end();
  const seconds = Number(tEnd - t0) / 1e9;
  process.stdout.write(`${JSON.stringify({
    peer: kind,
    leads: n,
    seconds,
    rate: n / seconds,
    add_seconds: Number(tAdded - t0) / 1e9,
    committed: final ? final.done : done,
    failed_attempts: final ? final.failed : failed,
    statuses: final ? final.statuses : null,
    errors: final ? final.errors : [],
  })}\n`);
  process.exit(0);
}

main().catch((err) => {
  console.error(`${kind}: ${err && err.stack ? err.stack : err}`);
  process.exit(1);
});
