/*-------------------------------------------------------------------------
 *
 * perf.c
 *		What the performance toolkit needs from the parser and the
 *		planner: what kind of statement a text is, and its plan.
 *
 * perf_analyze_query() runs EXPLAIN ANALYZE only on a single plain SELECT
 * (no SELECT INTO, no row locking, no data-modifying WITH), and in a
 * read-only subtransaction that is always rolled back: statement_kind()
 * is the first of those walls, so that a text with two statements or a
 * DELETE is refused with a clear error before anything runs.
 *
 * PerfExplain() is the plan itself, EXPLAIN (VERBOSE, FORMAT JSON[,
 * ANALYZE, BUFFERS]) of one statement, built so that the statement cannot
 * outlive its call or do more than its role may:
 *
 * - It runs as the caller (or, for the index advisor, as the role that ran
 *   the statement), in a security-restricted operation (no temporary
 *   tables, PREPARE, LISTEN, cursors WITH HOLD, SET ROLE...), in a read-only
 *   subtransaction that is always rolled back, which also undoes the
 *   settings it changed, and in the search_path it is given.
 * - With ANALYZE, a statement whose rewritten tree calls a volatile
 *   function is refused, but for a few that only read the clock, draw
 *   random numbers or sleep: a volatile function may leave state a
 *   rollback does not undo, such as session advisory locks.
 * - Session advisory locks taken meanwhile anyway (by a function that
 *   calls pg_advisory_lock while declared STABLE) are released; those the
 *   session held before are left alone.
 * - timeout_ms arms PostgreSQL's statement timeout for the statement
 *   itself (never past the calling statement's own), and restores the
 *   caller's; past it, the statement is canceled with SQLSTATE 57014.
 *
 * Without ANALYZE, a statement with $n parameters gets its generic plan.
 * pg_stat_statements replaces every constant by a parameter, also where a
 * parameter cannot stand ("interval $2", the literal of a typed literal,
 * does not parse; a parameter alone in a select list has no type): such a
 * parameter, found by the position of the error it causes, is replaced by
 * a literal that its position accepts ('0', 'now', '{}'...), one at a
 * time, and the plan says which (PerfExplain).
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/perf.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "access/htup_details.h"
#include "access/xact.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "commands/prepare.h"
#include "executor/spi.h"
#include "mb/pg_wchar.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "nodes/nodeFuncs.h"
#include "nodes/parsenodes.h"
#include "parser/parser.h"
#include "parser/scanner.h"
#include "parser/gram.h"
#include "storage/lock.h"
#include "storage/proc.h"
#include "tcop/cmdtag.h"
#include "tcop/tcopprot.h"
#include "tcop/utility.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/plancache.h"
#include "utils/regproc.h"
#include "utils/resowner.h"
#include "utils/snapmgr.h"
#include "utils/syscache.h"
#include "utils/timeout.h"

#include "perf.h"
#include "pg_leadgen.h"
#include "security.h"

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
 * single_statement
 *		The one statement of query; with read_only, it must be a plain
 *		SELECT. Raises a clear error otherwise, before anything runs.
 */
static RawStmt *
single_statement(const char *query, bool read_only)
{
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
	return raw;
}

/*
 * PerfStatementKind
 *		The command tag of the single statement in query ("SELECT",
 *		"DELETE", ...). Raises an error when query holds no statement or
 *		more than one, or, with read_only, when the statement is not a plain
 *		SELECT.
 */
const char *
PerfStatementKind(const char *query, bool read_only)
{
	RawStmt    *raw = single_statement(query, read_only);

	return GetCommandTagName(CreateCommandTag(raw->stmt));
}

/*
 * PerfStatementIsQuery
 *		Whether the statement text is a query (SELECT without INTO, INSERT,
 *		UPDATE, DELETE, MERGE, VALUES, TABLE), whose constants
 *		pg_stat_statements keeps as $n, rather than a utility statement,
 *		which it keeps as written, constants and all (SELECT INTO among
 *		them). -1 when the text does not parse here: a normalized text may
 *		not ("interval $2"), nor one run under other parser settings.
 */
