/*-------------------------------------------------------------------------
 *
 * worker.c
 *		The pg_leadgen launcher: the background worker that keeps the
 *		database's partitions ahead of time.
 *
 * One static worker is registered at postmaster start. It connects to
 * leadgen.database and, while the extension exists there, runs
 * leadgen.run_maintenance() every leadgen.maintenance_interval. A failed
 * run is reported and retried at the next interval: the worker does not
 * exit on a maintenance error, so a broken configuration cannot turn into
 * a restart loop. Each run is idempotent, so a worker killed mid-run and
 * restarted by the postmaster simply runs again.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/worker.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "storage/latch.h"
#include "tcop/tcopprot.h"
#include "utils/memutils.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "pg_leadgen.h"

bool		leadgen_preloaded = false;

PGDLLEXPORT void LauncherMain(Datum main_arg);

/*
 * WorkerRegister
 *		Register the launcher. Called from _PG_init at postmaster start only.
 */
void
WorkerRegister(void)
{
	BackgroundWorker worker;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = 10;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, LEADGEN_EXTENSION_NAME);
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "LauncherMain");
	snprintf(worker.bgw_name, BGW_MAXLEN, LEADGEN_LAUNCHER_TYPE);
	snprintf(worker.bgw_type, BGW_MAXLEN, LEADGEN_LAUNCHER_TYPE);
	worker.bgw_main_arg = (Datum) 0;
	RegisterBackgroundWorker(&worker);
}

/*
 * extension_ready
 *		Whether pg_leadgen is created in this database. Caller holds a
 *		transaction.
 */
static bool
extension_ready(void)
{
	return OidIsValid(get_extension_oid(LEADGEN_EXTENSION_NAME, true));
}

/*
 * run_maintenance
 *		One run of partition maintenance in its own transaction, when the
 *		extension exists. Errors propagate to the caller, which has to
 *		clean up the aborted transaction.
 */
static void
run_maintenance(void)
{
	const char *sql = "SELECT parent_table, rows_moved FROM "
		LEADGEN_SCHEMA_NAME ".run_maintenance()";
	int			ret;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (!extension_ready())
	{
		CommitTransactionCommand();
		return;
	}
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	debug_query_string = sql;
	pgstat_report_activity(STATE_RUNNING, sql);

	ret = SPI_execute(sql, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "unexpected SPI result %d for partition maintenance", ret);
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *table = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		char	   *moved = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2);

		if (moved != NULL && strcmp(moved, "0") != 0)
			ereport(LOG,
					(errmsg("partition maintenance moved %s rows of \"%s\" out of its default partition",
							moved, table)));
	}

	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	debug_query_string = NULL;
	pgstat_report_stat(true);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * LauncherMain
 *		Entry point of the launcher background worker.
 */
void
LauncherMain(Datum main_arg)
{
	MemoryContext loop_cxt;
	volatile TimestampTz last_maintenance = 0;	/* kept across PG_TRY */

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();

	BackgroundWorkerInitializeConnection(leadgen_database, NULL, 0);
	pgstat_report_appname(LEADGEN_LAUNCHER_TYPE);
	ereport(LOG,
			(errmsg("pg_leadgen launcher started in database \"%s\"", leadgen_database)));

	loop_cxt = AllocSetContextCreate(TopMemoryContext,
									 "pg_leadgen launcher loop",
									 ALLOCSET_DEFAULT_SIZES);

	for (;;)
	{
		TimestampTz now = GetCurrentTimestamp();
		long		wait_ms = leadgen_naptime;

		CHECK_FOR_INTERRUPTS();
		if (ConfigReloadPending)
		{
			ConfigReloadPending = false;
			ProcessConfigFile(PGC_SIGHUP);
		}

		if (leadgen_maintenance_interval > 0 &&
			(last_maintenance == 0 ||
			 TimestampDifferenceExceeds(last_maintenance, now,
										leadgen_maintenance_interval * 1000)))
		{
			MemoryContext oldcxt = MemoryContextSwitchTo(loop_cxt);

			last_maintenance = now;
			PG_TRY();
			{
				run_maintenance();
			}
			PG_CATCH();
			{
				/* Report, roll back, and try again at the next interval. */
				MemoryContextSwitchTo(loop_cxt);
				EmitErrorReport();
				FlushErrorState();
				AbortCurrentTransaction();
				debug_query_string = NULL;
				pgstat_report_activity(STATE_IDLE, NULL);
			}
			PG_END_TRY();
			MemoryContextSwitchTo(oldcxt);
			MemoryContextReset(loop_cxt);
		}

		(void) WaitLatch(MyLatch,
						 WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 wait_ms,
						 PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
	}
}
