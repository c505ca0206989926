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

#endif							/* LEADGEN_SPIUTIL_H */
