/*-------------------------------------------------------------------------
 *
 * archive.c
 *		What an archive policy's predicate may say.
 *
 * archive_run() is SECURITY DEFINER and executes a predicate that a
 * policy's writer typed. Two walls keep that text from doing more than its
 * writer could (see also security.c, which runs it as its owner):
 *
 * - It must be one boolean expression over the columns of the policy's
 *   table: parsed and analyzed as the WHERE clause of "SELECT 1 FROM
 *   <table> WHERE <predicate>" (as the policy's owner, with search_path =
 *   pg_catalog, pg_temp), the statement must have nothing but that WHERE
 *   clause, and its expression only columns of that table the owner may
 *   read, constants, operators and functions built into PostgreSQL that
 *   are immutable, or STABLE and about time and formatting (now(),
 *   date_trunc(), to_char(), the date and timestamp comparisons and
 *   arithmetic...). Not allowed: other tables, subqueries, aggregates,
 *   window and set-returning functions, parameters, casts to domains,
 *   volatile functions (lo_export, query_to_xml, pg_read_file...) and the
 *   STABLE functions that read the database (table_to_xml,
 *   pg_stat_get_*, current_setting...).
 * - What runs is not the text but the expression deparsed from its
 *   analyzed tree: it holds no comment and no parenthesis of the text's
 *   own that could close the clause the policy puts it in.
 *
 * The check runs when a policy is written and again before it runs, so a
 * row written with the policy trigger disabled is refused too.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/archive.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "access/transam.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "parser/analyze.h"
#include "parser/parser.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/ruleutils.h"
#include "utils/syscache.h"

#include "archive.h"
#include "security.h"

#define PREDICATE_HINT \
	"A predicate is one boolean expression over the columns of the policy's table: " \
	"built-in immutable operators and functions, and the time functions (now(), date_trunc(), to_char()...)."

/*
 * STABLE built-in functions a predicate may call: they depend on the
 * transaction's time and on settings such as TimeZone and DateStyle, and
 * read nothing else. Functions whose names start with one of the prefixes
 * are the comparisons, arithmetic and I/O of the date and time types.
 */
static const char *const stable_allowed[] = {
	"now", "transaction_timestamp", "statement_timestamp", "age", "extract",
	"to_char", "to_date", "to_timestamp", "to_number", "make_timestamptz",
	"timezone", "overlaps", "date", "time", "timetz", "timestamp",
	"timestamptz", "enum_in", "enum_out", "anyenum_out", "textanycat",
	"anytextcat", "concat", "concat_ws"
};
static const char *const stable_allowed_prefixes[] = {
	"date_", "time_", "timetz_", "timestamp_", "timestamptz_", "interval_"
};

typedef struct PredicateWalk
{
	Oid			relid;
	Oid			owner;
	const char *relname;
	Oid			bad_func;		/* set by function_refused */
	const char *bad_why;
} PredicateWalk;

static void refuse(const char *what, const char *detail) pg_attribute_noreturn();
static void refuse_shape(const char *what) pg_attribute_noreturn();

/* Refuse: the predicate contains `what`. */
static void
refuse(const char *what, const char *detail)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("an archive predicate may not contain %s", what),
			 detail ? errdetail("%s", detail) : 0,
			 errhint(PREDICATE_HINT)));
}

/* Refuse: the predicate is not one expression in a WHERE clause. */
static void
refuse_shape(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_SYNTAX_ERROR),
			 errmsg("an archive predicate must be one boolean expression"),
			 errdetail("The predicate %s.", what),
			 errhint(PREDICATE_HINT)));
}

static bool
stable_function_allowed(const char *name)
{
	for (int i = 0; i < lengthof(stable_allowed); i++)
		if (strcmp(name, stable_allowed[i]) == 0)
			return true;
	for (int i = 0; i < lengthof(stable_allowed_prefixes); i++)
		if (strncmp(name, stable_allowed_prefixes[i], strlen(stable_allowed_prefixes[i])) == 0)
			return true;
	return false;
}

/*
 * function_refused
 *		check_functions_in_node callback: true (and why, in the walk) for a
 *		function a predicate may not call.
 */
