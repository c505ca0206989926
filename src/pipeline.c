/*-------------------------------------------------------------------------
 *
 * pipeline.c
 *		Turning pending leads into processed leads, a batch at a time.
 *
 * One batch, in one subtransaction of the caller's transaction:
 *
 *	1. claim up to batch_size due rows of leadgen.leads_pending (highest
 *	   priority first, then submission order) with FOR UPDATE SKIP LOCKED,
 *	   deleting them in the same statement;
 *	2. run the eligibility rules and the score on each (validate.c, plain C);
 *	3. find duplicates, against the leads of the 30 days either side of
 *	   each lead's submission (index scans driven from C, dupscan.c) and
 *	   the batch's earlier submissions, after locking the batch's
 *	   contact keys so that concurrent batches see each other's leads;
 *	   steps 1 to the key locks run under the claim gate, so that
 *	   batches take their keys in the order they claimed (duplicates.c);
 *	4. read the agents that could take the batch's eligible leads (index
 *	   scans driven from C, agentscan.c) and pick each lead's agent in
 *	   memory: lowest current_lead_count / max_leads, then highest rating,
 *	   then lowest id;
 *	5. write the leads, their assignments, one event per lead and, last,
 *	   the agents' new counts in a single statement, and notify listeners.
 *	   The table's check keeps every agent within max_leads: when another
 *	   batch took the room meanwhile, the batch is redone with the agents
 *	   locked in id order (see assign_agents).
 *
 * Nothing of a batch is visible until the caller commits, and a claimed
 * row is deleted in the same transaction that writes its lead, so every
 * pending lead produces its effects exactly once, whatever dies when.
 *
 * When a batch fails, its subtransaction is rolled back (the rows are back
 * in the queue) and its rows are retried one by one, each in a
 * subtransaction of its own, so that a poison row cannot block its
 * neighbours. A row that fails alone is charged an attempt: a transient
 * error (by SQLSTATE class) is retried with exponential backoff, 1 s
 * doubling up to 60 s; a deterministic one, or the last attempt, moves the
 * row to leadgen.leads_dead_letter with every error it met.
 *
 * The caller holds a transaction and is connected to SPI.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/pipeline.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/xact.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/date.h"
#include "utils/datetime.h"
#include "utils/guc.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/memutils.h"
#include "utils/numeric.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "agentscan.h"
#include "assign.h"
#include "claim.h"
#include "duplicates.h"
#include "failure.h"
#include "lead.h"
#include "leadread.h"
#include "pg_leadgen.h"
#include "pipeline.h"
#include "queue.h"
#include "spiutil.h"
#include "validate.h"

#define S LEADGEN_SCHEMA_NAME

/* Unix epoch in PostgreSQL's TimestampTz (microseconds since 2000-01-01). */
#define UNIX_EPOCH_OFFSET_US \
	((int64) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * USECS_PER_DAY)

#define AGENT_DEACTIVATED_MSG	"an agent was deactivated while leads were being assigned to it"

static bool is_agent_conflict(ErrorData *edata);


/* Active carriers' coverage, "ST:type" strings sorted for bsearch. */
typedef struct Coverage
{
	int			n;
	char	  **keys;
} Coverage;


static SPIPlanPtr plan_coverage = NULL;
static SPIPlanPtr plan_weights = NULL;
static SPIPlanPtr plan_agents = NULL;
static SPIPlanPtr plan_write = NULL;

/*
 * prepare_plans
 *		Prepare the pipeline's statements once per process.
 */
