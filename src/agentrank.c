/*-------------------------------------------------------------------------
 *
 * agentrank.c
 *		Which agent takes a lead: the one ranking, in plain C.
 *
 * Among the agents that may take a lead (active, in its state, specialized
 * in its insurance type, with room: current_lead_count < max_leads), the
 * lowest current_lead_count / max_leads wins, then the highest rating,
 * then the lowest id (DOMAIN.md, Assignment). The pipeline's batches and
 * the backlog sweep (leadgen.assign_backlog, through leadgen.agent_for)
 * both choose with LeadgenAgentBetter. Load ratios are compared exactly,
 * as a.count * b.max against b.count * a.max, not as floating point.
 *
 * Plain C, so that test/unit can test it without a server.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/agentrank.c
 *
 *-------------------------------------------------------------------------
 */
#include "agentrank.h"

/*
 * LeadgenAgentBetter
 *		Whether agent a ranks before agent b.
 */
bool
LeadgenAgentBetter(const LeadgenAgentRank *a, const LeadgenAgentRank *b)
{
	int64_t		lhs = (int64_t) a->count * b->max;
	int64_t		rhs = (int64_t) b->count * a->max;

	if (lhs != rhs)
		return lhs < rhs;
	if (a->rating != b->rating)
		return a->rating > b->rating;
	return a->id < b->id;
}

/*
 * LeadgenAgentHasRoom
 *		Whether the agent may take one more lead.
 */
bool
LeadgenAgentHasRoom(const LeadgenAgentRank *a)
{
	return a->count < a->max;
}
