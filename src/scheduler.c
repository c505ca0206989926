/*-------------------------------------------------------------------------
 *
 * scheduler.c
 *		Recurring jobs: cron schedules in any time zone, run by the launcher
 *		in background workers of their own.
 *
 * A job (leadgen.jobs) has a standard 5-field cron schedule, an IANA time
 * zone and a command (SQL). The launcher looks for due jobs every
 * leadgen.naptime: for each it records a run (leadgen.job_runs), moves the
 * job's next_run_at to the schedule's next instant after now, commits, and
 * starts a "pg_leadgen job" background worker for the run. The job worker
 * executes the command the way a client's simple query would be, each
 * statement as a top-level statement in a transaction of its own, so that
 * commands that cannot run inside a transaction block or a function
 * (VACUUM) run too; it then records the outcome on the run. A command runs
 * as the role that scheduled the job (jobs.owner), never with more
 * privileges, and cannot change role.
 *
 * The job runs are the queue "maintenance" (51_queues.sql): while it is
 * paused no run starts, scheduled or asked for by hand.
 *
 * A run asked for by hand (run_job_now(), perf_optimize_table()) does not
 * wait for the launcher: the calling session records it and starts its job
 * worker when its transaction commits, in its own database. So jobs can be
 * run at once in any database with the extension, also where the launcher
 * does not serve (leadgen.database names another) and while
 * leadgen.scheduler is off, which holds the schedule only.
 *
 * Missed runs (the server was down, the scheduler was off) are not
 * replayed one by one: a job that is due runs once and its next run is
 * computed from now. Time zones use PostgreSQL's own time zone machinery;
 * how daylight saving gaps and overlaps are handled is documented in
 * cron.h.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/scheduler.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "miscadmin.h"
#include "parser/analyze.h"
#include "pgstat.h"
#include "pgtime.h"
#include "postmaster/bgworker.h"
#include "postmaster/interrupt.h"
#include "storage/ipc.h"
#include "tcop/cmdtag.h"
#include "tcop/pquery.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/datetime.h"
#include "utils/memutils.h"
#include "utils/portal.h"
#include "utils/snapmgr.h"
#include "utils/timestamp.h"

#include "bgxact.h"
#include "cron.h"
#include "pg_leadgen.h"
#include "scheduler.h"
#include "spiutil.h"

#define S LEADGEN_SCHEMA_NAME

/* Seconds between the Unix epoch and PostgreSQL's (2000-01-01). */
#define UNIX_EPOCH_OFFSET_S \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY)

PGDLLEXPORT void JobWorkerMain(Datum main_arg);

/*
 * Time zones for cron.c, over pg_tz.
 */
static void
zone_to_local(void *arg, int64_t utc, CronLocalTime *out)
{
	pg_time_t	t = (pg_time_t) utc;
	struct pg_tm *tm = pg_localtime(&t, (const pg_tz *) arg);

	out->year = tm->tm_year + 1900;
	out->month = tm->tm_mon + 1;
	out->day = tm->tm_mday;
	out->hour = tm->tm_hour;
	out->minute = tm->tm_min;
	out->second = tm->tm_sec;
	out->wday = tm->tm_wday;
}

static int
zone_local_offset(void *arg, const CronLocalTime *local)
{
	struct pg_tm tm;

	memset(&tm, 0, sizeof(tm));
	tm.tm_year = local->year;	/* datetime.c's convention: full year, */
	tm.tm_mon = local->month;	/* month 1-12 */
	tm.tm_mday = local->day;
	tm.tm_hour = local->hour;
	tm.tm_min = local->minute;
	tm.tm_sec = local->second;
	/* PostgreSQL counts offsets west of Greenwich as positive */
	return -DetermineTimeZoneOffset(&tm, (pg_tz *) arg);
}

/*
 * SchedulerNextRun
 *		The first run of schedule in zone strictly after `after`. Raises
 *		a clear error for a bad schedule or an unknown time zone.
 */