static bool
function_refused(Oid func_id, void *context)
{
	PredicateWalk *w = (PredicateWalk *) context;
	HeapTuple	tup;
	Form_pg_proc proc;
	const char *why = NULL;

	if (func_id >= FirstNormalObjectId)
		why = "It is not built into PostgreSQL.";
	else
	{
		tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(func_id));
		if (!HeapTupleIsValid(tup))
			elog(ERROR, "cache lookup failed for function %u", func_id);
		proc = (Form_pg_proc) GETSTRUCT(tup);
		if (proc->proretset)
			why = "It returns a set.";
		else if (proc->provolatile == PROVOLATILE_VOLATILE)
			why = "It is volatile: it may change the database or the server, or answer differently for the same row.";
		else if (proc->provolatile == PROVOLATILE_STABLE && !stable_function_allowed(NameStr(proc->proname)))
			why = "It is STABLE and may read the database or the server's state; of the STABLE functions only those of time and formatting are allowed.";
		ReleaseSysCache(tup);
	}
	if (why == NULL)
		return false;
	w->bad_func = func_id;
	w->bad_why = why;
	return true;
}

/*
 * predicate_walker
 *		Refuse any node of the analyzed predicate that is not allowed.
 */
static bool
predicate_walker(Node *node, PredicateWalk *w)
{
	if (node == NULL)
		return false;
	switch (nodeTag(node))
	{
		case T_Var:
			{
				Var		   *var = (Var *) node;
				char	   *attname;

				if (var->varlevelsup != 0 || var->varno != 1)
					refuse("a column of another table", NULL);
				if (var->varattno == 0)
					refuse("a whole-row reference", "Name the columns the predicate compares.");
				if (var->varattno < 0)
					refuse("a system column", "Name the columns the predicate compares.");
				attname = get_attname(w->relid, var->varattno, false);
				if (pg_class_aclcheck(w->relid, w->owner, ACL_SELECT) != ACLCHECK_OK &&
					pg_attribute_aclcheck(w->relid, var->varattno, w->owner, ACL_SELECT) != ACLCHECK_OK)
					ereport(ERROR,
							(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
							 errmsg("role \"%s\" may not read column \"%s\" of %s",
									GetUserNameFromId(w->owner, false), attname, w->relname),
							 errhint("An archive predicate runs as the policy's owner and reads only what that role may read.")));
				return false;
			}
		case T_Const:
		case T_List:
		case T_BoolExpr:
		case T_NullTest:
		case T_BooleanTest:
		case T_RelabelType:
		case T_CollateExpr:
		case T_CaseExpr:
		case T_CaseWhen:
		case T_CaseTestExpr:
		case T_CoalesceExpr:
		case T_ArrayExpr:
		case T_RowExpr:
		case T_FieldSelect:
		case T_SQLValueFunction:
		case T_FuncExpr:
		case T_OpExpr:
		case T_DistinctExpr:
		case T_NullIfExpr:
		case T_ScalarArrayOpExpr:
		case T_CoerceViaIO:
		case T_ArrayCoerceExpr:
		case T_RowCompareExpr:
			break;
		case T_MinMaxExpr:
			/* GREATEST and LEAST compare with the type's btree support */
			if (((MinMaxExpr *) node)->minmaxtype >= FirstNormalObjectId)
				refuse("GREATEST or LEAST over a type that is not built in", NULL);
			break;
		case T_SubscriptingRef:
			/* subscripting runs the container type's handler */
			if (get_typsubscript(((SubscriptingRef *) node)->refcontainertype, NULL) >= FirstNormalObjectId)
				refuse("a subscript of a type that is not built in", NULL);
			break;
		case T_SubLink:
			refuse("a subquery", "A predicate reads the row it judges, not other rows or tables.");
			break;
		case T_Aggref:
			refuse("an aggregate", NULL);
			break;
		case T_WindowFunc:
			refuse("a window function", NULL);
			break;
		case T_Param:
			refuse("a parameter", NULL);
			break;
		case T_CoerceToDomain:
		case T_CoerceToDomainValue:
			refuse("a cast to a domain", "A domain's constraints would run; compare with the base type instead.");
			break;
		case T_NextValueExpr:
			refuse("a sequence", NULL);
			break;
		default:
			refuse("an expression of this kind", NULL);
	}
	if (check_functions_in_node(node, function_refused, w))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("an archive predicate may not call function %s", format_procedure(w->bad_func)),
				 errdetail("%s", w->bad_why),
				 errhint(PREDICATE_HINT)));
	return expression_tree_walker(node, predicate_walker, (void *) w);
}

