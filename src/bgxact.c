/*-------------------------------------------------------------------------
 *
 * bgxact.c
 *		The transactions of pg_leadgen's background workers: one way to
 *		begin and commit them, and whether the database is ready for the
 *		workers to write.
 *
 * A background worker has no client loop to start its transactions: each
 * unit of work (a pipeline batch, a launcher statement, a job run's
 * bookkeeping) begins one here, with an SPI connection and a snapshot,
 * shows what it does in pg_stat_activity, and commits it here, which
 * reports its statistics and shows the worker idle again. An error in
 * between is the caller's to catch (AbortCurrentTransaction cleans up SPI
 * and the snapshot).
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/bgxact.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/table.h"
#include "access/xact.h"
#include "access/xlog.h"
#include "catalog/namespace.h"
#include "catalog/pg_extension.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "pgstat.h"
#include "storage/lmgr.h"
#include "utils/backend_status.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/relcache.h"
#include "utils/snapmgr.h"

#include "bgxact.h"
#include "pg_leadgen.h"

/*
 * lock_extension
 *		Lock pg_leadgen (shared) for the rest of the transaction, before
 *		any of its tables: DROP EXTENSION locks it exclusively before it
 *		drops anything, so the two meet there, in one order. Without it, a
 *		launcher's statement that had locked one table waited for the next
 *		while DROP EXTENSION, holding that one, waited for the first: a
 *		deadlock, which the regression suite's cleanup met. Returns whether
 *		pg_leadgen exists once the lock is held: a DROP EXTENSION that held
 *		it has committed when it is granted.
 */
static bool
lock_extension(void)
{
	Oid			ext = get_extension_oid(LEADGEN_EXTENSION_NAME, true);

	if (!OidIsValid(ext))
		return false;
	LockDatabaseObject(ExtensionRelationId, ext, 0, AccessShareLock);
	return get_extension_oid(LEADGEN_EXTENSION_NAME, true) == ext;
}

/*
 * BgXactBegin
 *		Begin a transaction, lock pg_leadgen (lock_extension), connect to
 *		SPI and push a snapshot; show activity (when not NULL) as the
 *		worker's statement.
 */
void
BgXactBegin(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	(void) lock_extension();
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (activity != NULL)
		pgstat_report_activity(STATE_RUNNING, activity);
}

/*
 * BgXactBeginIfReady
 *		BgXactBegin when the database is ready for the workers
 *		(LeadgenDatabaseReady); otherwise leave no transaction open and
 *		return false.
 */
bool
BgXactBeginIfReady(const char *activity)
{
	SetCurrentStatementStartTimestamp();
	StartTransactionCommand();
	if (!LeadgenDatabaseReady())
	{
		CommitTransactionCommand();
		return false;
	}
	SPI_connect();
	PushActiveSnapshot(GetTransactionSnapshot());
	if (activity != NULL)
		pgstat_report_activity(STATE_RUNNING, activity);
	return true;
}

/*
 * BgXactCommit
 *		Finish SPI, pop the snapshot, commit; report the statistics
 *		gathered (at most once a second; the loops come back often) and
 *		show the worker idle.
 */
void
BgXactCommit(void)
{
	SPI_finish();
	PopActiveSnapshot();
	CommitTransactionCommand();
	pgstat_report_stat(false);
	pgstat_report_activity(STATE_IDLE, NULL);
}

/*
 * lead_tables_ready
 *		Whether leads and lead_assignments exist with the foreign key
 *		between them. They are not members of the extension, and a restore
 *		(pg_dump's output) creates them after CREATE EXTENSION, loads their
 *		rows, and makes that key among its last statements: until then the
 *		workers must not write (a batch would fail on a table without its
 *		keys and dead-letter its leads). Once seen, the answer is kept
 *		until a loop meets an error (BgXactForgetReadiness).
 */
static bool tables_seen_ready = false;

static bool
lead_tables_ready(void)
{
	Oid			nsp;
	Oid			leads;
	Oid			assignments;
	Relation	rel;
	ListCell   *lc;
	bool		found = false;

	if (tables_seen_ready)
		return true;
	nsp = get_namespace_oid(LEADGEN_SCHEMA_NAME, true);
	leads = OidIsValid(nsp) ? get_relname_relid("leads", nsp) : InvalidOid;
	assignments = OidIsValid(nsp) ? get_relname_relid("lead_assignments", nsp) : InvalidOid;
	if (!OidIsValid(leads) || !OidIsValid(assignments))
		return false;
	rel = table_open(assignments, AccessShareLock);
	foreach(lc, RelationGetFKeyList(rel))
	{
		ForeignKeyCacheInfo *fk = lfirst_node(ForeignKeyCacheInfo, lc);

		if (fk->confrelid == leads)
			found = true;
	}
	table_close(rel, AccessShareLock);
	tables_seen_ready = found;
	return found;
}

/*
 * BgXactForgetReadiness
 *		Look at the lead tables again at the next readiness check (after an
 *		error: they may have been dropped and made again).
 */
void
BgXactForgetReadiness(void)
{
	tables_seen_ready = false;
}

/*
 * LeadgenDatabaseReady
 *		Whether the workers may work in this database now: pg_leadgen is
 *		created, its lead tables are complete (not halfway through a
 *		restore), and the database accepts writes. The postmaster starts
 *		the workers only once recovery has finished (a standby runs none;
 *		one that is promoted starts them), but a primary can still be made
 *		read-only (default_transaction_read_only, as a failover tool may
 *		set while it drains a node): then they wait. Caller holds a
 *		transaction; pg_leadgen stays locked for the rest of it
 *		(lock_extension).
 */
bool
LeadgenDatabaseReady(void)
{
	if (!lock_extension())
		return false;
	if (XactReadOnly || RecoveryInProgress())
		return false;
	return lead_tables_ready();
}