int
PerfStatementIsQuery(const char *query)
{
	MemoryContext caller = CurrentMemoryContext;
	MemoryContext work = AllocSetContextCreate(caller, "pg_leadgen statement kind", ALLOCSET_SMALL_SIZES);
	volatile int result = 0;

	MemoryContextSwitchTo(work);
	PG_TRY();
	{
		List	   *stmts = raw_parser(query, RAW_PARSE_DEFAULT);
		Node	   *stmt = list_length(stmts) == 1 ? linitial_node(RawStmt, stmts)->stmt : NULL;

		if (stmt == NULL)
			result = 0;
		else if (IsA(stmt, SelectStmt))
			result = ((SelectStmt *) stmt)->intoClause == NULL;
		else
			result = IsA(stmt, InsertStmt) || IsA(stmt, UpdateStmt) || IsA(stmt, DeleteStmt) || IsA(stmt, MergeStmt);
	}
	PG_CATCH();
	{
		/* a syntax error only: the parser holds no resource */
		MemoryContextSwitchTo(work);
		FlushErrorState();
		result = -1;
	}
	PG_END_TRY();
	MemoryContextSwitchTo(caller);
	MemoryContextDelete(work);
	return result;
}

/*
 * Volatile functions an analyzed statement may call: they read the clock,
 * draw random numbers or sleep, and leave nothing behind.
 */
static const char *const analyze_volatile_allowed[] = {
	"clock_timestamp", "timeofday", "random", "gen_random_uuid",
	"pg_sleep", "pg_sleep_for", "pg_sleep_until"
};

typedef struct VolatileWalk
{
	Oid			func;			/* the first refused function */
} VolatileWalk;

static bool
volatile_refused(Oid func_id, void *context)
{
	VolatileWalk *w = (VolatileWalk *) context;
	HeapTuple	tup;
	bool		refused = false;

	if (func_volatile(func_id) != PROVOLATILE_VOLATILE)
		return false;
	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(func_id));
	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", func_id);
	refused = true;
	if (((Form_pg_proc) GETSTRUCT(tup))->pronamespace == PG_CATALOG_NAMESPACE)
		for (int i = 0; i < lengthof(analyze_volatile_allowed); i++)
			if (strcmp(NameStr(((Form_pg_proc) GETSTRUCT(tup))->proname), analyze_volatile_allowed[i]) == 0)
				refused = false;
	ReleaseSysCache(tup);
	if (refused)
		w->func = func_id;
	return refused;
}

static bool
volatile_walker(Node *node, VolatileWalk *w)
{
	if (node == NULL)
		return false;
	if (check_functions_in_node(node, volatile_refused, w))
		return true;
	if (IsA(node, NextValueExpr))
	{
		w->func = InvalidOid;
		return true;
	}
	if (IsA(node, Query))
		return query_tree_walker((Query *) node, volatile_walker, (void *) w, 0);
	return expression_tree_walker(node, volatile_walker, (void *) w);
}

/* A session advisory lock this backend holds, in one mode. */
typedef struct HeldLock
{
	LOCKTAG		tag;
	LOCKMODE	mode;
} HeldLock;

/*
 * advisory_locks_held
 *		The advisory locks this backend holds, one entry per mode, in the
 *		current memory context.
 */
static List *
advisory_locks_held(void)
{
	LockData   *data = GetLockStatusData();
	List	   *held = NIL;

	for (int i = 0; i < data->nelements; i++)
	{
		LockInstanceData *li = &data->locks[i];

		if (li->pid != MyProcPid || li->locktag.locktag_type != LOCKTAG_ADVISORY)
			continue;
		for (LOCKMODE m = 1; m <= MaxLockMode; m++)
			if (li->holdMask & LOCKBIT_ON(m))
			{
				HeldLock   *h = palloc(sizeof(HeldLock));

				h->tag = li->locktag;
				h->mode = m;
				held = lappend(held, h);
			}
	}
	return held;
}

/*
 * release_new_advisory_locks
 *		Release the session advisory locks held now that were not in
 *		before. Called after the statement's subtransaction is rolled back,
 *		which released its transaction-level ones.
 */
