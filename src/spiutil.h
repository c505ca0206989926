/*-------------------------------------------------------------------------
 *
 * spiutil.h
 *		The small SPI and catalog helpers the modules share.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/spiutil.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_SPIUTIL_H
#define LEADGEN_SPIUTIL_H

#include "access/attnum.h"
#include "executor/spi.h"
#include "utils/rel.h"

extern SPIPlanPtr LeadgenKeepPlan(const char *sql, int nargs, Oid *argtypes);
extern AttrNumber LeadgenAttnum(Relation rel, const char *name);
extern Datum LeadgenMakeArray(Datum *values, bool *nulls, int n, Oid elemtype);

/* the search_path pg_leadgen's own statements are planned and run in */
#define LEADGEN_SAFE_SEARCH_PATH "pg_catalog, pg_temp"

extern int	LeadgenSPIConnect(void);
extern void LeadgenSPIFinish(int guc_level);
extern void LeadgenPinSessionSearchPath(void);

#endif							/* LEADGEN_SPIUTIL_H */
