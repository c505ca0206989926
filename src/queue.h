/*-------------------------------------------------------------------------
 *
 * queue.h
 *		Queue metrics kept in shared memory.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/queue.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_QUEUE_H
#define LEADGEN_QUEUE_H

#include "pipeline.h"

extern void QueueRecordResult(const PipelineResult *res);
extern void QueueAddActive(int delta);

#endif							/* LEADGEN_QUEUE_H */
