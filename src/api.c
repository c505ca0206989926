/*-------------------------------------------------------------------------
 *
 * api.c
 *		SQL-callable functions of pg_leadgen. Wrappers stay thin: they
 *		check and convert arguments and call the module that does the work.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/builtins.h"

#include "pg_leadgen.h"

PG_FUNCTION_INFO_V1(pg_leadgen_preloaded);
PG_FUNCTION_INFO_V1(pg_leadgen_worker_database);

/*
 * pg_leadgen_preloaded
 *		Whether this server loaded pg_leadgen through
 *		shared_preload_libraries, so that its workers run.
 */
Datum
pg_leadgen_preloaded(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(leadgen_preloaded);
}

/*
 * pg_leadgen_worker_database
 *		The database the workers serve (leadgen.database).
 */
Datum
pg_leadgen_worker_database(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(leadgen_database ? leadgen_database : ""));
}