static void
release_new_advisory_locks(List *before)
{
	List	   *now = advisory_locks_held();
	ListCell   *lc;

	foreach(lc, now)
	{
		HeldLock   *h = (HeldLock *) lfirst(lc);
		bool		old = false;
		ListCell   *lb;

		foreach(lb, before)
		{
			HeldLock   *b = (HeldLock *) lfirst(lb);

			if (b->mode == h->mode && memcmp(&b->tag, &h->tag, sizeof(LOCKTAG)) == 0)
				old = true;
		}
		if (old)
			continue;
		while (LockHeldByMe(&h->tag, h->mode) && LockRelease(&h->tag, h->mode, true))
			;
	}
}

/*
 * restore_statement_timeout
 *		Give the calling statement its own statement timeout back (or none).
 */
static void
restore_statement_timeout(bool outer_active, TimestampTz outer_fin)
{
	if (outer_active)
		enable_timeout_at(STATEMENT_TIMEOUT, outer_fin);
	else
		disable_timeout(STATEMENT_TIMEOUT, false);
}

/*
 * The name of the statement explain_text prepares: one no other prepared
 * statement of the session has (the session's own are never touched).
 */
static const char *
explain_stmt_name(void)
{
	static char name[NAMEDATALEN];
	static uint32 n = 0;

	do
		snprintf(name, sizeof(name), "pg_leadgen explain %u", ++n);
	while (FetchPreparedStatement(name, false) != NULL);
	return name;
}

/*
 * explain_text
 *		The EXPLAIN statement to run for a checked statement: over the text
 *		itself, or, for a plan only of a statement with $n parameters, over
 *		EXECUTE of it prepared (as PREPARE would, without the SQL command,
 *		which a security-restricted operation refuses) with NULLs, under
 *		plan_cache_mode = force_generic_plan: the generic plan. EXPLAIN runs
 *		as a statement of its own, through ProcessUtility, so that HypoPG
 *		sees it and plans with its hypothetical indexes. Sets *prepared to
 *		the name of the prepared statement it stored, if any.
 */
