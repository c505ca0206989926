/*-------------------------------------------------------------------------
 *
 * perf.h
 *		What the performance toolkit needs from the parser and the planner.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/perf.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_PERF_H
#define LEADGEN_PERF_H

/* What PerfExplain explains, and how. */
typedef struct PerfExplainRequest
{
	const char *query;
	bool		analyze;		/* run it: EXPLAIN ANALYZE */
	int			timeout_ms;		/* 0: no timeout of its own */
	const char *search_path;	/* NULL: the current one */
	Oid			role;			/* InvalidOid: the current user */
} PerfExplainRequest;

extern char *PerfExplain(const PerfExplainRequest *req);
extern const char *PerfStatementKind(const char *query, bool read_only);
extern int	PerfStatementIsQuery(const char *query);

#endif							/* LEADGEN_PERF_H */
