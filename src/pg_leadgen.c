/*-------------------------------------------------------------------------
 *
 * pg_leadgen.c
 *		Module entry point: _PG_init delegates to each module's Init.
 *
 * Loaded through shared_preload_libraries, pg_leadgen registers its
 * settings and its background workers. Loaded later (the first call of one
 * of its functions in a backend), it only registers its settings: the SQL
 * objects work, the workers do not run, and CREATE EXTENSION says so with a
 * WARNING.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/pg_leadgen.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "executor/spi.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"

#include "pg_leadgen.h"
#include "shmem.h"

PG_MODULE_MAGIC;

void		_PG_init(void);

/*
 * _PG_init
 *		Register settings; workers only at postmaster start.
 */
void
_PG_init(void)
{
	GucInit(process_shared_preload_libraries_in_progress);

	if (!process_shared_preload_libraries_in_progress || IsBinaryUpgrade)
		return;

	leadgen_preloaded = true;
	ShmemInit();
	WorkerRegister();
}

/*
 * LeadgenKeepPlan
 *		Prepare a statement and keep its plan for the life of the process.
 *		Caller is connected to SPI.
 */
SPIPlanPtr
LeadgenKeepPlan(const char *sql, int nargs, Oid *argtypes)
{
	SPIPlanPtr	plan = SPI_prepare(sql, nargs, argtypes);

	if (plan == NULL)
		elog(ERROR, "could not prepare \"%s\": %s", sql, SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);
	return plan;
}

/*
 * LeadgenAttnum
 *		The number of a column of rel, by name; an error when it has none.
 *		For the scans driven from C (dupscan.c, agentscan.c), which read a
 *		table's rows by column name, as a partition's numbers may differ
 *		from its parent's.
 */
AttrNumber
LeadgenAttnum(Relation rel, const char *name)
{
	AttrNumber	att = get_attnum(RelationGetRelid(rel), name);

	if (att == InvalidAttrNumber)
		elog(ERROR, "column \"%s\" of \"%s\" not found", name, RelationGetRelationName(rel));
	return att;
}