/*
 * parse_predicate
 *		Parse sql (rs NULL: returns the raw statements) or analyze rs
 *		(returns the Query). An error is raised again as the predicate's,
 *		with its SQLSTATE: the position the parser gives is one in a
 *		statement the user did not write.
 */
static void *
parse_predicate(const char *sql, RawStmt *rs)
{
	MemoryContext cxt = CurrentMemoryContext;
	void	   *result = NULL;

	PG_TRY();
	{
		if (rs == NULL)
			result = raw_parser(sql, RAW_PARSE_DEFAULT);
		else
			result = parse_analyze_fixedparams(rs, sql, NULL, 0, NULL);
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		ereport(ERROR,
				(errcode(edata->sqlerrcode),
				 errmsg("an archive predicate must be one boolean expression"),
				 errdetail("It does not %s: %s.", rs == NULL ? "parse" : "make sense for the table", edata->message),
				 errhint(PREDICATE_HINT)));
	}
	PG_END_TRY();
	return result;
}

/*
 * ArchivePredicateCheck
 *		Check predicate as the WHERE clause of a policy of table relid owned
 *		by owner (see the file header); raise an error naming what is not
 *		allowed. Returns the predicate deparsed from its analyzed tree, the
 *		text to run, as "(expression)". Caller holds a transaction.
 */
char *
ArchivePredicateCheck(Oid relid, const char *predicate, Oid owner)
{
	char	   *relname;
	char	   *sql;
	List	   *raw;
	RawStmt    *rs;
	SelectStmt *sel;
	Query	   *query;
	RangeTblEntry *rte;
	PredicateWalk w;
	SecurityRoleSwitch sw;
	char	   *deparsed;

	if (get_rel_name(relid) == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid),
				 errhint("Pass the policy's table by name, as a regclass.")));
	if (!SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(owner)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("role with OID %u does not exist", owner),
				 errhint("Pass the policy's owner by name, as a regrole.")));
	relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)), get_rel_name(relid));
	sql = psprintf("SELECT 1 FROM %s WHERE %s", relname, predicate);

	/* the statement as written: nothing but the WHERE clause is the text's */
	raw = parse_predicate(sql, NULL);
	if (list_length(raw) != 1)
		refuse_shape("holds more than one statement");
	rs = linitial_node(RawStmt, raw);
	sel = (SelectStmt *) rs->stmt;
	if (!IsA(sel, SelectStmt) || sel->op != SETOP_NONE)
		refuse_shape("joins another query (UNION, INTERSECT or EXCEPT)");
	if (sel->withClause || sel->intoClause || sel->distinctClause || sel->valuesLists ||
		list_length(sel->targetList) != 1 || list_length(sel->fromClause) != 1 ||
		!IsA(linitial(sel->fromClause), RangeVar) || sel->whereClause == NULL)
		refuse_shape("changes the statement it is part of");
	if (sel->groupClause || sel->havingClause || sel->windowClause)
		refuse_shape("adds GROUP BY, HAVING or WINDOW");
	if (sel->sortClause || sel->limitCount || sel->limitOffset)
		refuse_shape("adds ORDER BY, LIMIT or OFFSET");
	if (sel->lockingClause)
		refuse_shape("adds FOR UPDATE or FOR SHARE");

	/*
	 * Analysis runs input functions of the literals' types: as the owner,
	 * in the search_path the predicate will run with.
	 */
	SecurityEnterRole(owner, "pg_catalog, pg_temp", &sw);
	query = (Query *) parse_predicate(sql, rs);
	if (query->commandType != CMD_SELECT || list_length(query->rtable) != 1 ||
		query->cteList || query->hasAggs || query->hasWindowFuncs ||
		query->hasTargetSRFs || query->rowMarks || query->jointree == NULL ||
		query->jointree->quals == NULL)
		refuse_shape("changes the statement it is part of");
	rte = linitial_node(RangeTblEntry, query->rtable);
	if (rte->rtekind != RTE_RELATION || rte->relid != relid)
		refuse("another table", NULL);

	memset(&w, 0, sizeof(w));
	w.relid = relid;
	w.owner = owner;
	w.relname = relname;
	(void) predicate_walker(query->jointree->quals, &w);

	deparsed = deparse_expression(query->jointree->quals,
								  deparse_context_for(get_rel_name(relid), relid), false, false);
	SecurityLeaveRole(&sw);
	return psprintf("(%s)", deparsed);
}