static void
prepare_plans(void)
{
	if (plan_coverage != NULL)
		return;

	plan_coverage = LeadgenKeepPlan(
							  "SELECT DISTINCT upper(s.st) || ':' || lower(t.ty)"
							  "  FROM " S ".carriers c, unnest(c.states) s(st), unnest(c.insurance_types) t(ty)"
							  " WHERE c.is_active AND s.st IS NOT NULL AND t.ty IS NOT NULL", 0, NULL);
	plan_weights = LeadgenKeepPlan("SELECT component, points FROM " S ".scoring_weights", 0, NULL);
	{
		Oid			t[1] = {INT8ARRAYOID};

		/* the agents read by agentscan.c, locked (assign_agents) */
		plan_agents = LeadgenKeepPlan(
								"SELECT id, state::text, specializations, current_lead_count, max_leads, rating::float8"
								"  FROM " S ".agents"
								" WHERE id = ANY ($1) AND is_active AND current_lead_count < max_leads"
								" ORDER BY id FOR NO KEY UPDATE", 1, t);
	}
	{
		Oid			t[19] = {INT8ARRAYOID, JSONBARRAYOID, TEXTARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
			DATEARRAYOID, INT4ARRAYOID, TEXTARRAYOID, INT8ARRAYOID, TEXTARRAYOID, TEXTARRAYOID,
			TIMESTAMPTZARRAYOID, INT8ARRAYOID, INT4ARRAYOID, INT8ARRAYOID, TIMESTAMPTZOID,
		INT8ARRAYOID, INT4ARRAYOID, JSONBARRAYOID};

		/*
		 * The agents' counts: $17 the agents given leads, in id order, $18
		 * how many each. The agents are reached through their primary key
		 * only (id = ANY): the rows locked in id order, then updated. $19:
		 * each lead's event payload, built in C (event_payload).
		 */

		plan_write = LeadgenKeepPlan(psprintf(
							   "WITH u AS ("
							   " SELECT * FROM unnest($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $19)"
							   "  AS u(id, payload, status, itype, state, dob, score, reasons, dup_of,"
							   "       email_norm, phone_norm, created_at, agent_id, attempt, broker_id, event)),"
							   " l AS ("
							   "  INSERT INTO " S ".leads (id, external_id, broker_id, source, status, insurance_type,"
							   "    first_name, last_name, email, phone, date_of_birth, zip_code, city, state,"
							   "    quality_score, details, rejection_reasons, duplicate_of, email_norm, phone_norm,"
							   "    created_at, processed_at)"
							   "  SELECT u.id, u.payload->>'external_id', u.broker_id, u.payload->>'source', u.status, u.itype,"
							   "    u.payload->>'first_name', u.payload->>'last_name', u.payload->>'email', u.payload->>'phone',"
							   "    u.dob, u.payload->>'zip_code', u.payload->>'city', u.state, u.score,"
							   "    u.payload - '%s'::text[],"
							   "    string_to_array(u.reasons, ','), u.dup_of, u.email_norm, u.phone_norm, u.created_at, $16"
							   "    FROM u RETURNING 1),"
							   " a AS ("
							   "  INSERT INTO " S ".lead_assignments (lead_id, lead_created_at, agent_id, status, assigned_at)"
							   "  SELECT u.id, u.created_at, u.agent_id, 'assigned', $16 FROM u WHERE u.agent_id IS NOT NULL"
							   "  RETURNING 1),"
							   " lk AS ("
							   "  SELECT x.id FROM " S ".agents x WHERE x.id = ANY ($17)"
							   "   ORDER BY x.id FOR NO KEY UPDATE),"
							   " g AS ("
							   "  UPDATE " S ".agents ag SET current_lead_count = ag.current_lead_count + c.n"
							   "    FROM unnest($17, $18) AS c(agent_id, n)"
							   "   WHERE ag.id = ANY ($17) AND ag.id = c.agent_id AND ag.is_active"
							   "     AND (SELECT count(*) FROM lk) >= 0"
							   "  RETURNING 1),"
							   " e AS ("
							   "  INSERT INTO " S ".events (entity_type, entity_id, type, source, payload, \"timestamp\")"
							   "  SELECT 'lead', u.id, 'lead.' || u.status, 'pipeline', u.event, $16"
							   "    FROM u RETURNING 1)"
							   " SELECT (SELECT count(*) FROM l), (SELECT count(*) FROM a), (SELECT count(*) FROM e),"
							   "        (SELECT count(*) FROM g),"
							   "        pg_notify('leadgen_changes', json_build_object('source', 'pipeline',"
							   "          'leads', (SELECT count(*) FROM l), 'agents', (SELECT count(*) FROM g))::text)",
							   LeadColumnKeys()), 19, t);
	}
}

/*
 * Settings some statements run with, for that statement only.
 *
 * by_key: statements that reach rows only by key (agents by id, the
 * leads and agents that foreign keys check) are kept on their indexes:
 * no sequential or bitmap scan, whatever the planner believes about the
 * tables' sizes. A plan made while a table looked empty (a fresh install,
 * a worker started right after a TRUNCATE) would otherwise read the whole
 * table for each key as it grows, and the agents table grows with every
 * batch until vacuumed (its count updates are not HOT).
 *
 * write_plans: the batch write, by key, with a generic plan for it and for
 * the foreign-key checks it fires (they were otherwise planned per row:
 * pruning at planning always makes the custom plan look cheaper).
 *
 * The duplicate probes and the agents' read are no statements: dupscan.c
 * and agentscan.c read their indexes themselves.
 */
static const char *const by_key[] = {"enable_seqscan", "off", "enable_bitmapscan", "off", NULL};
static const char *const write_plans[] = {"plan_cache_mode", "force_generic_plan",
"enable_seqscan", "off", "enable_bitmapscan", "off", NULL};

/*
 * execute_with
 *		SPI_execute_plan (read-write, all rows) with the settings (name,
 *		value pairs) in force while the plan is chosen and run, and the
 *		previous values back afterwards (on error, the transaction's abort
 *		restores them).
 */
