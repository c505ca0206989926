/*-------------------------------------------------------------------------
 *
 * assign.h
 *		Choosing the agent of a lead, for the pipeline and the backlog.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/assign.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_ASSIGN_H
#define LEADGEN_ASSIGN_H

#include "agentrank.h"
#include "agentscan.h"

/* An agent that could take leads, as a choice reads it. */
typedef struct AssignAgent
{
	LeadgenAgentRank rank;		/* id, count, max, rating */
	char		state[3];
	uint32		types;			/* bit i: the type LeadgenInsuranceTypeIndex gives i */
} AssignAgent;

extern AssignAgent *AssignAgentsOf(const AgentRow *rows, int n);
extern AssignAgent *AssignPick(AssignAgent *agents, int n, const char *state, const char *insurance_type);
extern int64 AssignAgentFor(const char *state, const char *insurance_type, int64 only_agent);

#endif							/* LEADGEN_ASSIGN_H */
