/*-------------------------------------------------------------------------
 *
 * perf.c
 *		What the performance toolkit needs from the parser: what kind of
 *		statement a text is, before it is explained or run.
 *
 * perf_analyze_query() runs EXPLAIN ANALYZE only on a single plain SELECT
 * (no SELECT INTO, no row locking, no data-modifying WITH), and in a
 * read-only subtransaction that is always rolled back: the check here is
 * the first of those walls, so that a text with two statements or a DELETE
 * is refused with a clear error before anything runs.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/perf.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "tcop/cmdtag.h"
#include "tcop/utility.h"
#include "utils/builtins.h"

#include "pg_leadgen.h"

PG_FUNCTION_INFO_V1(pg_leadgen_statement_kind);

/*
 * is_plain_select
 *		A SELECT that neither writes (SELECT INTO, data-modifying WITH) nor
 *		locks rows (FOR UPDATE/SHARE), in any of its set operation arms.
 */
static bool
is_plain_select(Node *node, const char **why)
{
	SelectStmt *s;
	ListCell   *lc;

	if (node == NULL || !IsA(node, SelectStmt))
	{
		*why = "it is not a SELECT";
		return false;
	}
	s = (SelectStmt *) node;
	if (s->intoClause != NULL)
	{
		*why = "SELECT INTO creates a table";
		return false;
	}
	if (s->lockingClause != NIL)
	{
		*why = "it locks rows (FOR UPDATE or FOR SHARE)";
		return false;
	}
	if (s->withClause != NULL)
	{
		foreach(lc, s->withClause->ctes)
		{
			CommonTableExpr *cte = lfirst_node(CommonTableExpr, lc);

			if (!is_plain_select(cte->ctequery, why))
			{
				*why = "a WITH query of it writes or locks rows";
				return false;
			}
		}
	}
	if (s->op != SETOP_NONE)
		return is_plain_select((Node *) s->larg, why) && is_plain_select((Node *) s->rarg, why);
	return true;
}

/*
 * pg_leadgen_statement_kind
 *		statement_kind(query text, read_only boolean) returns the command
 *		tag of the single statement in query ("SELECT", "DELETE", ...).
 *		Raises an error when query holds no statement or more than one, or,
 *		with read_only, when the statement is not a plain SELECT.
 */
Datum
pg_leadgen_statement_kind(PG_FUNCTION_ARGS)
{
	char	   *query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	bool		read_only = PG_GETARG_BOOL(1);
	List	   *stmts = raw_parser(query, RAW_PARSE_DEFAULT);
	RawStmt    *raw;
	const char *why = NULL;

	if (list_length(stmts) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expected one statement, found %d", list_length(stmts)),
				 errhint("Pass a single query, without a trailing second statement.")));
	raw = linitial_node(RawStmt, stmts);
	if (read_only && !is_plain_select(raw->stmt, &why))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("analyze => true runs only a single read-only SELECT: %s", why),
				 errhint("Call perf_analyze_query(query) without analyze to see the plan of a statement that writes.")));
	PG_RETURN_TEXT_P(cstring_to_text(GetCommandTagName(CreateCommandTag(raw->stmt))));
}
