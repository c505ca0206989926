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

/* A snapshot of the counters; times are mean, p50, p95, p99 in ms. */
typedef struct QueueStats
{
	uint32		active;
	uint64		completed;
	uint64		failed;
	uint64		dead;
	int			samples;
	double		wait_ms[4];
	double		proc_ms[4];
	char	   *throughput_json;
} QueueStats;

extern void QueueRecordResult(const PipelineResult *res);
extern void QueueAddActive(int delta);
extern void QueueReadStats(int minutes, QueueStats *out);

#endif							/* LEADGEN_QUEUE_H */