static int
execute_with(SPIPlanPtr plan, Datum *args, const char *const *settings)
{
	int			level = NewGUCNestLevel();
	int			ret;

	for (int i = 0; settings[i] != NULL; i += 2)
		(void) set_config_option(settings[i], settings[i + 1], PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
	ret = SPI_execute_plan(plan, args, NULL, false, 0);
	AtEOXact_GUC(true, level);
	return ret;
}

/*
 * Carriers and weights
 */

static void
load_coverage(Coverage *cov)
{
	int			ret = SPI_execute_plan(plan_coverage, NULL, NULL, true, 0);

	if (ret != SPI_OK_SELECT)
		elog(ERROR, "carrier coverage query failed: %s", SPI_result_code_string(ret));
	cov->n = (int) SPI_processed;
	cov->keys = palloc(sizeof(char *) * Max(cov->n, 1));
	for (int i = 0; i < cov->n; i++)
		cov->keys[i] = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
	qsort(cov->keys, cov->n, sizeof(char *), pg_qsort_strcmp);
	SPI_freetuptable(SPI_tuptable);
}

/* The rules engine's STATE_NOT_SERVED question. */
static bool
state_served(void *arg, const char *state, const char *insurance_type)
{
	Coverage   *cov = (Coverage *) arg;
	char		key[32];
	char	   *k = key;

	snprintf(key, sizeof(key), "%s:%s", state, insurance_type);
	return bsearch(&k, cov->keys, cov->n, sizeof(char *), pg_qsort_strcmp) != NULL;
}

/*
 * load_weights
 *		The scoring weights from leadgen.scoring_weights; a component that
 *		is missing keeps its default, sources are "source:<name>" rows.
 */
static void
load_weights(LeadgenWeights *w)
{
	int			ret = SPI_execute_plan(plan_weights, NULL, NULL, true, 0);
	int			nsrc = 0;
	char	  **names;
	int		   *points;

	if (ret != SPI_OK_SELECT)
		elog(ERROR, "scoring weights query failed: %s", SPI_result_code_string(ret));
	*w = LeadgenDefaultWeights();
	names = palloc(sizeof(char *) * Max(SPI_processed, 1));
	points = palloc(sizeof(int) * Max(SPI_processed, 1));
	for (uint64 i = 0; i < SPI_processed; i++)
	{
		char	   *name = SPI_getvalue(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 1);
		bool		isnull;
		int			p = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[i], SPI_tuptable->tupdesc, 2, &isnull));

		if (strncmp(name, "source:", 7) == 0)
		{
			names[nsrc] = name + 7;
			points[nsrc] = p;
			nsrc++;
		}
		else if (strcmp(name, "base") == 0)
			w->base = p;
		else if (strcmp(name, "contact_both") == 0)
			w->contact_both = p;
		else if (strcmp(name, "contact_one") == 0)
			w->contact_one = p;
		else if (strcmp(name, "consent_24h") == 0)
			w->consent_24h = p;
		else if (strcmp(name, "consent_30d") == 0)
			w->consent_30d = p;
		else if (strcmp(name, "completeness") == 0)
			w->completeness = p;
		else if (strcmp(name, "cap") == 0)
			w->cap = p;
	}
	w->n_sources = nsrc;
	w->source_names = (const char *const *) names;
	w->source_points = points;
	SPI_freetuptable(SPI_tuptable);
}

/*
 * lock_candidates
 *		Lock the agents read (rows, in id order) for the rest of the
 *		transaction, in id order, through the primary key, and keep those
 *		that are still active with room, with their counts as locked.
 *		Returns how many are kept (rows is rewritten).
 */
static int
lock_candidates(AgentRow *rows, int nrows)
{
	Datum	   *ids = palloc(sizeof(Datum) * nrows);
	Datum		arg;
	int			ret;
	int			kept;

	for (int i = 0; i < nrows; i++)
		ids[i] = Int64GetDatum(rows[i].id);
	arg = LeadgenMakeArray(ids, NULL, nrows, INT8OID);
	ret = execute_with(plan_agents, &arg, by_key);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "locking agents failed: %s", SPI_result_code_string(ret));
	kept = (int) SPI_processed;
	for (int i = 0; i < kept; i++)
	{
		HeapTuple	tup = SPI_tuptable->vals[i];
		TupleDesc	desc = SPI_tuptable->tupdesc;
		bool		isnull;
		Datum		specs;

		rows[i].id = DatumGetInt64(SPI_getbinval(tup, desc, 1, &isnull));
		strlcpy(rows[i].state, SPI_getvalue(tup, desc, 2), sizeof(rows[i].state));
		specs = SPI_getbinval(tup, desc, 3, &isnull);
		rows[i].specializations = isnull ? (Datum) 0 : PointerGetDatum(PG_DETOAST_DATUM_COPY(specs));
		rows[i].count = DatumGetInt32(SPI_getbinval(tup, desc, 4, &isnull));
		rows[i].max = DatumGetInt32(SPI_getbinval(tup, desc, 5, &isnull));
		rows[i].rating = DatumGetFloat8(SPI_getbinval(tup, desc, 6, &isnull));
	}
	SPI_freetuptable(SPI_tuptable);
	return kept;
}