static char *
explain_text(const PerfExplainRequest *req, RawStmt *rs, List *queries, Oid *ptypes, int nparams,
			 const char **prepared)
{
	StringInfoData sql;

	initStringInfo(&sql);
	if (req->analyze)
	{
		appendStringInfo(&sql, "EXPLAIN (ANALYZE, BUFFERS, VERBOSE, FORMAT JSON) %s", req->query);
		return sql.data;
	}
	if (nparams == 0)
	{
		appendStringInfo(&sql, "EXPLAIN (VERBOSE, FORMAT JSON) %s", req->query);
		return sql.data;
	}
	{
		CachedPlanSource *plansource = CreateCachedPlan(rs, req->query, CreateCommandTag(rs->stmt));

		CompleteCachedPlan(plansource, queries, NULL, ptypes, nparams, NULL, NULL,
						   CURSOR_OPT_PARALLEL_OK, true);
		*prepared = explain_stmt_name();
		StorePreparedStatement(*prepared, plansource, false);
	}
	(void) set_config_option("plan_cache_mode", "force_generic_plan", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	appendStringInfo(&sql, "EXPLAIN (VERBOSE, FORMAT JSON) EXECUTE %s(", quote_identifier(*prepared));
	for (int i = 0; i < nparams; i++)
		appendStringInfoString(&sql, i > 0 ? ", NULL" : "NULL");
	appendStringInfoChar(&sql, ')');
	return sql.data;
}

/*
 * The position in the statement of the last error met parsing or
 * analyzing it (capture_error_position), 0 for none: an error context
 * callback of a caller (SPI's, when a PL/pgSQL function calls
 * explain_plan_as) turns it into an "internal" position of its own query
 * before the error is caught.
 */
static int	explain_error_position = 0;

static void
capture_error_position(void *arg)
{
	explain_error_position = geterrposition();
}

/*
 * explain_once
 *		EXPLAIN (VERBOSE, FORMAT JSON) of one statement, with ANALYZE and
 *		BUFFERS when analyze, as req describes (see the file header).
 *		Returns the JSON text. Without analyze, $n parameters get a generic
 *		plan. An error leaves after the statement's subtransaction is rolled
 *		back. Caller holds a transaction and a snapshot.
 */
static char *
explain_once(const PerfExplainRequest *req, const Oid *preset, int npreset)
{
	MemoryContext caller = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	MemoryContext work;
	List	   *locks_before = NIL;
	bool		outer_active = get_timeout_active(STATEMENT_TIMEOUT);
	TimestampTz outer_fin = outer_active ? get_timeout_finish_time(STATEMENT_TIMEOUT) : 0;
	volatile TimestampTz deadline = 0;
	char	   *volatile result = NULL;
	volatile bool armed = false;
	const char *volatile prepared = NULL;

	locks_before = advisory_locks_held();

	work = AllocSetContextCreate(caller, "pg_leadgen explain", ALLOCSET_DEFAULT_SIZES);
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(work);
	PG_TRY();
	{
		SecurityRoleSwitch sw;
		ErrorContextCallback position_capture;
		RawStmt    *rs;
		List	   *queries;
		Oid		   *ptypes = NULL;
		int			nparams = 0;
		ListCell   *lc;
		char	   *sql;
		const char *stored = NULL;
		int			ret;

		XactReadOnly = true;
		SecurityEnterRole(OidIsValid(req->role) ? req->role : GetUserId(), req->search_path, &sw);
		if (req->timeout_ms > 0)
		{
			deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), req->timeout_ms);
			if (!outer_active || deadline < outer_fin)
			{
				enable_timeout_at(STATEMENT_TIMEOUT, deadline);
				armed = true;
			}
		}

		/* parsed here, so that a syntax error leaves through the rollback */
		position_capture.callback = capture_error_position;
		position_capture.arg = NULL;
		position_capture.previous = error_context_stack;
		error_context_stack = &position_capture;
		rs = single_statement(req->query, req->analyze);
		if (req->analyze)
			queries = pg_analyze_and_rewrite_fixedparams(rs, req->query, NULL, 0, NULL);
		else
		{
			/* parameters replaced by literals, typed so that their absence is not an error */
			nparams = npreset;
			if (npreset > 0)
			{
				ptypes = palloc(npreset * sizeof(Oid));
				memcpy(ptypes, preset, npreset * sizeof(Oid));
			}
			queries = pg_analyze_and_rewrite_varparams(rs, req->query, &ptypes, &nparams, NULL);
		}
		foreach(lc, queries)
		{
			Query	   *q = lfirst_node(Query, lc);
			VolatileWalk vw = {InvalidOid};

			if (q->commandType == CMD_UTILITY)
				ereport(ERROR,
						(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
						 errmsg("a utility statement has no plan"),
						 errhint("Pass a SELECT, INSERT, UPDATE, DELETE or MERGE.")));
			if (req->analyze && query_tree_walker(q, volatile_walker, (void *) &vw, 0))
				ereport(ERROR,
						(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
						 errmsg("analyze => true runs no statement that calls %s",
								OidIsValid(vw.func) ? format_procedure(vw.func) : "nextval()"),
						 errdetail("A volatile function may change the database or the session (advisory locks, settings, sequences), which rolling the statement back does not always undo."),
						 errhint("Call perf_analyze_query(query) without analyze to see its plan.")));
		}

		error_context_stack = position_capture.previous;
		sql = explain_text(req, rs, queries, ptypes, nparams, &stored);
		prepared = stored;
		SPI_connect();
		ret = SPI_execute(sql, false, 0);
		if (ret != SPI_OK_UTILITY || SPI_tuptable == NULL || SPI_processed != 1)
			elog(ERROR, "EXPLAIN returned no plan: %s", SPI_result_code_string(ret));
		result = MemoryContextStrdup(caller, SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1));
		SPI_finish();
		if (prepared)
		{
			DropPreparedStatement(prepared, false);
			prepared = NULL;
		}

		if (armed)
			restore_statement_timeout(outer_active, outer_fin);
		armed = false;
		SecurityLeaveRole(&sw);
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;
		bool		timed_out;

		MemoryContextSwitchTo(caller);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(caller);
		CurrentResourceOwner = owner;
		/* a prepared statement outlives the rolled back subtransaction */
		if (prepared)
			DropPreparedStatement(prepared, false);
		timed_out = armed && edata->sqlerrcode == ERRCODE_QUERY_CANCELED &&
			GetCurrentTimestamp() >= deadline;
		if (armed)
			restore_statement_timeout(outer_active, outer_fin);
		release_new_advisory_locks(locks_before);
		MemoryContextDelete(work);
		if (timed_out)
			ereport(ERROR,
					(errcode(ERRCODE_QUERY_CANCELED),
					 errmsg("the statement ran past timeout_ms (%d ms) and was canceled", req->timeout_ms),
					 errhint("Raise timeout_ms, or call perf_analyze_query without analyze for the plan alone.")));
		ReThrowError(edata);
	}
	PG_END_TRY();
	release_new_advisory_locks(locks_before);
	MemoryContextDelete(work);
	return result;
}

