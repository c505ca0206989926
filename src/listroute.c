/*-------------------------------------------------------------------------
 *
 * listroute.c
 *		The list routes (GET /api/v1/leads, /agents, /carriers) run by the
 *		database: one call per page, the statement of each shape planned
 *		once per backend.
 *
 * The gateway calls leadgen.api_list(resource, filters, values, fields,
 * sort, limit, offset, cursor). A list's shape (which filters, which
 * fields, the sort, whether a cursor is given) names one statement,
 * written by leadgen.api_list_statement() from identifiers it knows only;
 * the request's values are its parameters, never part of its text. The
 * statement is parsed once to learn its parameters' types (as a protocol
 * PREPARE would), then prepared through SPI and kept for the life of the
 * backend, keyed by its shape; without filters with a generic plan, so
 * that the route costs one execution of a cached plan, like the gateway's
 * own prepared statements did (with filters, planned for their values),
 * but the gateway needs no privilege on the tables (api_list is
 * SECURITY DEFINER) and no statement that outlives a transaction (a
 * pooler in transaction mode may hand its connection to another session
 * between two calls).
 *
 * The cache holds at most LIST_PLANS_MAX shapes per backend; when full it
 * is emptied and refilled by use (the shapes a gateway uses are few).
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/listroute.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "nodes/parsenodes.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "utils/builtins.h"
#include "utils/hsearch.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"

#include "listpage.h"
#include "listroute.h"
#include "pg_leadgen.h"
#include "spiutil.h"

#define LIST_PLANS_MAX		256
#define LIST_SHAPE_KEY_MAX	1024

typedef struct ListPlan
{
	char		shape[LIST_SHAPE_KEY_MAX];	/* hash key */
	SPIPlanPtr	plan;
	int			nparams;
	Oid		   *types;			/* in list_cxt */
	Oid		   *inputs;			/* type input functions */
	Oid		   *ioparams;
} ListPlan;

static HTAB *list_plans = NULL;
static MemoryContext list_cxt = NULL;

static void
list_plans_reset(void)
{
	HASH_SEQ_STATUS seq;
	ListPlan   *p;

	if (list_plans == NULL)
	{
		HASHCTL		ctl;

		list_cxt = AllocSetContextCreate(TopMemoryContext, "pg_leadgen list plans", ALLOCSET_DEFAULT_SIZES);
		ctl.keysize = LIST_SHAPE_KEY_MAX;
		ctl.entrysize = sizeof(ListPlan);
		ctl.hcxt = list_cxt;
		list_plans = hash_create("pg_leadgen list plans", 64, &ctl, HASH_ELEM | HASH_STRINGS | HASH_CONTEXT);
		return;
	}
	hash_seq_init(&seq, list_plans);
	while ((p = hash_seq_search(&seq)) != NULL)
	{
		SPI_freeplan(p->plan);
		pfree(p->types);
		pfree(p->inputs);
		pfree(p->ioparams);
		hash_search(list_plans, p->shape, HASH_REMOVE, NULL);
	}
}

/*
 * list_statement
 *		The text of the statement of a shape, from api_list_statement().
 *		Its errors (an unknown filter, field or sort) are the caller's.
 *		Caller is connected to SPI.
 */
static char *
list_statement(const char *resource, ArrayType *filters, const char *fields, const char *sort, bool with_cursor)
{
	Oid			argtypes[5] = {TEXTOID, TEXTARRAYOID, TEXTOID, TEXTOID, BOOLOID};
	Datum		args[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	bool		isnull;
	Datum		d;

	args[0] = CStringGetTextDatum(resource);
	args[1] = PointerGetDatum(filters);
	args[2] = fields ? CStringGetTextDatum(fields) : (Datum) 0;
	nulls[2] = fields ? ' ' : 'n';
	args[3] = sort ? CStringGetTextDatum(sort) : (Datum) 0;
	nulls[3] = sort ? ' ' : 'n';
	args[4] = BoolGetDatum(with_cursor);
	if (SPI_execute_with_args("SELECT " LEADGEN_SCHEMA_NAME ".api_list_statement($1, $2,"
							  " CASE WHEN $3 IS NULL OR $3 = '' THEN NULL ELSE string_to_array($3, ',') END,"
							  " $4, $5)", 5, argtypes, args, nulls, true, 1) != SPI_OK_SELECT ||
		SPI_processed != 1)
		elog(ERROR, "could not write the statement of a list");
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "no statement for a list");
	return TextDatumGetCString(d);
}