/*
 * assign_agents
 *		Give each eligible, non-duplicate lead an agent when one has room.
 *
 * Optimistic (lock false): the agents are read without locks and the
 * write statement locks them (in id order, as every batch does) and
 * updates their counts last, so that a batch holds agent locks only from
 * the end of its write to its commit, and two workers overlap their work. The counts are checked when written: the table's
 * capacity check, and an agent deactivated meanwhile; either sends the
 * batch back to be redone with locks.
 *
 * Locking (lock true): the candidate agents are locked in id order for the
 * rest of the transaction, so their counts cannot move under us, and
 * concurrent batches lock them in the same order.
 *
 * prior[0..nprior): leads of this batch given agents earlier (the batch
 * was split, see process), whose counts are not written yet: they count.
 */
static void
assign_agents(Lead *leads, int n, bool lock, const Lead *prior, int nprior)
{
	const char **state_names = palloc(sizeof(char *) * n);
	int			nstates = 0;
	AgentRow   *rows;
	int			nagents;
	AssignAgent *agents;

	for (int i = 0; i < n; i++)
	{
		bool		seen = false;

		if (leads[i].v.n_reasons > 0 || leads[i].has_dup)
			continue;
		for (int j = 0; j < nstates && !seen; j++)
			seen = strcmp(state_names[j], leads[i].v.norm_state) == 0;
		if (!seen)
			state_names[nstates++] = leads[i].v.norm_state;
	}
	if (nstates == 0)
		return;

	rows = AgentScanByStates(state_names, nstates, &nagents);
	if (lock && nagents > 0)
		nagents = lock_candidates(rows, nagents);
	agents = AssignAgentsOf(rows, nagents);
	for (int p = 0; p < nprior; p++)
	{
		for (int k = 0; k < nagents && prior[p].has_agent; k++)
		{
			if (agents[k].rank.id == prior[p].agent_id)
			{
				agents[k].rank.count++;
				break;
			}
		}
	}
	for (int i = 0; i < n; i++)
	{
		Lead	   *l = &leads[i];
		AssignAgent *best;

		if (l->v.n_reasons > 0 || l->has_dup)
			continue;
		best = AssignPick(agents, nagents, l->v.norm_state, l->v.norm_insurance_type);
		if (best != NULL)
		{
			best->rank.count++;
			l->has_agent = true;
			l->agent_id = best->rank.id;
		}
	}
}

static int
cmp_int64(const void *a, const void *b)
{
	int64		x = *(const int64 *) a;
	int64		y = *(const int64 *) b;

	return x < y ? -1 : x > y ? 1 : 0;
}

/*
 * count_agents
 *		The agents given leads in this batch, in id order (*ids, bigint[]),
 *		and how many leads each (*counts, int[]).
 */
static int
count_agents(const Lead *leads, int n, Datum *ids, Datum *counts)
{
	int64	   *given = palloc(sizeof(int64) * Max(n, 1));
	Datum	   *idv = palloc(sizeof(Datum) * Max(n, 1));
	Datum	   *cv = palloc(sizeof(Datum) * Max(n, 1));
	int			ng = 0;
	int			m = 0;

	for (int i = 0; i < n; i++)
		if (leads[i].has_agent)
			given[ng++] = leads[i].agent_id;
	qsort(given, ng, sizeof(int64), cmp_int64);
	for (int i = 0; i < ng; i++)
	{
		if (m > 0 && DatumGetInt64(idv[m - 1]) == given[i])
		{
			cv[m - 1] = Int32GetDatum(DatumGetInt32(cv[m - 1]) + 1);
			continue;
		}
		idv[m] = Int64GetDatum(given[i]);
		cv[m] = Int32GetDatum(1);
		m++;
	}
	*ids = LeadgenMakeArray(idv, NULL, m, INT8OID);
	*counts = LeadgenMakeArray(cv, NULL, m, INT4OID);
	return m;
}

/* pushJsonbValue helpers for event_payload: a string (key, value or element) */
static void
push_string(JsonbParseState **st, JsonbIteratorToken token, const char *str)
{
	JsonbValue	v;

	v.type = jbvString;
	v.val.string.val = (char *) str;
	v.val.string.len = strlen(str);
	pushJsonbValue(st, token, &v);
}

