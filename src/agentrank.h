/*-------------------------------------------------------------------------
 *
 * agentrank.h
 *		Which agent takes a lead: the one ranking, in plain C.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/agentrank.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_AGENTRANK_H
#define LEADGEN_AGENTRANK_H

#include <stdbool.h>
#include <stdint.h>

/* What the ranking reads of an agent. */
typedef struct LeadgenAgentRank
{
	int64_t		id;
	int32_t		count;			/* current_lead_count */
	int32_t		max;			/* max_leads */
	double		rating;
} LeadgenAgentRank;

extern bool LeadgenAgentBetter(const LeadgenAgentRank *a, const LeadgenAgentRank *b);
extern bool LeadgenAgentHasRoom(const LeadgenAgentRank *a);

#endif							/* LEADGEN_AGENTRANK_H */
