/*-------------------------------------------------------------------------
 *
 * agentscan.h
 *		The agents who could take a batch's leads, read from the agents'
 *		state index without the planner.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/agentscan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_AGENTSCAN_H
#define LEADGEN_AGENTSCAN_H

/* An active agent with room, as read. */
typedef struct AgentRow
{
	int64		id;
	char		state[3];
	Datum		specializations;	/* text[]; (Datum) 0 when null */
	int32		count;
	int32		max;
	double		rating;
} AgentRow;

extern AgentRow *AgentScanByStates(const char *const *states, int nstates, int *nrows);

#endif							/* LEADGEN_AGENTSCAN_H */
