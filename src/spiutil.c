/*-------------------------------------------------------------------------
 *
 * spiutil.c
 *		The small SPI and catalog helpers the modules share: a kept plan,
 *		a column's number by name, a one-dimensional array of Datums.
 *
 * One file so that each rule (how a failed prepare is reported, how a
 * missing column is reported) is written once, and so that no module
 * depends on the module entry point for them.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/spiutil.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/array.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"

#include "spiutil.h"

/*
 * LeadgenSPIConnect
 *		SPI_connect, and search_path = pg_catalog, pg_temp until
 *		LeadgenSPIFinish (given the level this returns) or the end of the
 *		(sub)transaction on error. pg_leadgen's statements name its own
 *		objects with their schema, but they call built-in functions and
 *		operators by name: in the caller's search_path a function of the
 *		same name in a schema anyone may write (power(integer, integer) in
 *		public) matches an argument list better than the built-in one and
 *		would run instead, in the caller's session. The kept plans record
 *		the path they were made in (PostgreSQL plans them again when it
 *		differs), so they are always made and run in this one.
 */
int
LeadgenSPIConnect(void)
{
	int			level;

	SPI_connect();
	level = NewGUCNestLevel();
	(void) set_config_option("search_path", LEADGEN_SAFE_SEARCH_PATH, PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	return level;
}

/*
 * LeadgenSPIFinish
 *		The caller's search_path back, and SPI_finish.
 */
void
LeadgenSPIFinish(int guc_level)
{
	AtEOXact_GUC(true, guc_level);
	SPI_finish();
}

/*
 * LeadgenPinSessionSearchPath
 *		search_path = pg_catalog, pg_temp for the whole session of a
 *		background worker, which runs as the bootstrap superuser: its
 *		statements (and pg_leadgen's functions they call) never resolve a
 *		name in a schema other roles write.
 */
void
LeadgenPinSessionSearchPath(void)
{
	SetConfigOption("search_path", LEADGEN_SAFE_SEARCH_PATH, PGC_SUSET, PGC_S_SESSION);
}

/*
 * LeadgenKeepPlan
 *		Prepare sql and keep the plan for the life of the backend; an error,
 *		naming the statement, when it does not prepare.
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

/*
 * LeadgenMakeArray
 *		A one-dimensional array of n values of elemtype (nulls may be NULL
 *		for "none"), in the current memory context.
 */
Datum
LeadgenMakeArray(Datum *values, bool *nulls, int n, Oid elemtype)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;
	int			dims[1];
	int			lbs[1] = {1};

	dims[0] = n;
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	return PointerGetDatum(construct_md_array(values, nulls, 1, dims, lbs,
											  elemtype, typlen, typbyval, typalign));
}
