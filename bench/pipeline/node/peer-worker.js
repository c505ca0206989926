'use strict';
// A Node peer's worker process: consumes the "leads" queue of one job queue
// (BullMQ, pg-boss or graphile-worker) and runs the shared lead handler on
// every job. Started by peer.js, to which it reports over IPC: "ready" once
// it consumes, then the number of leads committed every 20 ms, and its
// final counts when told to stop.
//
// Tuning, as each queue's documentation advises for throughput:
// - BullMQ: one Worker, concurrency 50, jobs removed on completion, a
//   connection with maxRetriesPerRequest null.
// - pg-boss: batch fetch (batchSize 1000) in burst mode (burstWhenBatchFull:
//   fetch again at once while batches come back full), two local workers,
//   each running its batch 25 leads at a time (50 in flight), and
//   per-job results so that one failed lead does not retry its batch.
// - graphile-worker: concurrentJobs 50, local queue of 500 jobs, batched
//   completion and failure (completeJobBatchDelay / failJobBatchDelay 0).

const { LeadHandler, eachLimit, connectionString } = require('./handler');

const kind = process.argv[2];
const CONCURRENCY = Number(process.env.PEER_CONCURRENCY || 50);
const handler = new LeadHandler({ poolSize: Number(process.env.PEER_POOL || CONCURRENCY) });
const errors = [];
let stopFn = async () => {};

function noteError(err) {
  if (errors.length < 5) errors.push(String(err && err.stack ? err.stack : err));
}

async function startBullMQ() {
  const { Worker } = require('bullmq');
  const connection = {
    host: '127.0.0.1',
    port: Number(process.env.REDIS_PORT || 6390),
    maxRetriesPerRequest: null,
  };
  const worker = new Worker('leads', async (job) => {
    try {
      await handler.handle(job.data, job.attemptsMade + 1);
    } catch (err) {
      noteError(err);
      throw err;
    }
  }, {
    connection,
    concurrency: CONCURRENCY,
    removeOnComplete: { count: 0 },
    removeOnFail: { count: 1000 },
  });
  await worker.waitUntilReady();
  stopFn = () => worker.close();
}

async function startPgBoss() {
  const { PgBoss } = await import('pg-boss');
  const boss = new PgBoss({ connectionString: connectionString(), max: 4, schema: 'pgboss' });
  boss.on('error', noteError);
  await boss.start();
  const perWorker = Math.max(1, Math.floor(CONCURRENCY / 2));
  await boss.work('leads', {
    batchSize: 1000,
    burstWhenBatchFull: true,
    pollingIntervalSeconds: 0.5,
    localConcurrency: 2,
    perJobResults: true,
  }, async (jobs) => {
    const results = [];
    await eachLimit(jobs, perWorker, async (job) => {
      try {
        await handler.handle(job.data, (job.retryCount || 0) + 1);
        results.push({ id: job.id, status: 'completed' });
      } catch (err) {
        noteError(err);
        results.push({ id: job.id, status: 'failed', output: { message: String(err.message) } });
      }
    });
    return results;
  });
  stopFn = () => boss.stop({ graceful: true, wait: true });
}

async function startGraphile() {
  const { run } = require('graphile-worker');
  const runner = await run({
    preset: {
      worker: {
        connectionString: connectionString(),
        concurrentJobs: CONCURRENCY,
        maxPoolSize: 10,
        pollInterval: 2000,
        localQueue: { size: 500 },
        completeJobBatchDelay: 0,
        failJobBatchDelay: 0,
      },
    },
    noHandleSignals: true,
    logger: quietLogger(),
    taskList: {
      lead: async (payload, helpers) => {
        try {
          await handler.handle(payload, helpers.job.attempts);
        } catch (err) {
          noteError(err);
          throw err;
        }
      },
    },
  });
  stopFn = () => runner.stop();
}

function quietLogger() {
  const { Logger } = require('graphile-worker');
  return new Logger(() => (level, message) => {
    if (level === 'error') noteError(message);
  });
}

async function main() {
  await handler.init();
  if (kind === 'bullmq') await startBullMQ();
  else if (kind === 'pgboss') await startPgBoss();
  else if (kind === 'graphile') await startGraphile();
  else throw new Error(`unknown peer ${kind}`);

  let reported = -1;
  const timer = setInterval(() => {
    if (handler.done !== reported && process.connected) {
      reported = handler.done;
      process.send({ done: handler.done, failed: handler.failed });
    }
  }, 20);
  process.on('message', async (msg) => {
    if (msg && msg.stop) {
      clearInterval(timer);
      await stopFn();
      await handler.close();
      process.send({ final: true, done: handler.done, failed: handler.failed, statuses: handler.statuses, errors },
        () => process.exit(0));
    }
  });
  process.send({ ready: true });
}

// the measuring process is gone: stop too
process.on('disconnect', () => process.exit(1));
process.on('error', () => process.exit(1));

main().catch((err) => {
  process.send({ fatal: String(err && err.stack ? err.stack : err) }, () => process.exit(1));
});
