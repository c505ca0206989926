/*-------------------------------------------------------------------------
 *
 * replication.c
 *		wait_for_standby(): whether a physical standby has flushed this
 *		session's last commit, or every WAL record this primary wrote
 *		before the call. A client that calls it after its commit, and
 *		acknowledges the commit only on true, never acknowledges a change
 *		that a failover can take back, however synchronous_standby_names
 *		is set at that moment. A failover manager may empty that setting
 *		while it promotes a standby (pg_auto_failover does in
 *		wait_primary), and the primary then commits without any standby
 *		(docs/HA.md).
 *
 *		The standbys' positions are the walsenders' in shared memory, as
 *		pg_stat_replication shows them; reading them here needs no
 *		privilege (pg_stat_replication hides them from a role without
 *		pg_read_all_stats), and no statement is run. Which receivers are
 *		standbys: leadgen.standby_names (receiver_counts).
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/replication.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xlog.h"
#include "access/xlog_internal.h"
#include "miscadmin.h"
#include "pgstat.h"
#include "replication/walsender.h"
#include "replication/walsender_private.h"
#include "storage/latch.h"
#include "storage/proc.h"
#include "storage/procarray.h"
#include "storage/spin.h"
#include "utils/backend_status.h"
#include "utils/timestamp.h"

#include "pg_leadgen.h"
#include "replication.h"

/*
 * How often the positions are looked at while waiting: at once, then
 * after 1 ms, doubling to 8 ms (a wait for a standby that is down costs a
 * waiting backend little CPU; one that is a moment behind answers soon).
 */
#define STANDBY_POLL_FIRST_MS	1
#define STANDBY_POLL_MAX_MS		8

/*
 * name_counts
 *		Whether a receiver of this application_name counts as a standby
 *		(leadgen.standby_names): an entry equal to it, or ending with *
 *		and a prefix of it; * alone counts every receiver but pg_basebackup
 *		(a base backup's WAL stream) and pg_receivewal (a WAL archive):
 *		neither is a server a failover can promote.
 */
static bool
name_counts(const char *appname)
{
	char	   *list = pstrdup(leadgen_standby_names ? leadgen_standby_names : "");
	bool		counts = false;

	for (char *entry = strtok(list, ","); entry != NULL && !counts; entry = strtok(NULL, ","))
	{
		size_t		len;

		while (*entry == ' ')
			entry++;
		len = strlen(entry);
		while (len > 0 && entry[len - 1] == ' ')
			entry[--len] = '\0';
		if (strcmp(entry, "*") == 0)
			counts = strcmp(appname, "pg_basebackup") != 0 && strcmp(appname, "pg_receivewal") != 0;
		else if (len > 0 && entry[len - 1] == '*')
			counts = strncmp(appname, entry, len - 1) == 0;
		else
			counts = strcmp(appname, entry) == 0;
	}
	pfree(list);
	return counts;
}

/*
 * receiver_counts
 *		Whether the walsender pid serves a physical receiver that counts: it
 *		is connected to no database (a logical walsender is, and its
 *		subscriber holds no copy of this server) and its application_name
 *		counts (name_counts). The names come from a fresh snapshot of the
 *		backends' status, taken only for a walsender already far enough.
 */
static bool
receiver_counts(pid_t pid)
{
	PGPROC	   *proc = BackendPidGetProc(pid);

	if (proc == NULL || OidIsValid(proc->databaseId))
		return false;
	pgstat_clear_backend_activity_snapshot();
	for (int i = 1; i <= pgstat_fetch_stat_numbackends(); i++)
	{
		LocalPgBackendStatus *l = pgstat_fetch_stat_local_beentry(i);

		if (l != NULL && l->backendStatus.st_procpid == pid)
			return name_counts(l->backendStatus.st_appname ? l->backendStatus.st_appname : "");
	}
	return false;
}

/*
 * standby_has
 *		Whether a walsender streaming to a receiver that counts
 *		(receiver_counts) reports WAL flushed at or past target.
 */
static bool
standby_has(XLogRecPtr target)
{
	for (int i = 0; i < max_wal_senders; i++)
	{
		WalSnd	   *w = &WalSndCtl->walsnds[i];
		pid_t		pid;
		WalSndState state;
		XLogRecPtr	flush;

		SpinLockAcquire(&w->mutex);
		pid = w->pid;
		state = w->state;
		flush = w->flush;
		SpinLockRelease(&w->mutex);

		if (pid == 0 || state != WALSNDSTATE_STREAMING || XLogRecPtrIsInvalid(flush) || flush < target)
			continue;
		if (receiver_counts(pid))
			return true;
	}
	return false;
}

/*
 * written_end
 *		The end of the WAL written so far. GetXLogInsertRecPtr() gives
 *		where the next record starts: past a page's header when the last
 *		record ended on the page boundary, a position no one has written,
 *		that the primary cannot flush nor a standby confirm until more WAL
 *		comes. The boundary is the end then.
 */
static XLogRecPtr
written_end(void)
{
	XLogRecPtr	p = GetXLogInsertRecPtr();

	if (XLogSegmentOffset(p, wal_segment_size) == SizeOfXLogLongPHD)
		return p - SizeOfXLogLongPHD;
	if (p % XLOG_BLCKSZ == SizeOfXLogShortPHD)
		return p - SizeOfXLogShortPHD;
	return p;
}

/*
 * StandbyWaitFlush
 *		Wait up to timeout_ms for a standby to flush the WAL the caller
 *		cares about, flushed locally first (a commit made with
 *		synchronous_commit off may not be yet). session: up to the end of
 *		this session's last commit (XactLastCommitEnd; a session that has
 *		committed nothing has nothing to wait for). Otherwise up to the end
 *		of all WAL written at the call, which covers every commit made
 *		before it, whichever session made it (a pooled connection cannot
 *		know its last commit was its own), and also the later WAL of
 *		other sessions. Returns whether a standby got there in time.
 */
bool
StandbyWaitFlush(int timeout_ms, bool session)
{
	XLogRecPtr	target;
	TimestampTz until;
	long		nap = STANDBY_POLL_FIRST_MS;

	if (RecoveryInProgress())
		ereport(ERROR,
				(errcode(ERRCODE_READ_ONLY_SQL_TRANSACTION),
				 errmsg("wait_for_standby() runs on a primary, and this server is a standby"),
				 errhint("Connect to the primary (target_session_attrs=read-write).")));
	if (timeout_ms < 0 || timeout_ms > STANDBY_WAIT_MAX_MS)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout_ms must be between 0 and %d, not %d", STANDBY_WAIT_MAX_MS, timeout_ms)));

	target = session ? XactLastCommitEnd : written_end();
	if (XLogRecPtrIsInvalid(target))
		return true;
	XLogFlush(target);
	until = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), timeout_ms);
	for (;;)
	{
		if (standby_has(target))
			return true;
		if (GetCurrentTimestamp() >= until)
			return false;
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH, nap, PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		CHECK_FOR_INTERRUPTS();
		nap = Min(nap * 2, STANDBY_POLL_MAX_MS);
	}
}