static void
push_number(JsonbParseState **st, const char *key, int64 n)
{
	JsonbValue	v;

	push_string(st, WJB_KEY, key);
	v.type = jbvNumeric;
	v.val.numeric = int64_to_numeric(n);
	pushJsonbValue(st, WJB_VALUE, &v);
}

/*
 * event_payload
 *		The payload of a processed lead's event: status, quality_score,
 *		rejection_reasons (when rejected), agent_id, duplicate_of (when
 *		set) and attempt. Built here rather than by jsonb_build_object in
 *		the write (3.5 us a lead there: a quarter of the write's own work
 *		besides the rows).
 */
static Jsonb *
event_payload(const Lead *l, int32 score)
{
	JsonbParseState *st = NULL;
	JsonbValue *res;

	pushJsonbValue(&st, WJB_BEGIN_OBJECT, NULL);
	push_string(&st, WJB_KEY, "status");
	push_string(&st, WJB_VALUE, l->status);
	push_number(&st, "quality_score", score);
	if (l->v.n_reasons > 0)
	{
		push_string(&st, WJB_KEY, "rejection_reasons");
		pushJsonbValue(&st, WJB_BEGIN_ARRAY, NULL);
		for (int k = 0; k < l->v.n_reasons; k++)
			push_string(&st, WJB_ELEM, l->v.codes[k]);
		pushJsonbValue(&st, WJB_END_ARRAY, NULL);
	}
	if (l->has_agent)
		push_number(&st, "agent_id", l->agent_id);
	if (l->has_dup)
		push_number(&st, "duplicate_of", l->dup_of);
	push_number(&st, "attempt", l->attempts + 1);
	res = pushJsonbValue(&st, WJB_END_OBJECT, NULL);
	return JsonbValueToJsonb(res);
}

/*
 * write_leads
 *		Write the batch: leads, assignments, events, agents' counts (last,
 *		so that their row locks are taken as late as possible) and the
 *		notification, in one statement. The counts raised are those of the
 *		agents of counted[0..ncounted) (the batch, or nothing when the
 *		batch is written in two parts and this is the first). An agent
 *		deactivated meanwhile sends the batch back (serialization failure).
 */
static void
write_leads(Lead *leads, int n, TimestampTz processed_at, const Lead *counted, int ncounted)
{
	int64		agents_updated;
	int			agents_given;
	bool		isnull;
	Datum	   *cols[16];
	bool	   *nulls[16];
	Datum		args[19];
	static const Oid elemtypes[16] = {INT8OID, JSONBOID, TEXTOID, TEXTOID, TEXTOID, DATEOID, INT4OID,
		TEXTOID, INT8OID, TEXTOID, TEXTOID, TIMESTAMPTZOID, INT8OID, INT4OID, INT8OID, JSONBOID};
	int			ret;

	for (int c = 0; c < 16; c++)
	{
		cols[c] = palloc(sizeof(Datum) * n);
		nulls[c] = palloc0(sizeof(bool) * n);
	}

	for (int i = 0; i < n; i++)
	{
		Lead	   *l = &leads[i];
		StringInfoData reasons;

		initStringInfo(&reasons);
		for (int k = 0; k < l->v.n_reasons; k++)
		{
			if (k > 0)
				appendStringInfoChar(&reasons, ',');
			appendStringInfoString(&reasons, l->v.codes[k]);
		}

		cols[0][i] = Int64GetDatum(l->id);
		cols[1][i] = JsonbPGetDatum(l->payload);
		cols[2][i] = CStringGetTextDatum(l->status);
		/* type and state: normalized when valid, as submitted otherwise */
		if (l->v.norm_insurance_type[0])
			cols[3][i] = CStringGetTextDatum(l->v.norm_insurance_type);
		else if (l->in.insurance_type)
			cols[3][i] = CStringGetTextDatum(l->in.insurance_type);
		else
			nulls[3][i] = true;
		if (l->v.norm_state[0])
			cols[4][i] = CStringGetTextDatum(l->v.norm_state);
		else if (l->in.state)
			cols[4][i] = CStringGetTextDatum(l->in.state);
		else
			nulls[4][i] = true;
		if (l->v.dob_valid)
			cols[5][i] = DateADTGetDatum(date2j(l->v.dob_year, l->v.dob_month, l->v.dob_day) -
										 POSTGRES_EPOCH_JDATE);
		else
			nulls[5][i] = true;
		cols[6][i] = Int32GetDatum(l->v.n_reasons > 0 || l->has_dup ? 0 : l->v.score);
		cols[7][i] = CStringGetTextDatum(reasons.data);
		cols[8][i] = Int64GetDatum(l->dup_of);
		nulls[8][i] = !l->has_dup;
		if (l->v.norm_email[0])
			cols[9][i] = CStringGetTextDatum(l->v.norm_email);
		else
			nulls[9][i] = true;
		if (l->v.norm_phone[0])
			cols[10][i] = CStringGetTextDatum(l->v.norm_phone);
		else
			nulls[10][i] = true;
		cols[11][i] = TimestampTzGetDatum(l->enqueued_at);
		cols[12][i] = Int64GetDatum(l->agent_id);
		nulls[12][i] = !l->has_agent;
		cols[13][i] = Int32GetDatum(l->attempts + 1);
		cols[14][i] = Int64GetDatum(l->broker_id);
		nulls[14][i] = !l->has_broker;
		cols[15][i] = JsonbPGetDatum(event_payload(l, DatumGetInt32(cols[6][i])));
	}

	for (int c = 0; c < 15; c++)
		args[c] = LeadgenMakeArray(cols[c], nulls[c], n, elemtypes[c]);
	args[18] = LeadgenMakeArray(cols[15], nulls[15], n, elemtypes[15]);
	args[15] = TimestampTzGetDatum(processed_at);
	agents_given = count_agents(counted, ncounted, &args[16], &args[17]);

	/*
	 * Generic plans for the write and the foreign-key checks it fires: ~100
	 * assignments a batch, each checked against the partitioned leads
	 * table by a cached query that the plan cache would otherwise plan
	 * afresh for every row (pruning at planning always makes the custom
	 * plan look cheaper).
	 */
	ret = execute_with(plan_write, args, write_plans);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "writing processed leads failed: %s", SPI_result_code_string(ret));
	agents_updated = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 4, &isnull));
	SPI_freetuptable(SPI_tuptable);
	if (agents_updated != agents_given)
		ereport(ERROR,
				(errcode(ERRCODE_T_R_SERIALIZATION_FAILURE),
				 errmsg(AGENT_DEACTIVATED_MSG)));
}