/*
 * Literals tried in turn in place of a parameter that cannot stay one:
 * '0' reads as a number, an interval, a boolean, text or JSON; the others
 * serve the date and time types, arrays and ranges, uuid, inet, points.
 */
static const char *const substitute_literals[] = {
	"'0'", "'now'", "'{}'", "'00000000-0000-0000-0000-000000000000'", "'0.0.0.0'", "'(0,0)'", "''"
};

#define MAX_SUBSTITUTIONS 64

/* A parameter of the text replaced by a literal. */
typedef struct Substitution
{
	int			paramno;
	int			offset;			/* byte offset of the literal in the text */
	int			literal;		/* index in substitute_literals; -1: absent */
} Substitution;

/* The byte offset of the 1-based character position pos in text, or -1. */
static int
char_position_offset(const char *text, int pos)
{
	int			off = 0;
	int			len = strlen(text);

	if (pos <= 0)
		return -1;
	for (int c = 1; c < pos; c++)
	{
		if (off >= len)
			return -1;
		off += pg_mblen(text + off);
	}
	return off < len ? off : -1;
}

/* The length of a parameter token "$n" at text + off (0: none there). */
static int
param_token_length(const char *text, int off, int *paramno)
{
	int			n = 1;

	if (text[off] != '$' || !isdigit((unsigned char) text[off + 1]))
		return 0;
	while (isdigit((unsigned char) text[off + n]))
		n++;
	/* a statement has at most 65535 parameters, numbered from 1 */
	if (n > 6)
		return 0;
	*paramno = atoi(text + off + 1);
	return *paramno >= 1 && *paramno <= PG_UINT16_MAX ? n : 0;
}

/*
 * held_params
 *		The parameter numbers the text holds, read by the SQL scanner (a "$5"
 *		in a string or a comment is none): a palloc'd array, held[n - 1]
 *		true for each $n, of *max entries (the highest number held). A
 *		number above 65535, the most a statement has, is an error. A text
 *		the scanner refuses holds none here: its parse reports the error.
 */
static bool *
held_params(const char *text, int *max)
{
	MemoryContext caller = CurrentMemoryContext;
	List	   *volatile numbers = NIL;
	bool	   *held;
	ListCell   *lc;

	*max = 0;
	PG_TRY();
	{
		core_yy_extra_type yyextra;
		core_YYSTYPE yylval;
		YYLTYPE		yylloc;
		core_yyscan_t yyscanner = scanner_init(text, &yyextra, &ScanKeywords, ScanKeywordTokens);
		int			tok;

		while ((tok = core_yylex(&yylval, &yylloc, yyscanner)) != 0)
			if (tok == PARAM)
				numbers = lappend_int(numbers, yylval.ival);
		scanner_finish(yyscanner);
	}
	PG_CATCH();
	{
		/* a lexical error only (an unterminated literal): no resource held */
		MemoryContextSwitchTo(caller);
		FlushErrorState();
		numbers = NIL;
	}
	PG_END_TRY();
	foreach(lc, numbers)
	{
		int			n = lfirst_int(lc);

		if (n < 1 || n > PG_UINT16_MAX)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("the query refers to parameter $%d", n),
					 errdetail("A statement has parameters $1 to $65535 at most."),
					 errhint("Number the parameters from $1, as pg_stat_statements and the client protocol do.")));
		*max = Max(*max, n);
	}
	held = palloc0(sizeof(bool) * Max(*max, 1));
	foreach(lc, numbers)
		held[lfirst_int(lc) - 1] = true;
	list_free(numbers);
	return held;
}

