/*-------------------------------------------------------------------------
 *
 * lead.h
 *		A lead of a pipeline batch: its pending row and its verdict.
 *
 * Shared by the pipeline (pipeline.c) and its duplicate detection
 * (duplicates.c).
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/lead.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_LEAD_H
#define LEADGEN_LEAD_H

#include "datatype/timestamp.h"
#include "utils/jsonb.h"

#include "validate.h"

typedef struct Lead
{
	/* the pending row */
	int64		id;
	Jsonb	   *payload;
	bool		has_broker;
	int64		broker_id;
	char	   *external_id;
	int32		attempts;
	int32		priority;
	TimestampTz enqueued_at;

	/* the verdict */
	LeadgenLead in;
	LeadgenVerdict v;
	const char *status;
	bool		has_dup;
	int64		dup_of;
	bool		has_agent;
	int64		agent_id;
	bool		waits;			/* judged after earlier batches holding its keys */
} Lead;

#endif							/* LEADGEN_LEAD_H */
