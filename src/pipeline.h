/*-------------------------------------------------------------------------
 *
 * pipeline.h
 *		Turning pending leads into processed leads, a batch at a time.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/pipeline.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_PIPELINE_H
#define LEADGEN_PIPELINE_H

/* What one call of PipelineRunBatch did. */
typedef struct PipelineResult
{
	int			claimed;		/* pending rows taken */
	int			processed;		/* leads written */
	int			retried;		/* rows that failed and wait for a retry */
	int			dead;			/* rows moved to the dead letter table */
	int			nsamples;
	int			capacity;		/* entries of wait_us and proc_us */
	int64	   *wait_us;		/* per processed lead: enqueued -> claimed */
	int64	   *proc_us;		/* per processed lead: enqueued -> processed */
	int64		now_unix_s;
} PipelineResult;

extern int	PipelineRunBatch(int batch_size, PipelineResult *result);
extern void PipelineResetActive(void);

#endif							/* LEADGEN_PIPELINE_H */