TimestampTz
SchedulerNextRun(const char *schedule, const char *timezone, TimestampTz after)
{
	CronSchedule cs;
	char		err[LEADGEN_CRON_ERRBUF_SIZE];
	pg_tz	   *tz = pg_tzset(timezone);
	CronZone	zone;
	int64_t		next;

	if (!CronParse(schedule, &cs, err, sizeof(err)))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid cron schedule \"%s\": %s", schedule, err),
				 errhint("Use five fields (minute hour day-of-month month day-of-week), e.g. \"30 2 * * *\", or @hourly, @daily, @weekly, @monthly, @yearly.")));
	if (tz == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("time zone \"%s\" is not recognized", timezone),
				 errhint("Use an IANA time zone name such as \"America/New_York\" or \"UTC\"; pg_timezone_names lists them.")));

	zone.arg = tz;
	zone.to_local = zone_to_local;
	zone.local_offset = zone_local_offset;
	next = CronNextRun(&cs, &zone, (int64_t) (after / USECS_PER_SEC + UNIX_EPOCH_OFFSET_S));
	if (next < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cron schedule \"%s\" has no run after %s", schedule, timestamptz_to_str(after))));
	return (TimestampTz) (next - UNIX_EPOCH_OFFSET_S) * USECS_PER_SEC;
}

/*
 * start_job_worker
 *		Start the background worker of one run, in database dboid. Returns
 *		false when no worker slot is free.
 */
static bool
start_job_worker(int64 run_id, Oid dboid)
{
	BackgroundWorker worker;
	BackgroundWorkerHandle *handle;

	memset(&worker, 0, sizeof(worker));
	worker.bgw_flags = BGWORKER_SHMEM_ACCESS | BGWORKER_BACKEND_DATABASE_CONNECTION;
	worker.bgw_start_time = BgWorkerStart_RecoveryFinished;
	worker.bgw_restart_time = BGW_NEVER_RESTART;
	snprintf(worker.bgw_library_name, BGW_MAXLEN, LEADGEN_EXTENSION_NAME);
	snprintf(worker.bgw_function_name, BGW_MAXLEN, "JobWorkerMain");
	snprintf(worker.bgw_name, BGW_MAXLEN, "%s run " INT64_FORMAT, LEADGEN_JOB_TYPE, run_id);
	snprintf(worker.bgw_type, BGW_MAXLEN, LEADGEN_JOB_TYPE);
	worker.bgw_main_arg = Int64GetDatum(run_id);
	memcpy(worker.bgw_extra, &dboid, sizeof(dboid));
	worker.bgw_notify_pid = MyProcPid;
	return RegisterDynamicBackgroundWorker(&worker, &handle);
}

/* Runs recorded by this session's transaction, to start when it commits. */
static List *runs_at_commit = NIL;
static bool runs_callback_registered = false;

static void
runs_xact_callback(XactEvent event, void *arg)
{
	List	   *runs = runs_at_commit;
	ListCell   *lc;

	if (event != XACT_EVENT_COMMIT && event != XACT_EVENT_ABORT &&
		event != XACT_EVENT_PARALLEL_COMMIT && event != XACT_EVENT_PARALLEL_ABORT)
		return;
	runs_at_commit = NIL;
	if (event == XACT_EVENT_COMMIT)
		foreach(lc, runs)
		{
			int64		run_id = *(int64 *) lfirst(lc);

			/*
			 * No slot: the run stays "starting" and the launcher's sweep
			 * marks it failed; nothing can be written after the commit.
			 */
			if (!start_job_worker(run_id, MyDatabaseId))
				ereport(WARNING,
						(errmsg("no background worker slot is free for job run " INT64_FORMAT, run_id),
						 errhint("Raise max_worker_processes.")));
		}
	list_free_deep(runs);
}

/*
 * SchedulerStartRun
 *		Record a run of the job named job_name now, and start its worker
 *		when the calling transaction commits (in this database, whatever
 *		the launcher serves). A one-off job pauses itself as it starts.
 *		The job's schedule is not touched. Returns the run's id; raises an
 *		error for an unknown job. Caller holds a transaction; the rows are
 *		written with the caller's privileges.
 */