/* The byte offset of the token "$paramno" in text, or -1. */
static int
param_token_offset(const char *text, int paramno)
{
	char		token[16];
	const char *p = text;

	snprintf(token, sizeof(token), "$%d", paramno);
	while ((p = strstr(p, token)) != NULL)
	{
		if ((p == text || !(isalnum((unsigned char) p[-1]) || p[-1] == '_' || p[-1] == '$')) &&
			!isdigit((unsigned char) p[strlen(token)]))
			return p - text;
		p++;
	}
	return -1;
}

/*
 * substituted_at
 *		The substitution whose literal an error at byte offset off is about:
 *		the literal itself, or the type name written before it (a typed
 *		literal's input error points at its type: timestamp '0'). -1: none.
 */
static int
substituted_at(const char *text, const Substitution *subs, int nsubs, int off)
{
	int			best = -1;

	for (int i = 0; i < nsubs; i++)
	{
		bool		between_ok = true;

		if (subs[i].offset < off || (best >= 0 && subs[best].offset <= subs[i].offset))
			continue;
		for (int k = off; k < subs[i].offset; k++)
			if (!(isalnum((unsigned char) text[k]) || strchr(" \t\n_.()\"", text[k]) != NULL))
				between_ok = false;
		if (between_ok)
			best = i;
	}
	return best;
}

/*
 * next_substitution
 *		What to change in text after error edata, met at character errpos
 *		of text (0: none): a parameter to replace
 *		(returns true, *off and *len its token, *paramno its number, *which
 *		-1), a parameter the text does not hold (returns true, *off -1,
 *		*paramno its number), or a substituted literal to replace by the
 *		next one (returns true, *which its index in subs). False: the error
 *		is not about a parameter, or nothing is left to try.
 */
static bool
next_substitution(const char *text, const ErrorData *edata, int errpos, const Substitution *subs, int nsubs,
				  int *off, int *len, int *paramno, int *which)
{
	*off = char_position_offset(text, errpos);
	*len = 0;
	*which = -1;
	if (*off < 0 && edata->sqlerrcode == ERRCODE_INDETERMINATE_DATATYPE && edata->message != NULL)
	{
		/*
		 * "could not determine data type of parameter $n" has no position;
		 * a parameter the text does not hold (one replaced already, or
		 * unused by a client's prepared statement) is typed text
		 */
		const char *dollar = strrchr(edata->message, '$');

		if (dollar == NULL || !isdigit((unsigned char) dollar[1]))
			return false;
		*paramno = atoi(dollar + 1);
		*off = param_token_offset(text, *paramno);
		if (*off < 0)
			return *paramno >= 1 && *paramno <= PG_UINT16_MAX && nsubs < MAX_SUBSTITUTIONS;
	}
	if (*off < 0)
		return false;
	*len = param_token_length(text, *off, paramno);
	if (*len > 0)
		return nsubs < MAX_SUBSTITUTIONS;
	*which = substituted_at(text, subs, nsubs, *off);
	return *which >= 0 && subs[*which].literal + 1 < lengthof(substitute_literals);
}

/* text with len bytes at off replaced by literal; offsets after it moved. */
static char *
replace_span(const char *text, int off, int len, const char *literal, Substitution *subs, int nsubs)
{
	StringInfoData buf;
	int			delta = strlen(literal) - len;

	initStringInfo(&buf);
	appendBinaryStringInfo(&buf, text, off);
	appendStringInfoString(&buf, literal);
	appendStringInfoString(&buf, text + off + len);
	for (int i = 0; i < nsubs; i++)
		if (subs[i].offset > off)
			subs[i].offset += delta;
	return buf.data;
}

/*
 * explain_or_error
 *		explain_once(req), or NULL with *edata the error it raised (after it
 *		rolled its subtransaction back).
 */
static char *
explain_or_error(const PerfExplainRequest *req, const Oid *preset, int npreset, ErrorData **edata)
{
	MemoryContext caller = CurrentMemoryContext;
	char	   *volatile result = NULL;

	*edata = NULL;
	explain_error_position = 0;
	PG_TRY();
	{
		result = explain_once(req, preset, npreset);
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(caller);
		*edata = CopyErrorData();
		FlushErrorState();
	}
	PG_END_TRY();
	return result;
}