/*
 * list_plan
 *		The kept plan of a shape, prepared on first use: the statement is
 *		analyzed once with parameters of unknown type to learn them, then
 *		prepared with those types.
 */
static ListPlan *
list_plan(const char *resource, ArrayType *filters, const char *fields, const char *sort, bool with_cursor)
{
	StringInfoData key;
	ListPlan   *entry;
	bool		found;
	char	   *sql;
	List	   *raw;
	Oid		   *types = NULL;
	int			ntypes = 0;
	int			nparams;
	Oid		   *all;
	SPIPlanPtr	plan;
	MemoryContext old;
	Datum	   *fvals;
	int			nf;

	if (list_plans == NULL)
		list_plans_reset();

	initStringInfo(&key);
	appendStringInfo(&key, "%s\x1f", resource);
	deconstruct_array(filters, TEXTOID, -1, false, TYPALIGN_INT, &fvals, NULL, &nf);
	for (int i = 0; i < nf; i++)
	{
		char	   *f = TextDatumGetCString(fvals[i]);

		appendStringInfo(&key, "%s,", f);
	}
	appendStringInfo(&key, "\x1f%s\x1f%s\x1f%d", fields ? fields : "", sort ? sort : "", with_cursor);
	if (key.len < LIST_SHAPE_KEY_MAX)
	{
		entry = hash_search(list_plans, key.data, HASH_FIND, NULL);
		if (entry)
			return entry;
	}

	sql = list_statement(resource, filters, fields, sort, with_cursor);
	raw = raw_parser(sql, RAW_PARSE_DEFAULT);
	if (list_length(raw) != 1)
		elog(ERROR, "a list statement is one statement");
	(void) parse_analyze_varparams(linitial_node(RawStmt, raw), sql, &types, &ntypes, NULL);
	/*
	 * $1 limit, $2 offset and $3 cursor always, then one per filter; a
	 * parameter the statement does not use ($3 without a cursor) is text.
	 */
	nparams = 3 + ArrayGetNItems(ARR_NDIM(filters), ARR_DIMS(filters));
	if (ntypes > nparams)
		elog(ERROR, "a list statement has %d parameters, not %d", ntypes, nparams);
	all = palloc(sizeof(Oid) * nparams);
	for (int i = 0; i < nparams; i++)
		all[i] = (i < ntypes && OidIsValid(types[i]) && types[i] != UNKNOWNOID) ? types[i] : TEXTOID;
	/*
	 * Whatever the session's plan_cache_mode (the gateway behind a pooler
	 * makes no session setting): a list without filters has a generic
	 * plan, made once (under the default, auto, the plan cache kept
	 * planning every call: half the pages a second); a list with filters
	 * is planned for its values on every call, since the best plan
	 * depends on how many rows they select. With a generic plan, a
	 * partner key bound to a broker of 5 leads among 200,000 walked the
	 * whole (created_at, id) index for its page, 34 ms (1.1 ms planned
	 * for its value), and state=DC 9.1 ms (5.4 ms).
	 */
	plan = SPI_prepare_cursor(sql, nparams, all,
							  nparams > 3 ? CURSOR_OPT_CUSTOM_PLAN : CURSOR_OPT_GENERIC_PLAN);
	if (plan == NULL)
		elog(ERROR, "could not prepare a list statement: %s", SPI_result_code_string(SPI_result));
	SPI_keepplan(plan);

	if (key.len >= LIST_SHAPE_KEY_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_PROGRAM_LIMIT_EXCEEDED),
				 errmsg("the shape of this list is too long"),
				 errhint("Ask for fewer fields or filters.")));
	if (hash_get_num_entries(list_plans) >= LIST_PLANS_MAX)
		list_plans_reset();
	entry = hash_search(list_plans, key.data, HASH_ENTER, &found);
	entry->plan = plan;
	entry->nparams = nparams;
	old = MemoryContextSwitchTo(list_cxt);
	entry->types = palloc(sizeof(Oid) * nparams);
	entry->inputs = palloc(sizeof(Oid) * nparams);
	entry->ioparams = palloc(sizeof(Oid) * nparams);
	MemoryContextSwitchTo(old);
	for (int i = 0; i < nparams; i++)
	{
		entry->types[i] = all[i];
		getTypeInputInfo(all[i], &entry->inputs[i], &entry->ioparams[i]);
	}
	return entry;
}

/*
 * list_context
 *		The list a cursor belongs to: the resource, then each filter as
 *		name=value (name alone for a null), in name order (the order of a
 *		request's parameters does not matter), separated by 0x1f.
 */
