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
#include "utils/lsyscache.h"

#include "spiutil.h"

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
