/*-------------------------------------------------------------------------
 *
 * shmem.h
 *		Shared state of pg_leadgen: the workers' latches and the queue's
 *		counters.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/shmem.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_SHMEM_H
#define LEADGEN_SHMEM_H

#include "port/atomics.h"
#include "storage/latch.h"
#include "storage/spin.h"

#include "pg_leadgen.h"

#define LEADGEN_MINUTES			60		/* throughput history, one slot a minute */
#define LEADGEN_SAMPLES			4096	/* latency samples kept for percentiles */

/*
 * Counters of the "leads" queue. The atomics are bumped by the workers after
 * each commit; the rings are guarded by the spinlock, held only to copy or
 * store a few words.
 */
typedef struct LeadgenQueueStats
{
	pg_atomic_uint64 completed;		/* leads written to leadgen.leads */
	pg_atomic_uint64 failed;		/* failed attempts that were retried */
	pg_atomic_uint64 dead;			/* leads moved to the dead letter table */
	pg_atomic_uint32 active;		/* leads claimed by a batch in flight */
	slock_t		mutex;
	int64		minute_epoch[LEADGEN_MINUTES];	/* minute number (Unix s / 60) */
	uint64		minute_count[LEADGEN_MINUTES];
	uint32		next_sample;
	uint32		nsamples;
	int64		wait_us[LEADGEN_SAMPLES];		/* enqueued -> claimed */
	int64		proc_us[LEADGEN_SAMPLES];		/* enqueued -> processed_at */
} LeadgenQueueStats;

typedef struct LeadgenShared
{
	slock_t		mutex;			/* guards worker_latch */
	Latch	   *worker_latch[LEADGEN_MAX_WORKERS];
	LeadgenQueueStats stats;
} LeadgenShared;

extern LeadgenShared *leadgen_shared;

/*
 * The claim gate's tickets (duplicates.c): the order in which transactions
 * first passed the gate, one slot per backend (indexed by BackendId), read
 * and written only by holders of the gate.
 */
typedef struct LeadgenGateSlot
{
	LocalTransactionId lxid;	/* the transaction the ticket is for */
	uint64		ticket;
} LeadgenGateSlot;

typedef struct LeadgenGate
{
	uint64		last_ticket;
	int			nslots;
	LeadgenGateSlot slot[FLEXIBLE_ARRAY_MEMBER];
} LeadgenGate;

extern LeadgenGate *leadgen_gate;

extern void ShmemInit(void);
extern bool ShmemAttached(void);
extern void ShmemSetWorkerLatch(int slot, Latch *latch);
extern void ShmemWakeWorkers(void);
extern void ShmemRecordBatch(int n, const int64 *wait_us, const int64 *proc_us, int64 now_unix_s);

#endif							/* LEADGEN_SHMEM_H */