/*
 * judge_and_write
 *		Find the duplicates among leads[0..n), give agents to the others
 *		(counting the agents of prior[0..nprior), given earlier in the batch
 *		and not written yet), set the statuses and write the leads, raising
 *		the counts of the agents of counted[0..ncounted). Returns the time
 *		they were processed.
 */
static TimestampTz
judge_and_write(Lead *leads, int n, bool lock_agents, const Lead *prior, int nprior,
				const Lead *counted, int ncounted)
{
	TimestampTz processed_at;

	DuplicatesFind(leads, n);
	assign_agents(leads, n, lock_agents, prior, nprior);
	for (int i = 0; i < n; i++)
	{
		Lead	   *l = &leads[i];

		if (l->v.n_reasons > 0)
			l->status = "rejected";
		else if (l->has_dup)
			l->status = "duplicate";
		else if (l->has_agent)
			l->status = "assigned";
		else
			l->status = "qualified";
	}
	processed_at = GetCurrentTimestamp();
	write_leads(leads, n, processed_at, counted, ncounted);
	return processed_at;
}

/*
 * sample_latency
 *		Record how long leads[0..n) waited and took, for the queue's figures.
 */
static void
sample_latency(const Lead *leads, int n, TimestampTz now, TimestampTz processed_at, PipelineResult *res)
{
	for (int i = 0; i < n && res->nsamples < res->capacity; i++)
	{
		res->wait_us[res->nsamples] = now - leads[i].enqueued_at;
		res->proc_us[res->nsamples] = processed_at - leads[i].enqueued_at;
		res->nsamples++;
	}
}

/*
 * judge_parts
 *		Judge and write the batch's leads: whole, or in two parts when some
 *		of them wait for a running batch.
 */
static void
judge_parts(Lead *leads, int n, int nwait, bool lock_agents, TimestampTz now, PipelineResult *res)
{
	/*
	 * Leads sharing a contact key with a batch still running are judged
	 * after its commit. With agents locked (a redo), or when every lead
	 * waits, the batch waits first and is written whole.
	 */
	if (nwait > 0 && (lock_agents || nwait == n))
	{
		DuplicatesWait();
		nwait = 0;
	}
	if (nwait == 0)
		sample_latency(leads, n, now,
					   judge_and_write(leads, n, lock_agents, NULL, 0, leads, n), res);
	else
	{
		/*
		 * Written in two parts, each in claim order: first the leads that
		 * share no key with a running batch nor with a waiting lead (their
		 * agents' counts are raised with the second part, so that this
		 * batch takes no agent lock while it waits: the batch it waits
		 * for raises counts too), then, after the wait, the others.
		 */
		Lead	   *order = palloc(sizeof(Lead) * n);
		int			nfree = 0;
		TimestampTz t;

		for (int i = 0; i < n; i++)
			if (!leads[i].waits)
				order[nfree++] = leads[i];
		for (int i = 0, k = nfree; i < n; i++)
			if (leads[i].waits)
				order[k++] = leads[i];

		t = judge_and_write(order, nfree, false, NULL, 0, NULL, 0);
		sample_latency(order, nfree, now, t, res);
		DuplicatesWait();
		t = judge_and_write(order + nfree, n - nfree, false, order, nfree, order, n);
		sample_latency(order + nfree, n - nfree, now, t, res);
	}
}