/*
 * PerfExplain
 *		EXPLAIN (VERBOSE, FORMAT JSON) of one statement (explain_once).
 *		Without analyze, a text as pg_stat_statements keeps it whose $n
 *		parameters cannot all stay parameters (a typed literal: "interval
 *		$2" does not parse; a parameter whose type cannot be inferred) is
 *		planned with a literal in place of each such parameter, the first of
 *		substitute_literals its position accepts; the other parameters keep
 *		the generic plan. The plan then says so: its first object gains
 *		"Substituted Parameters" (["$2 = '0'"]) and "Planned Text". Returns
 *		the JSON text. Caller holds a transaction and a snapshot.
 */
char *
PerfExplain(const PerfExplainRequest *req)
{
	PerfExplainRequest attempt = *req;
	Substitution subs[MAX_SUBSTITUTIONS];
	int			nsubs = 0;
	int			nreplaced = 0;
	char	   *result = NULL;
	StringInfoData out;
	const char *brace;
	bool	   *held;
	int			maxheld;

	if (req->analyze)
		return explain_once(req, NULL, 0);
	attempt.query = pstrdup(req->query);
	held = held_params(req->query, &maxheld);
	for (int tries = 0; result == NULL; tries++)
	{
		ErrorData  *edata;
		int			off;
		int			len;
		int			paramno = 0;
		int			which;
		Oid		   *preset = NULL;
		int			npreset = 0;

		/*
		 * The numbers the text skips ($1 and $3 held: $2) and the replaced
		 * parameters' numbers are taken: as text, unused. (Skipped numbers
		 * were typed one per error, and $70 alone failed after 64 tries,
		 * on "$65".)
		 */
		npreset = maxheld;
		for (int i = 0; i < nsubs; i++)
			npreset = Max(npreset, subs[i].paramno);
		if (npreset > 0)
			preset = palloc0(npreset * sizeof(Oid));
		for (int i = 0; i < maxheld; i++)
			if (!held[i])
				preset[i] = TEXTOID;
		for (int i = 0; i < nsubs; i++)
			preset[subs[i].paramno - 1] = TEXTOID;
		result = explain_or_error(&attempt, preset, npreset, &edata);
		if (result != NULL)
			break;
		if (tries >= 2 * MAX_SUBSTITUTIONS ||
			!next_substitution(attempt.query, edata, explain_error_position, subs, nsubs, &off, &len, &paramno, &which))
			ReThrowError(edata);
		FreeErrorData(edata);
		if (which < 0 && off < 0)
		{
			/* a parameter the text does not hold: typed text */
			subs[nsubs].paramno = paramno;
			subs[nsubs].offset = -1;
			subs[nsubs].literal = -1;
			nsubs++;
		}
		else if (which < 0)
		{
			/* a parameter that cannot stay one: the first literal */
			subs[nsubs].paramno = paramno;
			subs[nsubs].offset = off;
			subs[nsubs].literal = 0;
			attempt.query = replace_span(attempt.query, off, len, substitute_literals[0], subs, nsubs);
			nsubs++;
		}
		else
		{
			/* a literal its position refuses: the next one */
			const char *was = substitute_literals[subs[which].literal];

			subs[which].literal++;
			attempt.query = replace_span(attempt.query, subs[which].offset, strlen(was),
										 substitute_literals[subs[which].literal], subs, nsubs);
		}
	}
	for (int i = 0; i < nsubs; i++)
		if (subs[i].literal >= 0)
			nreplaced++;
	if (nreplaced == 0 || (brace = strchr(result, '{')) == NULL)
		return result;

	initStringInfo(&out);
	appendBinaryStringInfo(&out, result, brace - result + 1);
	appendStringInfoString(&out, "\"Substituted Parameters\": [");
	for (int i = 0, n = 0; i < nsubs; i++)
	{
		if (subs[i].literal < 0)
			continue;
		if (n++ > 0)
			appendStringInfoString(&out, ", ");
		escape_json(&out, psprintf("$%d = %s", subs[i].paramno, substitute_literals[subs[i].literal]));
	}
	appendStringInfoString(&out, "], \"Planned Text\": ");
	escape_json(&out, attempt.query);
	appendStringInfoString(&out, ", ");
	appendStringInfoString(&out, brace + 1);
	return out.data;
}
