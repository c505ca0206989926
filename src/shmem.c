/*-------------------------------------------------------------------------
 *
 * shmem.c
 *		Shared memory of pg_leadgen.
 *
 * One fixed-size block, requested at postmaster start (the library must be
 * preloaded): the latches of the pipeline workers, so that a committing
 * submitter can wake them at once, and the counters of the "leads" queue,
 * so that reading queue metrics touches no table.
 *
 * Concurrency: worker latches are written by their owner at start and at
 * exit under a spinlock, and read under it by submitters. Counters are
 * atomics; the throughput and latency rings are guarded by a spinlock held
 * for a few stores.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/shmem.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/lwlock.h"
#include "storage/shmem.h"

#include "pg_leadgen.h"
#include "shmem.h"

LeadgenShared *leadgen_shared = NULL;
LeadgenGate *leadgen_gate = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

/* The claim gate's tickets: one slot per BackendId (1 .. MaxBackends), slot 0 unused. */
static Size
gate_size(void)
{
	return add_size(offsetof(LeadgenGate, slot),
					mul_size(MaxBackends + 1, sizeof(LeadgenGateSlot)));
}

/*
 * leadgen_shmem_request
 *		Ask for our blocks while the postmaster sizes shared memory.
 */
static void
leadgen_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(LeadgenShared)));
	RequestAddinShmemSpace(MAXALIGN(gate_size()));
}

/*
 * leadgen_shmem_startup
 *		Create or attach the block. Runs in the postmaster and, after a
 *		crash, again when shared memory is re-created.
 */
static void
leadgen_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	leadgen_shared = ShmemInitStruct("pg_leadgen", sizeof(LeadgenShared), &found);
	if (!found)
	{
		memset(leadgen_shared, 0, sizeof(LeadgenShared));
		SpinLockInit(&leadgen_shared->mutex);
		SpinLockInit(&leadgen_shared->stats.mutex);
		pg_atomic_init_u64(&leadgen_shared->stats.completed, 0);
		pg_atomic_init_u64(&leadgen_shared->stats.failed, 0);
		pg_atomic_init_u64(&leadgen_shared->stats.dead, 0);
		pg_atomic_init_u32(&leadgen_shared->stats.active, 0);
	}
	leadgen_gate = ShmemInitStruct("pg_leadgen claim gate", gate_size(), &found);
	if (!found)
	{
		memset(leadgen_gate, 0, gate_size());
		leadgen_gate->nslots = MaxBackends + 1;
	}
	LWLockRelease(AddinShmemInitLock);
}

/*
 * ShmemInit
 *		Install the hooks. Called from _PG_init at postmaster start only.
 */
void
ShmemInit(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = leadgen_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = leadgen_shmem_startup;
}

/*
 * ShmemAttached
 *		Whether this process sees the shared block (the library was
 *		preloaded).
 */
bool
ShmemAttached(void)
{
	return leadgen_shared != NULL;
}

/*
 * ShmemSetWorkerLatch
 *		Publish (or, with NULL, withdraw) the latch of pipeline worker slot.
 */
void
ShmemSetWorkerLatch(int slot, Latch *latch)
{
	Assert(slot >= 0 && slot < LEADGEN_MAX_WORKERS);
	SpinLockAcquire(&leadgen_shared->mutex);
	leadgen_shared->worker_latch[slot] = latch;
	SpinLockRelease(&leadgen_shared->mutex);
}

/*
 * ShmemWakeWorkers
 *		Set the latch of every running pipeline worker. Cheap enough to call
 *		at every commit that enqueued leads: an idle worker wakes at once,
 *		a busy one finds the latch set when its batch ends.
 */
void
ShmemWakeWorkers(void)
{
	Latch	   *latches[LEADGEN_MAX_WORKERS];
	int			n = 0;

	if (leadgen_shared == NULL)
		return;
	SpinLockAcquire(&leadgen_shared->mutex);
	for (int i = 0; i < LEADGEN_MAX_WORKERS; i++)
		if (leadgen_shared->worker_latch[i] != NULL)
			latches[n++] = leadgen_shared->worker_latch[i];
	SpinLockRelease(&leadgen_shared->mutex);

	for (int i = 0; i < n; i++)
		SetLatch(latches[i]);
}

/*
 * ShmemRecordBatch
 *		Account for n leads just committed: throughput of the current
 *		minute and their wait and processing times.
 */
void
ShmemRecordBatch(int n, const int64 *wait_us, const int64 *proc_us, int64 now_unix_s)
{
	LeadgenQueueStats *st;
	int64		minute = now_unix_s / 60;
	int			slot = (int) (minute % LEADGEN_MINUTES);

	if (leadgen_shared == NULL || n <= 0)
		return;
	st = &leadgen_shared->stats;
	pg_atomic_fetch_add_u64(&st->completed, n);

	SpinLockAcquire(&st->mutex);
	if (st->minute_epoch[slot] != minute)
	{
		st->minute_epoch[slot] = minute;
		st->minute_count[slot] = 0;
	}
	st->minute_count[slot] += n;
	for (int i = 0; i < n; i++)
	{
		uint32		k = st->next_sample;

		st->wait_us[k] = wait_us[i];
		st->proc_us[k] = proc_us[i];
		st->next_sample = (k + 1) % LEADGEN_SAMPLES;
		if (st->nsamples < LEADGEN_SAMPLES)
			st->nsamples++;
	}
	SpinLockRelease(&st->mutex);
}