int64
SchedulerStartRun(const char *job_name)
{
	Oid			argtypes[1] = {TEXTOID};
	Datum		args[1];
	bool		isnull;
	int64		run_id;
	int64	   *item;
	MemoryContext old;
	int			guc_level;

	args[0] = CStringGetTextDatum(job_name);
	guc_level = LeadgenSPIConnect();
	if (SPI_execute("SELECT " S ".job_runs_sweep()", false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not sweep the job runs");
	if (SPI_execute("SELECT 1 FROM " S ".queues WHERE name = 'maintenance' AND paused", true, 1) != SPI_OK_SELECT)
		elog(ERROR, "could not read the state of the maintenance queue");
	if (SPI_processed > 0)
		ereport(ERROR,
				(errcode(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE),
				 errmsg("the maintenance queue is paused"),
				 errdetail("No job run starts while it is paused, also none asked for by hand."),
				 errhint("Resume it with leadgen.queue_resume('maintenance').")));
	if (SPI_execute_with_args("WITH j AS (SELECT id, name FROM " S ".jobs WHERE name = $1 FOR UPDATE),"
							  " r AS (INSERT INTO " S ".job_runs (job_id, job_name, scheduled_for, status)"
							  "       SELECT id, name, now(), 'starting' FROM j RETURNING id),"
							  " u AS (UPDATE " S ".jobs x SET last_run_at = now(), paused = x.paused OR x.once"
							  "       FROM j WHERE x.id = j.id)"
							  " SELECT id FROM r", 1, argtypes, args, NULL, false, 0) != SPI_OK_SELECT)
		elog(ERROR, "could not record a run of job \"%s\"", job_name);
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("job \"%s\" does not exist", job_name),
				 errhint("SELECT name FROM leadgen.jobs lists the jobs.")));
	run_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	LeadgenSPIFinish(guc_level);

	if (!runs_callback_registered)
	{
		RegisterXactCallback(runs_xact_callback, NULL);
		runs_callback_registered = true;
	}
	old = MemoryContextSwitchTo(TopMemoryContext);
	item = palloc(sizeof(int64));
	*item = run_id;
	runs_at_commit = lappend(runs_at_commit, item);
	MemoryContextSwitchTo(old);
	return run_id;
}

/*
 * SchedulerRunDue
 *		Start the runs of the jobs that are due. Called by the launcher
 *		outside a transaction; each run is recorded and the job's next run
 *		set in one committed transaction before its worker starts, so a
 *		crash cannot run a job twice for the same slot. Returns the number
 *		of runs started.
 */
