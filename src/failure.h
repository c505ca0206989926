/*-------------------------------------------------------------------------
 *
 * failure.h
 *		A pending lead that failed: its retry with backoff, or the dead
 *		letter.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/failure.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_FAILURE_H
#define LEADGEN_FAILURE_H

#include "pipeline.h"

extern void FailureRecord(int64 id, ErrorData *edata, PipelineResult *res);

#endif							/* LEADGEN_FAILURE_H */
