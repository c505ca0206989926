/*-------------------------------------------------------------------------
 *
 * assign.c
 *		Choosing the agent of a lead, for the pipeline and the backlog.
 *
 * An agent may take a lead when it is active, in the lead's state,
 * specialized in its insurance type and has room; among those the ranking
 * of agentrank.c decides. The agents are read by agentscan.c (index scans
 * driven from C, whatever the planner believes of the table). The
 * pipeline's batches choose for many leads at once, counting each choice
 * before the next (AssignAgentsOf, AssignPick); the backlog sweep
 * (leadgen.assign_backlog) asks for one lead at a time through the
 * SQL-callable leadgen.agent_for (AssignAgentFor), so both take the same
 * agent for the same lead and agents.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/assign.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"

#include "assign.h"
#include "spiutil.h"
#include "validate.h"

/* An insurance type as a bit, for agents' specializations. */
static uint32
type_bit(const char *type)
{
	int			i = LeadgenInsuranceTypeIndex(type);

	return i < 0 ? 0 : (uint32) 1 << i;
}

/*
 * AssignAgentsOf
 *		The agents of rows (as agentscan.c read them), for choosing.
 */
AssignAgent *
AssignAgentsOf(const AgentRow *rows, int n)
{
	AssignAgent *agents = palloc0(sizeof(AssignAgent) * Max(n, 1));

	for (int i = 0; i < n; i++)
	{
		Datum	   *elems;
		bool	   *enulls;
		int			nelems;

		agents[i].rank.id = rows[i].id;
		agents[i].rank.count = rows[i].count;
		agents[i].rank.max = rows[i].max;
		agents[i].rank.rating = rows[i].rating;
		memcpy(agents[i].state, rows[i].state, sizeof(agents[i].state));
		if (rows[i].specializations != (Datum) 0)
		{
			deconstruct_array(DatumGetArrayTypeP(rows[i].specializations), TEXTOID, -1, false, TYPALIGN_INT,
							  &elems, &enulls, &nelems);
			for (int k = 0; k < nelems; k++)
				if (!enulls[k])
					agents[i].types |= type_bit(TextDatumGetCString(elems[k]));
		}
	}
	return agents;
}

/*
 * AssignPick
 *		The best of agents for a lead of state and insurance_type (both
 *		normalized), or NULL when none may take it. The caller counts the
 *		lead (rank.count++) when it gives it.
 */
AssignAgent *
AssignPick(AssignAgent *agents, int n, const char *state, const char *insurance_type)
{
	uint32		bit = type_bit(insurance_type);
	AssignAgent *best = NULL;

	for (int k = 0; k < n; k++)
	{
		AssignAgent *a = &agents[k];

		if (!LeadgenAgentHasRoom(&a->rank) || !(a->types & bit) || strcmp(a->state, state) != 0)
			continue;
		if (best == NULL || LeadgenAgentBetter(&a->rank, &best->rank))
			best = a;
	}
	return best;
}

/*
 * AssignAgentFor
 *		The agent that takes one lead of state and insurance_type now (of
 *		only_agent alone when it is not 0), or 0 when none may. Caller holds
 *		a transaction and has locked the agents it will count against.
 */
int64
AssignAgentFor(const char *state, const char *insurance_type, int64 only_agent)
{
	const char *states[1] = {state};
	AgentRow   *rows;
	AssignAgent *agents;
	AssignAgent *best;
	int			n;
	int			kept = 0;
	int			guc_level;

	guc_level = LeadgenSPIConnect();
	rows = AgentScanByStates(states, 1, &n);
	if (only_agent != 0)
	{
		for (int i = 0; i < n; i++)
			if (rows[i].id == only_agent)
				rows[kept++] = rows[i];
		n = kept;
	}
	agents = AssignAgentsOf(rows, n);
	best = AssignPick(agents, n, state, insurance_type);
	LeadgenSPIFinish(guc_level);
	return best ? best->rank.id : 0;
}
