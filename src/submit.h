/*-------------------------------------------------------------------------
 *
 * submit.h
 *		Lead submission: schema-level checks and the ingest queue.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/submit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_SUBMIT_H
#define LEADGEN_SUBMIT_H

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/* What the schema check found out of a payload, besides its problems. */
typedef struct SubmitKeys
{
	bool		has_broker;
	int64		broker_id;
	char	   *external_id;	/* NULL when absent or blank */
} SubmitKeys;

extern List *SubmitCheck(Jsonb *payload, SubmitKeys *keys);
extern char *SubmitBrokerProblem(int64 broker_id);
extern int64 SubmitEnqueue(Jsonb *payload, const SubmitKeys *keys, int32 priority, bool *created);
extern char *SubmitProblemsText(List *problems);
extern void SubmitWakeAtCommit(void);

#endif							/* LEADGEN_SUBMIT_H */
