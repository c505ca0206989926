/*-------------------------------------------------------------------------
 *
 * listroute.h
 *		The list routes run by the database, their statements planned once.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/listroute.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_LISTROUTE_H
#define LEADGEN_LISTROUTE_H

#include "utils/array.h"

extern text *ListRouteRun(const char *resource, ArrayType *filters, ArrayType *values, const char *fields,
						  const char *sort, int32 lim, int64 off, const char *cursor);

#endif							/* LEADGEN_LISTROUTE_H */