int
SchedulerRunDue(void)
{
	int64	   *runs = NULL;
	int			nruns = 0;
	int			started = 0;
	int			ret;
	const char *sql =
	"WITH due AS ("
	"  SELECT j.id, j.name, j.next_run_at FROM " S ".jobs j"
	"   WHERE NOT j.paused AND j.next_run_at <= now()"
	"     AND NOT EXISTS (SELECT 1 FROM " S ".queues q WHERE q.name = 'maintenance' AND q.paused)"
	"   ORDER BY j.next_run_at FOR UPDATE SKIP LOCKED),"
	" r AS ("
	"  INSERT INTO " S ".job_runs (job_id, job_name, scheduled_for, status)"
	"  SELECT id, name, next_run_at, 'starting' FROM due RETURNING id, job_id),"
	" u AS ("
	"  UPDATE " S ".jobs j SET next_run_at = " S ".cron_next(j.schedule, j.timezone, greatest(now(), d.next_run_at)),"
	"         last_run_at = now(), paused = j.paused OR j.once"
	"    FROM due d WHERE j.id = d.id RETURNING j.id)"
	" SELECT r.id FROM r ORDER BY r.id";

	if (!BgXactBeginIfReady("pg_leadgen scheduler"))
		return 0;
	ret = SPI_execute(sql, false, 0);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "looking for due jobs failed: %s", SPI_result_code_string(ret));
	if (SPI_processed > 0)
	{
		nruns = (int) SPI_processed;
		runs = MemoryContextAlloc(TopMemoryContext, sizeof(int64) * nruns);
		for (int i = 0; i < nruns; i++)
		{
			bool		isnull;

			runs[i] = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1, &isnull));
		}
	}
	BgXactCommit();

	for (int i = 0; i < nruns; i++)
	{
		if (start_job_worker(runs[i], MyDatabaseId))
			started++;
		else
		{
			Oid			argtypes[1] = {INT8OID};
			Datum		args[1];

			ereport(WARNING,
					(errmsg("no background worker slot is free for job run " INT64_FORMAT, runs[i]),
					 errhint("Raise max_worker_processes.")));
			args[0] = Int64GetDatum(runs[i]);
			BgXactBegin(NULL);
			SPI_execute_with_args("UPDATE " S ".job_runs SET status = 'failed', finished_at = clock_timestamp(),"
								  " message = 'no background worker slot was free (max_worker_processes)'"
								  " WHERE id = $1", 1, argtypes, args, NULL, false, 0);
			BgXactCommit();
		}
	}
	if (runs)
		pfree(runs);
	return started;
}

/*
 * execute_top_level
 *		Run a SQL string as a client's simple query would, but each
 *		statement in a transaction of its own and as a top-level statement
 *		(VACUUM, CREATE INDEX CONCURRENTLY and the like are allowed).
 *		Returns the completion tag of the last statement, "VACUUM" or
 *		"SELECT 1". Errors propagate; a transaction block the command opens
 *		and leaves open is an error.
 *
 * The parse and plan trees, the portal's statement list and the memory
 * current while a portal runs live in contexts of this function, children
 * of TopMemoryContext, as exec_simple_query keeps them in MessageContext:
 * commands such as VACUUM, CREATE INDEX CONCURRENTLY, REINDEX CONCURRENTLY
 * or a procedure's COMMIT end the transaction they started in and start
 * others, which frees every transaction-lifetime context. Kept there (as
 * they were before 0.2.0), the statement list PortalRun walks after such a
 * command was freed memory, and VACUUM of a catalog crashed the worker.
 */
