/*-------------------------------------------------------------------------
 *
 * guc.c
 *		The settings of pg_leadgen (leadgen.*).
 *
 * Settings that decide which processes exist are PGC_POSTMASTER; settings
 * that change how the workers behave are PGC_SIGHUP, picked up by the
 * workers on reload. Every setting is listed in the README's table.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/guc.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "utils/guc.h"

#include "pg_leadgen.h"

char	   *leadgen_database = NULL;
bool		leadgen_scheduler = true;
int			leadgen_job_history_days = 7;
int			leadgen_disk_budget = 0;
int			leadgen_naptime = 1000;
int			leadgen_workers = 2;
int			leadgen_batch_size = 100;
int			leadgen_poll_interval = 1000;
int			leadgen_max_payload_size = 65536;
char	   *leadgen_standby_names = NULL;

/*
 * GucInit
 *		Define the leadgen.* settings and reserve the prefix.
 *
 * PostgreSQL refuses (FATAL) a PGC_POSTMASTER setting defined after
 * startup, so those are defined only when the library is preloaded; loaded
 * later, the library has no workers for them to configure.
 */
void
GucInit(bool preloading)
{
	if (preloading)
		DefineCustomStringVariable("leadgen.database",
								   gettext_noop("Sets the database the pg_leadgen workers connect to."),
								   gettext_noop("The extension must be created in that database."),
								   &leadgen_database,
								   "postgres",
								   PGC_POSTMASTER,
								   0,
								   NULL, NULL, NULL);
	if (preloading)
		DefineCustomIntVariable("leadgen.workers",
								gettext_noop("Sets the number of pipeline workers that drain leadgen.leads_pending."),
								gettext_noop("0 runs no pipeline worker; leadgen.process_pending() still works."),
								&leadgen_workers,
								2, 0, LEADGEN_MAX_WORKERS,
								PGC_POSTMASTER,
								0,
								NULL, NULL, NULL);

	DefineCustomIntVariable("leadgen.batch_size",
							gettext_noop("Sets the number of pending leads a worker claims and processes in one transaction."),
							NULL,
							&leadgen_batch_size,
							100, 1, 10000,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("leadgen.poll_interval",
							gettext_noop("Sets the longest time an idle pipeline worker sleeps before looking at the queue."),
							gettext_noop("Submissions wake the workers at commit; the poll catches retries that come due."),
							&leadgen_poll_interval,
							1000, 10, 60 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomIntVariable("leadgen.max_payload_size",
							gettext_noop("Sets the largest lead payload accepted by submission."),
							NULL,
							&leadgen_max_payload_size,
							65536, 1024, 16 * 1024 * 1024,
							PGC_SUSET,
							GUC_UNIT_BYTE,
							NULL, NULL, NULL);

	DefineCustomBoolVariable("leadgen.scheduler",
							 gettext_noop("Sets whether the launcher runs the scheduled jobs of leadgen.jobs."),
							 gettext_noop("Off holds every job (partition maintenance included) and the backlog sweep until it is on again."),
							 &leadgen_scheduler,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	DefineCustomIntVariable("leadgen.job_history_days",
							gettext_noop("Sets how many days the history of job runs is kept."),
							NULL,
							&leadgen_job_history_days,
							7, 1, 3650,
							PGC_SIGHUP,
							0,
							NULL, NULL, NULL);

	DefineCustomIntVariable("leadgen.disk_budget",
							gettext_noop("Sets the disk space the database may use, for capacity forecasts and alerts."),
							gettext_noop("0 means unknown: no days-until-full forecast."),
							&leadgen_disk_budget,
							0, 0, INT_MAX,
							PGC_SIGHUP,
							GUC_UNIT_MB,
							NULL, NULL, NULL);

	DefineCustomIntVariable("leadgen.naptime",
							gettext_noop("Sets the longest time the launcher sleeps between two checks."),
							NULL,
							&leadgen_naptime,
							1000, 10, 60 * 1000,
							PGC_SIGHUP,
							GUC_UNIT_MS,
							NULL, NULL, NULL);

	DefineCustomStringVariable("leadgen.standby_names",
							   gettext_noop("Sets which WAL receivers wait_for_standby() counts as standbys."),
							   gettext_noop("Their application_name values, comma-separated, each may end with *; "
											"* alone: every physical receiver but pg_basebackup and pg_receivewal."),
							   &leadgen_standby_names,
							   "*",
							   PGC_SIGHUP,
							   GUC_LIST_INPUT,
							   NULL, NULL, NULL);

	MarkGUCPrefixReserved(LEADGEN_GUC_PREFIX);
}
