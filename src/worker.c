/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The background workers of pg_leadgen.
 *
 * Registered at postmaster start, all connected to leadgen.database:
 *
 * - the launcher, which starts the runs of scheduled jobs (scheduler.c:
 *   partition maintenance is one) and sweeps the backlog of qualified
 *   leads onto agents that have room;
 * - leadgen.workers pipeline workers, which drain leadgen.leads_pending a
 *   batch (leadgen.batch_size) per transaction. A submitting transaction
 *   sets their latches at commit; otherwise they look at the queue every
 *   leadgen.poll_interval, which is when retries come due.
 *
 * While the extension does not exist in the database, the workers wait.
 * An error in a worker's loop is reported, its transaction rolled back and
 * the work retried later: the worker does not exit, so a broken
 * configuration cannot turn into a restart loop. Every unit of work is one
 * transaction and idempotent, so a worker killed at any point and
 * restarted by the postmaster simply goes on.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "bgxact.h"
#include "claim.h"
#include "pg_leadgen.h"
#include "pipeline.h"
#include "queue.h"
#include "scheduler.h"
#include "shmem.h"
#include "spiutil.h"

#define BACKLOG_SWEEP_MS	30000

PGDLLEXPORT void LauncherMain(Datum main_arg);
PGDLLEXPORT void PipelineWorkerMain(Datum main_arg);

static void
register_one(const char *function, const char *type, int slot)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, LEADGEN_EXTENSION_NAME);
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "%s", function);
	if (slot >= 0)
		snprintf(worker.bgw_name, BGW_MAXLEN, "%s %d", type, slot + 1);
	else
		snprintf(worker.bgw_name, BGW_MAXLEN, "%s", type);
	snprintf(worker.bgw_type, BGW_MAXLEN, "%s", type);
	worker.bgw_main_arg = Int32GetDatum(slot);
	RegisterBackgroundWorker(&worker);
}

/*
 * WorkerRegister
 *		Register the launcher and the pipeline workers. Called from _PG_init
 *		at postmaster start only.
 */
void
WorkerRegister(void)
{
	register_one("LauncherMain", LEADGEN_LAUNCHER_TYPE, -1);
	for (int i = 0; i < leadgen_workers; i++)
		register_one("PipelineWorkerMain", LEADGEN_WORKER_TYPE, i);
}

/*
 * run_statement
 *		Run one statement of the launcher in its own transaction, when the
 *		extension exists. Errors propagate to the caller, which cleans up
 *		the transaction.
 */
static void
run_statement(const char *sql)
{
	int			ret;

	if (!BgXactBeginIfReady(sql))
		return;
	debug_query_string = sql;
	ret = SPI_execute(sql, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "unexpected SPI result %d for \"%s\"", ret, sql);
	BgXactCommit();
	debug_query_string = NULL;
}

/*
 * recover_from_error
 *		Report the error the loop caught and roll its transaction back, so
 *		that the loop can go on. Caller switches back to its own context.
 */
static void
recover_from_error(void)
{
	EmitErrorReport();
	FlushErrorState();
	AbortCurrentTransaction();
	BgXactForgetReadiness();
	PipelineResetActive();
	debug_query_string = NULL;
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * launcher_step
 *		Run one step of the launcher's loop; an error is reported and its
 *		transaction rolled back, and the loop goes on.
 */
static void
launcher_step(void (*step) (void), MemoryContext loop_cxt)
{
	MemoryContext oldcxt = MemoryContextSwitchTo(loop_cxt);

	PG_TRY();
	{
		step();
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(loop_cxt);
		recover_from_error();
	}
	PG_END_TRY();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextReset(loop_cxt);
}

static void
run_due_jobs(void)
{
	(void) SchedulerRunDue();
}

/*
 * sweep
 *		Qualified leads are assigned when capacity appears (a trigger on
 *		agents does it at once); this sweep catches a lead that became
 *		qualified while that capacity was being committed. It also marks
 *		failed the job runs whose worker died or never started, and prunes
 *		the job history past leadgen.job_history_days. leadgen.scheduler
 *		off holds it with the jobs. The first sweep runs at the launcher's
 *		start, so a run a crash interrupted is marked at once.
 */
static void
sweep(void)
{
	run_statement("SELECT " LEADGEN_SCHEMA_NAME ".assign_backlog(), "
				  LEADGEN_SCHEMA_NAME ".job_runs_sweep(), "
				  LEADGEN_SCHEMA_NAME ".prune_job_runs()");
}

/*
 * LauncherMain
 *		Entry point of the launcher background worker.
 */
void
LauncherMain(Datum main_arg)
{
	MemoryContext loop_cxt;
	TimestampTz last_sweep = 0;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(leadgen_database, NULL, 0);
	LeadgenPinSessionSearchPath();
	pgstat_report_appname(LEADGEN_LAUNCHER_TYPE);
	ereport(LOG,
			(errmsg("pg_leadgen launcher started in database \"%s\"", leadgen_database)));

	loop_cxt = AllocSetContextCreate(TopMemoryContext,
									 "pg_leadgen launcher loop",
									 ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (leadgen_scheduler)
		{
			launcher_step(run_due_jobs, loop_cxt);
			if (TimestampDifferenceExceeds(last_sweep, now, BACKLOG_SWEEP_MS))
			{
				last_sweep = now;
				launcher_step(sweep, loop_cxt);
			}
		}

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 leadgen_naptime,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}

/*
 * worker_exit
 *		Withdraw the worker's latch from shared memory.
 */
static void
worker_exit(int code, Datum arg)
{
	ShmemSetWorkerLatch(DatumGetInt32(arg), NULL);
	PipelineResetActive();
}

/*
 * PipelineWorkerMain
 *		Entry point of a pipeline worker: drain the queue a batch per
 *		transaction while rows are due, then sleep until a submitter's
 *		commit sets the latch or leadgen.poll_interval passes.
 */
void
PipelineWorkerMain(Datum main_arg)
{
	int			slot = DatumGetInt32(main_arg);
	MemoryContext loop_cxt;
	PipelineResult res;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(leadgen_database, NULL, 0);
	LeadgenPinSessionSearchPath();
	pgstat_report_appname(LEADGEN_WORKER_TYPE);

	ShmemSetWorkerLatch(slot, MyLatch);
	before_shmem_exit(worker_exit, Int32GetDatum(slot));
	ClaimFromLastEnd(true);

	memset(&res, 0, sizeof(res));
	res.capacity = 10000;		/* the largest leadgen.batch_size */
	res.wait_us = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * res.capacity);
	res.proc_us = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * res.capacity);
	loop_cxt = AllocSetContextCreate(TopMemoryContext,
									 "pg_leadgen worker loop",
									 ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		volatile bool more = false;
		volatile bool ready = true;
		MemoryContext oldcxt;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		oldcxt = MemoryContextSwitchTo(loop_cxt);
		PG_TRY();
		{
			if (!BgXactBeginIfReady("pg_leadgen pipeline batch"))
				ready = false;
			else
			{
				int			claimed = PipelineRunBatch(leadgen_batch_size, &res);

				BgXactCommit();
				QueueRecordResult(&res);
				more = claimed > 0;
			}
		}
		PG_CATCH();
		{
			MemoryContextSwitchTo(loop_cxt);
			recover_from_error();
			/* the batch's rows are back in the queue: claim from its head */
			ClaimForgetEnd();
			more = false;
		}
		PG_END_TRY();
		MemoryContextSwitchTo(oldcxt);
		MemoryContextReset(loop_cxt);

		if (more)
			continue;

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 ready ? leadgen_poll_interval : Max(leadgen_poll_interval, 5000),
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