static char *
execute_top_level(const char *sql)
{
	List	   *parsetrees;
	ListCell   *lc;
	char		tag[64] = "";
	MemoryContext run_cxt = AllocSetContextCreate(TopMemoryContext,
												  "pg_leadgen job command",
												  ALLOCSET_DEFAULT_SIZES);
	MemoryContext old;

	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	old = MemoryContextSwitchTo(run_cxt);
	parsetrees = pg_parse_query(sql);
	MemoryContextSwitchTo(old);
	CommitTransactionCommand();

	foreach(lc, parsetrees)
	{
		RawStmt    *parsetree = lfirst_node(RawStmt, lc);
		CommandTag	commandTag = CreateCommandTag(parsetree->stmt);
		MemoryContext stmt_cxt;
		List	   *querytrees;
		List	   *plantrees;
		Portal		portal;
		DestReceiver *receiver;
		QueryCompletion qc;
		bool		snapshot_set = false;

		SetCurrentStatementStartTimestamp();
		StartTransactionCommand();
		pgstat_report_activity(STATE_RUNNING, sql);

		/* everything of this statement outlives its transactions */
		stmt_cxt = AllocSetContextCreate(run_cxt, "pg_leadgen job statement",
										 ALLOCSET_DEFAULT_SIZES);
		MemoryContextSwitchTo(stmt_cxt);

		if (analyze_requires_snapshot(parsetree))
		{
			PushActiveSnapshot(GetTransactionSnapshot());
			snapshot_set = true;
		}
		querytrees = pg_analyze_and_rewrite_fixedparams(parsetree, sql, NULL, 0, NULL);
		plantrees = pg_plan_queries(querytrees, sql, CURSOR_OPT_PARALLEL_OK, NULL);
		if (snapshot_set)
			PopActiveSnapshot();

		portal = CreatePortal("", true, true);
		portal->visible = false;
		PortalDefineQuery(portal, NULL, sql, commandTag, plantrees, NULL);
		PortalStart(portal, NULL, 0, InvalidSnapshot);
		receiver = CreateDestReceiver(DestNone);
		InitializeQueryCompletion(&qc);
		(void) PortalRun(portal, FETCH_ALL, true, true, receiver, receiver, &qc);
		receiver->rDestroy(receiver);
		PortalDrop(portal, false);
		CommitTransactionCommand();
		MemoryContextSwitchTo(run_cxt);
		MemoryContextDelete(stmt_cxt);

		if (qc.commandTag != CMDTAG_UNKNOWN)
		{
			if (command_tag_display_rowcount(qc.commandTag))
				snprintf(tag, sizeof(tag), "%s " UINT64_FORMAT, GetCommandTagName(qc.commandTag), qc.nprocessed);
			else
				snprintf(tag, sizeof(tag), "%s", GetCommandTagName(qc.commandTag));
		}
		else
			snprintf(tag, sizeof(tag), "%s", GetCommandTagName(commandTag));
	}
	MemoryContextSwitchTo(old);

	/*
	 * A client's open transaction block ends with its connection; a job's
	 * ends here, rolled back, and the run says why.
	 */
	if (IsTransactionBlock())
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_TRANSACTION_STATE),
				 errmsg("the job's command left a transaction block open"),
				 errdetail("Its statements since BEGIN were rolled back."),
				 errhint("End the command with COMMIT.")));
	MemoryContextDelete(run_cxt);
	return pstrdup(tag);
}

/*
 * set_run_status
 *		Record the state of a run, in its own transaction.
 */
static void
set_run_status(int64 run_id, const char *status, const char *message, bool finished)
{
	Oid			argtypes[4] = {INT8OID, TEXTOID, TEXTOID, BOOLOID};
	Datum		args[4];
	char		nulls[4] = {' ', ' ', ' ', ' '};

	args[0] = Int64GetDatum(run_id);
	args[1] = CStringGetTextDatum(status);
	args[2] = message ? CStringGetTextDatum(message) : (Datum) 0;
	nulls[2] = message ? ' ' : 'n';
	args[3] = BoolGetDatum(finished);

	BgXactBegin(NULL);
	if (SPI_execute_with_args("UPDATE " S ".job_runs SET status = $2, message = $3,"
							  " started_at = coalesce(started_at, clock_timestamp()),"
							  " finished_at = CASE WHEN $4 THEN clock_timestamp() END,"
							  " pid = pg_backend_pid() WHERE id = $1",
							  4, argtypes, args, nulls, false, 0) != SPI_OK_UPDATE)
		elog(ERROR, "could not record the state of job run " INT64_FORMAT, run_id);
	BgXactCommit();
}

/*
 * JobWorkerMain
 *		Entry point of a job worker: run one recorded job run and record
 *		how it ended.
 */