/*
 * judge_batch
 *		Judge and write the batch (judge_parts). The optimistic assignment
 *		(lock_agents false) runs in a subtransaction: when it meets a
 *		concurrent change of an agent, its writes are undone and the batch
 *		is judged again with its agents locked, keeping its claim and its
 *		contact keys. Releasing the keys between the two tries (the batch's
 *		own subtransaction rolled back, its rows claimed again) let a batch
 *		that passed the gate meanwhile judge its later leads without this
 *		batch's earlier ones: 4 duplicates missed in a full run of shape 6.
 */
static void
judge_batch(Lead *leads, int n, int nwait, bool lock_agents, TimestampTz now, PipelineResult *res)
{
	MemoryContext cxt = CurrentMemoryContext;
	ResourceOwner owner = CurrentResourceOwner;
	ErrorData  *edata = NULL;
	int			nsamples = res->nsamples;

	if (lock_agents)
	{
		judge_parts(leads, n, nwait, true, now, res);
		return;
	}
	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(cxt);
	PG_TRY();
	{
		judge_parts(leads, n, nwait, false, now, res);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(cxt);
		CurrentResourceOwner = owner;
		if (!is_agent_conflict(edata))
			ReThrowError(edata);
	}
	PG_END_TRY();
	if (edata == NULL)
		return;

	/* again, from the rules' verdicts, with the agents locked */
	res->nsamples = nsamples;
	for (int i = 0; i < n; i++)
	{
		leads[i].has_dup = false;
		leads[i].dup_of = 0;
		leads[i].has_agent = false;
		leads[i].agent_id = 0;
	}
	judge_parts(leads, n, nwait, true, now, res);
}

/*
 * process
 *		Claim and process one batch (or the row one_id). Returns the number
 *		of leads written. The ids claimed are copied to *ids (allocated in
 *		keep_cxt) before anything else can fail.
 */
static int
process(int batch_size, int64 one_id, bool lock_agents, TimestampTz now, MemoryContext keep_cxt,
		int64 **ids, int *nids, PipelineResult *res)
{
	int			n;
	int			nwait;
	Lead	   *leads;
	Coverage	cov;
	LeadgenWeights weights;
	int64		now_us = now + UNIX_EPOCH_OFFSET_US;

	/*
	 * Carriers and weights are read before the gate, to keep what it
	 * serializes short: the claim, the rules (C) and the key locks.
	 */
	load_coverage(&cov);
	load_weights(&weights);

	DuplicatesGateAcquire();
	leads = Claim(batch_size, one_id, now, &n);
	*ids = MemoryContextAlloc(keep_cxt, sizeof(int64) * Max(n, 1));
	for (int i = 0; i < n; i++)
		(*ids)[i] = leads[i].id;
	*nids = n;
	if (n == 0)
	{
		DuplicatesGateRelease();
		return 0;
	}

	for (int i = 0; i < n; i++)
	{
		LeadRead(leads[i].payload, &leads[i].in);
		LeadgenValidate(&leads[i].in, now_us, state_served, &cov, &weights, &leads[i].v);
	}
	nwait = DuplicatesLockKeys(leads, n);
	DuplicatesGateRelease();

	judge_batch(leads, n, nwait, lock_agents, now, res);
	return n;
}

/*
 * must_rethrow
 *		Errors that are not the row's doing: a cancel request or a shutdown.
 *		They end the batch instead of being charged to a row.
 */
static bool
must_rethrow(ErrorData *edata)
{
	return ERRCODE_TO_CATEGORY(edata->sqlerrcode) ==
		ERRCODE_TO_CATEGORY(ERRCODE_QUERY_CANCELED) ||
		edata->elevel > ERROR;
}

/*
 * run_in_subxact
 *		Run process() (or FailureRecord()) in a subtransaction. Returns
 *		NULL on success, or the error (allocated in keep_cxt) after rolling
 *		the subtransaction back. Cancels and shutdowns are re-thrown.
 */
typedef struct SubxactCall
{
	int			batch_size;
	int64		one_id;
	bool		lock_agents;
	TimestampTz now;
	MemoryContext keep_cxt;
	int64	   *ids;
	int			nids;
	int			processed;
	ErrorData  *failure;		/* for FailureRecord */
	PipelineResult *res;
} SubxactCall;