static char *
list_context(const char *resource, ArrayType *filters, ArrayType *values)
{
	Datum	   *names;
	Datum	   *vals;
	bool	   *nnulls;
	bool	   *vnulls;
	int			nn;
	int			nv;
	char	  **items;
	StringInfoData buf;

	deconstruct_array(filters, TEXTOID, -1, false, TYPALIGN_INT, &names, &nnulls, &nn);
	deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT, &vals, &vnulls, &nv);
	items = palloc(sizeof(char *) * Max(nn, 1));
	for (int i = 0; i < nn; i++)
		items[i] = nnulls[i] ? "" : (i < nv && !vnulls[i])
			? psprintf("%s=%s", TextDatumGetCString(names[i]), TextDatumGetCString(vals[i]))
			: TextDatumGetCString(names[i]);
	qsort(items, nn, sizeof(char *), pg_qsort_strcmp);
	initStringInfo(&buf);
	appendStringInfoString(&buf, resource);
	for (int i = 0; i < nn; i++)
	{
		appendStringInfoChar(&buf, '\x1f');
		appendStringInfoString(&buf, items[i]);
	}
	return buf.data;
}

/* The page's statement, its cursors signed with the list's context. */
static void
execute_in_context(SPIPlanPtr plan, Datum *args, const char *nulls, const char *context)
{
	ListCursorSetContext(context);
	PG_TRY();
	{
		if (SPI_execute_plan(plan, args, nulls, true, 1) != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "a list statement answered no page");
	}
	PG_FINALLY();
	{
		ListCursorSetContext(NULL);
	}
	PG_END_TRY();
}

/*
 * ListRouteRun
 *		The JSON page of a list route. filters names the filters, values
 *		their values (text, in the same order; NULL elements are SQL NULL);
 *		fields is the comma-separated field list or NULL, sort the sort or
 *		NULL, cursor the next_cursor of an earlier page or NULL. A value
 *		that does not parse as its column's type is the caller's error
 *		(SQLSTATE 22xxx). Returns the page, allocated in the caller's
 *		memory context.
 */
text *
ListRouteRun(const char *resource, ArrayType *filters, ArrayType *values, const char *fields,
			 const char *sort, int32 lim, int64 off, const char *cursor)
{
	ListPlan   *p;
	Datum	   *vals;
	bool	   *vnulls;
	int			nv;
	int			nf;
	Datum	   *args;
	char	   *nulls;
	text	   *result;
	bool		isnull;
	Datum		d;
	int			guc_level;

	if (ARR_NDIM(filters) > 1 || ARR_NDIM(values) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_ARRAY_SUBSCRIPT_ERROR),
				 errmsg("filters and values are one-dimensional arrays")));
	nf = ArrayGetNItems(ARR_NDIM(filters), ARR_DIMS(filters));
	deconstruct_array(values, TEXTOID, -1, false, TYPALIGN_INT, &vals, &vnulls, &nv);
	if (nf != nv)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%d filters were given with %d values", nf, nv),
				 errhint("Give one value for each filter, in the same order.")));

	guc_level = LeadgenSPIConnect();
	p = list_plan(resource, filters, fields, sort, cursor != NULL);
	if (p->nparams != 3 + nf)
		elog(ERROR, "a list statement has %d parameters, not %d", p->nparams, 3 + nf);

	args = palloc(sizeof(Datum) * p->nparams);
	nulls = palloc(p->nparams);
	memset(nulls, ' ', p->nparams);
	args[0] = Int32GetDatum(lim);
	args[1] = Int64GetDatum(off);
	args[2] = cursor ? CStringGetTextDatum(cursor) : (Datum) 0;
	nulls[2] = cursor ? ' ' : 'n';
	for (int i = 0; i < nf; i++)
	{
		int			k = 3 + i;

		if (vnulls[i])
		{
			args[k] = (Datum) 0;
			nulls[k] = 'n';
		}
		else
			args[k] = OidInputFunctionCall(p->inputs[k], TextDatumGetCString(vals[i]), p->ioparams[k], -1);
	}
	execute_in_context(p->plan, args, nulls, list_context(resource, filters, values));
	d = SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull);
	if (isnull)
		elog(ERROR, "a list statement answered a null page");
	result = (text *) SPI_palloc(VARSIZE_ANY(DatumGetPointer(d)));
	memcpy(result, DatumGetPointer(d), VARSIZE_ANY(DatumGetPointer(d)));
	LeadgenSPIFinish(guc_level);
	return result;
}