void
JobWorkerMain(Datum main_arg)
{
	int64		run_id = DatumGetInt64(main_arg);
	Oid			dboid;
	char	   *volatile command = NULL;
	char	   *volatile job_name = NULL;
	char	   *owner = NULL;
	char	   *volatile owner_path = NULL;
	volatile Oid owner_id = InvalidOid;
	bool		owner_super = false;
	Oid			worker_user;
	int			worker_sec;
	MemoryContext cxt;

	pqsignal(SIGHUP, SignalHandlerForConfigReload);
	pqsignal(SIGTERM, die);
	BackgroundWorkerUnblockSignals();
	memcpy(&dboid, MyBgworkerEntry->bgw_extra, sizeof(dboid));
	BackgroundWorkerInitializeConnectionByOid(dboid, InvalidOid, 0);
	LeadgenPinSessionSearchPath();
	pgstat_report_appname(LEADGEN_JOB_TYPE);
	cxt = AllocSetContextCreate(TopMemoryContext, "pg_leadgen job", ALLOCSET_DEFAULT_SIZES);

	/* Fetch the command of the run. */
	BgXactBegin(NULL);
	{
		Oid			argtypes[1] = {INT8OID};
		Datum		args[1];

		args[0] = Int64GetDatum(run_id);
		/*
		 * the search_path the owner's sessions start with here (its
		 * setting in this database, anywhere, the database's), else the
		 * server's
		 */
		if (SPI_execute_with_args("SELECT j.command, j.name, j.owner,"
								  "       coalesce(" S ".role_search_path((SELECT a.oid FROM pg_catalog.pg_roles a WHERE a.rolname = j.owner)),"
								  "                (SELECT s.reset_val FROM pg_catalog.pg_settings s WHERE s.name = 'search_path'))"
								  "  FROM " S ".job_runs r JOIN " S ".jobs j ON j.id = r.job_id"
								  " WHERE r.id = $1", 1, argtypes, args, NULL, true, 1) != SPI_OK_SELECT)
			elog(ERROR, "could not read job run " INT64_FORMAT, run_id);
		if (SPI_processed == 1)
		{
			MemoryContext old = MemoryContextSwitchTo(cxt);

			command = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
			job_name = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2);
			owner = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3);
			owner_path = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4);
			owner_id = get_role_oid(owner, true);
			owner_super = OidIsValid(owner_id) && superuser_arg(owner_id);
			MemoryContextSwitchTo(old);
		}
	}
	BgXactCommit();

	if (command == NULL)
		proc_exit(0);			/* the job was dropped meanwhile */
	if (!OidIsValid(owner_id))
	{
		set_run_status(run_id, "failed", psprintf("role \"%s\" does not exist", owner), true);
		proc_exit(0);
	}

	set_run_status(run_id, "running", NULL, false);
	debug_query_string = command;

	/*
	 * Run as the owner; SET ROLE and SET SESSION AUTHORIZATION are refused.
	 * The owner is also the outer user, the role SECURITY DEFINER functions
	 * check as their caller (GetOuterUserId()), so that a job's calls are
	 * judged as its owner's, not as the worker's superuser's. The outcome
	 * is recorded as the worker's superuser: the owner may have no right on
	 * leadgen.job_runs.
	 */
	GetUserIdAndSecContext(&worker_user, &worker_sec);
	SetCurrentRoleId(owner_id, owner_super);
	PG_TRY();
	{
		char	   *tag;
		MemoryContext old;

		/* the command in its owner's search_path; the bookkeeping in ours */
		if (owner_path != NULL)
			SetConfigOption("search_path", owner_path, PGC_SUSET, PGC_S_SESSION);
		SetUserIdAndSecContext(owner_id, worker_sec | SECURITY_LOCAL_USERID_CHANGE);
		tag = execute_top_level(command);
		SetUserIdAndSecContext(worker_user, worker_sec);
		LeadgenPinSessionSearchPath();
		old = MemoryContextSwitchTo(cxt);
		tag = pstrdup(tag);
		MemoryContextSwitchTo(old);
		debug_query_string = NULL;
		set_run_status(run_id, "succeeded", tag, true);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		EmitErrorReport();
		FlushErrorState();
		/* also out of a transaction block the command opened */
		AbortOutOfAnyTransaction();
		SetUserIdAndSecContext(worker_user, worker_sec);
		LeadgenPinSessionSearchPath();
		debug_query_string = NULL;
		set_run_status(run_id, "failed",
					   psprintf("%s: %s", unpack_sql_state(edata->sqlerrcode), edata->message), true);
		ereport(LOG,
				(errmsg("pg_leadgen job \"%s\" (run " INT64_FORMAT ") failed: %s",
						job_name, run_id, edata->message)));
	}
	PG_END_TRY();
	proc_exit(0);
}