static ErrorData *
run_in_subxact(SubxactCall *call)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	ErrorData  *volatile edata = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		if (call->failure != NULL)
			FailureRecord(call->one_id, call->failure, call->res);
		else
			call->processed = process(call->batch_size, call->one_id, call->lock_agents, call->now,
									  call->keep_cxt, &call->ids, &call->nids, call->res);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		MemoryContextSwitchTo(call->keep_cxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		DuplicatesGateRelease();
		/* the rows claimed are back in the queue, behind the claim's end */
		ClaimForgetEnd();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		if (must_rethrow(edata))
			ReThrowError(edata);
	}
	PG_END_TRY();
	return edata;
}

/*
 * is_agent_conflict
 *		Whether a batch failed because an agent's count or state moved
 *		under its optimistic assignment, or on a deadlock (which only the
 *		batch's concurrency, not one of its rows, can cause).
 */
static bool
is_agent_conflict(ErrorData *edata)
{
	return (edata->sqlerrcode == ERRCODE_CHECK_VIOLATION &&
			edata->constraint_name != NULL &&
			strcmp(edata->constraint_name, "agents_capacity_check") == 0) ||
		(edata->sqlerrcode == ERRCODE_T_R_SERIALIZATION_FAILURE &&
		 edata->message != NULL && strcmp(edata->message, AGENT_DEACTIVATED_MSG) == 0) ||
		edata->sqlerrcode == ERRCODE_T_R_DEADLOCK_DETECTED;
}

/*
 * PipelineRunBatch
 *		Process one batch of the "leads" queue in the caller's transaction:
 *		claim, validate, score, assign, write; on failure isolate the
 *		failing rows and charge them. Returns the number of pending rows
 *		the batch took (0: nothing was due). The caller holds a transaction,
 *		is connected to SPI, and provides result arrays of at least
 *		batch_size entries.
 */
int
PipelineRunBatch(int batch_size, PipelineResult *res)
{
	MemoryContext keep_cxt = AllocSetContextCreate(CurrentMemoryContext,
												   "pg_leadgen batch",
												   ALLOCSET_DEFAULT_SIZES);
	MemoryContext oldcxt = MemoryContextSwitchTo(keep_cxt);
	SubxactCall call;
	ErrorData  *edata;
	int			claimed;

	prepare_plans();
	ClaimPrepare();
	PipelineResetActive();
	res->claimed = res->processed = res->retried = res->dead = 0;
	res->nsamples = 0;

	memset(&call, 0, sizeof(call));
	call.batch_size = batch_size;
	call.now = GetCurrentTimestamp();
	call.keep_cxt = keep_cxt;
	call.res = res;
	res->now_unix_s = (call.now + UNIX_EPOCH_OFFSET_US) / USECS_PER_SEC;

	edata = run_in_subxact(&call);

	claimed = call.nids;
	res->claimed = claimed;
	if (edata == NULL)
		res->processed = call.processed;
	else if (claimed == 0)
	{
		/* The claim itself failed: nothing to charge; report and go on. */
		ereport(WARNING,
				(errcode(edata->sqlerrcode),
				 errmsg("pg_leadgen could not claim pending leads: %s", edata->message)));
	}
	else
	{
		int64	   *ids = call.ids;
		ErrorData  *batch_error = edata;

		if (claimed > 1)
			ereport(LOG,
					(errmsg("pg_leadgen batch of %d leads failed, retrying them one by one: %s",
							claimed, batch_error->message)));
		res->nsamples = 0;
		for (int i = 0; i < claimed; i++)
		{
			SubxactCall one;
			ErrorData  *row_error;

			if (claimed == 1)
				row_error = batch_error;
			else
			{
				memset(&one, 0, sizeof(one));
				one.batch_size = 1;
				one.one_id = ids[i];
				one.lock_agents = true;
				one.now = call.now;
				one.keep_cxt = keep_cxt;
				one.res = res;
				row_error = run_in_subxact(&one);
				if (row_error == NULL)
				{
					res->processed += one.processed;
					continue;
				}
			}

			memset(&one, 0, sizeof(one));
			one.one_id = ids[i];
			one.keep_cxt = keep_cxt;
			one.failure = row_error;
			one.res = res;
			if (run_in_subxact(&one) != NULL)
				ereport(WARNING,
						(errmsg("pg_leadgen could not record the failure of lead %lld: %s",
								(long long) ids[i], row_error->message)));
		}
	}

	PipelineResetActive();
	MemoryContextSwitchTo(oldcxt);
	MemoryContextDelete(keep_cxt);
	return claimed;
}

/*
 * PipelineResetActive
 *		Take this process's leads out of the "active" gauge (its batch ended,
 *		or failed past our error handling).
 */
void
PipelineResetActive(void)
{
	ClaimResetActive();
}
