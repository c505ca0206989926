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

#include "fmgr.h"
#include "miscadmin.h"

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

	ShmemInit();
	WorkerRegister();
}
