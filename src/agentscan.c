/*-------------------------------------------------------------------------
 *
 * agentscan.c
 *		The agents who could take a batch's leads: the active agents with
 *		room of the batch's states, read with scans of the agents' state
 *		index that this file drives itself, without the planner.
 *
 * A batch reads its candidate agents once, then chooses in memory
 * (pipeline.c). As a query, the read's cost was the planner's to decide
 * from statistics that a fresh install does not have yet, and the agents
 * table grows with every batch until vacuumed: each batch updates the
 * counts of the agents it used, and current_lead_count is indexed
 * (DOMAIN.md keeps agents (is_active, current_lead_count)), so no update is
 * HOT. Here the read is one descent of agents_state_city_specializations_idx
 * per state, then the state's agents, whatever the statistics say.
 *
 * Rows are returned in id order (the order in which every batch locks
 * agents). The snapshot is the transaction's: in READ COMMITTED a fresh one,
 * as a statement would take.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/agentscan.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/skey.h"
#include "access/stratnum.h"
#include "access/table.h"
#include "access/tableam.h"
#include "catalog/namespace.h"
#include "catalog/pg_am_d.h"
#include "executor/tuptable.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/lsyscache.h"
#include "utils/rel.h"
#include "utils/snapmgr.h"

#include "agentscan.h"
#include "pg_leadgen.h"
#include "spiutil.h"

#define STATE_INDEX "agents_state_city_specializations_idx"

static int
cmp_agent_id(const void *a, const void *b)
{
	const AgentRow *x = (const AgentRow *) a;
	const AgentRow *y = (const AgentRow *) b;

	return x->id < y->id ? -1 : x->id > y->id ? 1 : 0;
}

/*
 * AgentScanByStates
 *		The active agents with room (current_lead_count < max_leads) of
 *		these states, in id order. *nrows: how many.
 */
AgentRow *
AgentScanByStates(const char *const *states, int nstates, int *nrows)
{
	Oid			nsp = get_namespace_oid(LEADGEN_SCHEMA_NAME, false);
	Oid			agents_oid = get_relname_relid("agents", nsp);
	Oid			index_oid = get_relname_relid(STATE_INDEX, nsp);
	Relation	heap;
	Relation	index;
	TupleTableSlot *slot;
	IndexScanDesc scan;
	Snapshot	snap;
	AttrNumber	att_id,
				att_state,
				att_specs,
				att_active,
				att_count,
				att_max,
				att_rating;
	int			cap = 64;
	int			n = 0;
	AgentRow   *rows = palloc(sizeof(AgentRow) * cap);

	if (!OidIsValid(agents_oid) || !OidIsValid(index_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("leadgen.agents or its index \"%s\" does not exist", STATE_INDEX)));

	heap = table_open(agents_oid, AccessShareLock);
	index = index_open(index_oid, AccessShareLock);
	if (index->rd_rel->relam != BTREE_AM_OID || index->rd_index->indrelid != agents_oid ||
		index->rd_index->indkey.values[0] != LeadgenAttnum(heap, "state"))
		elog(ERROR, "index \"%s\" is not the btree index on agents (state, ...) it should be", STATE_INDEX);
	att_id = LeadgenAttnum(heap, "id");
	att_state = LeadgenAttnum(heap, "state");
	att_specs = LeadgenAttnum(heap, "specializations");
	att_active = LeadgenAttnum(heap, "is_active");
	att_count = LeadgenAttnum(heap, "current_lead_count");
	att_max = LeadgenAttnum(heap, "max_leads");
	att_rating = LeadgenAttnum(heap, "rating");

	snap = RegisterSnapshot(GetTransactionSnapshot());
	slot = table_slot_create(heap, NULL);
	scan = index_beginscan(heap, index, snap, 1, 0);

	for (int s = 0; s < nstates; s++)
	{
		ScanKeyData key;

		ScanKeyEntryInitialize(&key, 0, 1, BTEqualStrategyNumber, InvalidOid, index->rd_indcollation[0],
							   F_TEXTEQ, CStringGetTextDatum(states[s]));
		index_rescan(scan, &key, 1, NULL, 0);
		while (index_getnext_slot(scan, ForwardScanDirection, slot))
		{
			bool		isnull;
			AgentRow   *r;
			Datum		d;

			if (!DatumGetBool(slot_getattr(slot, att_active, &isnull)) || isnull)
				continue;
			if (n == cap)
			{
				cap *= 2;
				rows = repalloc(rows, sizeof(AgentRow) * cap);
			}
			r = &rows[n];
			r->count = DatumGetInt32(slot_getattr(slot, att_count, &isnull));
			r->max = DatumGetInt32(slot_getattr(slot, att_max, &isnull));
			if (r->count >= r->max)
				continue;
			r->id = DatumGetInt64(slot_getattr(slot, att_id, &isnull));
			strlcpy(r->state, TextDatumGetCString(slot_getattr(slot, att_state, &isnull)), sizeof(r->state));
			d = slot_getattr(slot, att_specs, &isnull);
			r->specializations = isnull ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(d));
			r->rating = DatumGetFloat8(DirectFunctionCall1(numeric_float8,
														   slot_getattr(slot, att_rating, &isnull)));
			n++;
		}
	}

	index_endscan(scan);
	ExecDropSingleTupleTableSlot(slot);
	UnregisterSnapshot(snap);
	index_close(index, NoLock);
	table_close(heap, NoLock);

	qsort(rows, n, sizeof(AgentRow), cmp_agent_id);
	*nrows = n;
	return rows;
}
