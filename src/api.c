/*-------------------------------------------------------------------------
 *
 * api.c
 *		SQL-callable functions of pg_leadgen. Wrappers stay thin: they
 *		check and convert arguments and call the module that does the work.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/api.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"
#include "utils/syscache.h"
#include "utils/timestamp.h"

#include "archive.h"
#include "assign.h"
#include "listpage.h"
#include "listroute.h"
#include "perf.h"
#include "pg_leadgen.h"
#include "pipeline.h"
#include "queue.h"
#include "replication.h"
#include "scheduler.h"
#include "security.h"
#include "shmem.h"
#include "spiutil.h"
#include "submit.h"

PG_FUNCTION_INFO_V1(pg_leadgen_preloaded);
PG_FUNCTION_INFO_V1(pg_leadgen_worker_database);

/*
 * pg_leadgen_preloaded
 *		Whether this server loaded pg_leadgen through
 *		shared_preload_libraries, so that its workers run: only then does
 *		it have its shared block.
 */
Datum
pg_leadgen_preloaded(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(ShmemAttached());
}

/*
 * pg_leadgen_worker_database
 *		The database the workers serve (leadgen.database).
 */
Datum
pg_leadgen_worker_database(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(cstring_to_text(leadgen_database ? leadgen_database : ""));
}

/*---- submission ----*/

PG_FUNCTION_INFO_V1(pg_leadgen_lead_check);
PG_FUNCTION_INFO_V1(pg_leadgen_lead_enqueue);
PG_FUNCTION_INFO_V1(pg_leadgen_lead_submit_batch);
PG_FUNCTION_INFO_V1(pg_leadgen_lead_submit_batch_scoped);

/*
 * raise_problems
 *		The error of a refused payload: SQLSTATE 22023, every problem in the
 *		detail, a line each.
 */
static void
raise_problems(List *problems)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("invalid lead payload"),
			 errdetail("%s", SubmitProblemsText(problems)),
			 errhint("A lead is a JSON object whose known keys carry their JSON types; "
					 "leadgen.lead_check(payload) lists what is wrong.")));
}

/* The problems of a payload as a JSON array of strings. */
static void
append_problems_json(StringInfo buf, List *problems)
{
	ListCell   *lc;

	appendStringInfoChar(buf, '[');
	foreach(lc, problems)
	{
		if (foreach_current_index(lc) > 0)
			appendStringInfoString(buf, ", ");
		escape_json(buf, (char *) lfirst(lc));
	}
	appendStringInfoChar(buf, ']');
}

/*
 * raise_refusal
 *		The error of a payload naming a broker outside the caller's scope:
 *		SQLSTATE 42501.
 */
static void
raise_refusal(const char *refusal)
{
	ereport(ERROR,
			(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
			 errmsg("this role may not submit leads of that broker"),
			 errdetail("%s", refusal),
			 errhint("A role submits the leads of the broker leadgen.broker_roles binds it to; "
					 "leave broker_id out and the lead gets that broker.")));
}

/*
 * submit_one
 *		Check one payload, within the brokers the calling role may submit
 *		for (raising its problems or the refusal), and enqueue it.
 */
static int64
submit_one(Jsonb *payload, int32 priority, bool *created)
{
	SubmitKeys	keys;
	SubmitScope scope;
	List	   *problems;
	char	   *refusal = NULL;
	int64		id;
	int			guc_level;

	guc_level = LeadgenSPIConnect();
	SubmitScopeOfRole(GetOuterUserId(), &scope);
	problems = SubmitCheckScoped(&payload, &keys, &scope, &refusal);
	if (problems != NIL)
		raise_problems(problems);
	if (refusal != NULL)
		raise_refusal(refusal);
	id = SubmitEnqueue(payload, &keys, priority, created);
	LeadgenSPIFinish(guc_level);
	return id;
}

/*
 * pg_leadgen_lead_check
 *		The schema problems of a payload, as text[] (empty when it would be
 *		accepted), the calling role's broker scope included.
 */
Datum
pg_leadgen_lead_check(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	SubmitKeys	keys;
	SubmitScope scope;
	List	   *problems;
	char	   *refusal = NULL;
	Datum	   *elems;
	int			n = 0;
	ListCell   *lc;
	MemoryContext caller = CurrentMemoryContext;
	ArrayType  *result;
	int			guc_level;

	guc_level = LeadgenSPIConnect();
	SubmitScopeOfRole(GetOuterUserId(), &scope);
	problems = SubmitCheckScoped(&payload, &keys, &scope, &refusal);
	if (refusal != NULL)
		problems = lappend(problems, refusal);

	/* the answer in the caller's memory: SPI_finish frees the problems */
	MemoryContextSwitchTo(caller);
	elems = palloc(sizeof(Datum) * Max(list_length(problems), 1));
	foreach(lc, problems)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	result = construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT);
	LeadgenSPIFinish(guc_level);
	PG_RETURN_ARRAYTYPE_P(result);
}

/*
 * pg_leadgen_lead_enqueue
 *		lead_enqueue(payload jsonb, priority int, OUT id bigint, OUT created
 *		boolean): check and enqueue one lead; created is false when the
 *		(broker, external_id) was submitted before and the original id is
 *		returned. lead_submit() is this function's id alone.
 */
Datum
pg_leadgen_lead_enqueue(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	int32		priority = PG_GETARG_INT32(1);
	int64		id;
	bool		created;
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	id = submit_one(payload, priority, &created);

	values[0] = Int64GetDatum(id);
	values[1] = BoolGetDatum(created);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

/*
 * submit_batch
 *		Check and enqueue every element of a JSON array of leads, within
 *		scope. Invalid elements and elements outside the scope are
 *		reported, valid ones accepted. Returns {"accepted": n, "rejected":
 *		n, "existing": n, "ids": [id or null, per element], "errors":
 *		[{"index": i, "problems": [...]}]} (index from 0; existing counts
 *		repeated external_ids, which are accepted with their original id),
 *		allocated in result_cxt. Caller is connected to SPI.
 */
static Datum
submit_batch(Jsonb *payloads, int32 priority, const SubmitScope *scope, MemoryContext result_cxt)
{
	Datum		result;
	MemoryContext old;
	int			n;
	int			accepted = 0,
				rejected = 0,
				existing = 0;
	StringInfoData ids;
	StringInfoData errors;
	StringInfoData out;

	if (!JB_ROOT_IS_ARRAY(payloads) || JB_ROOT_IS_SCALAR(payloads))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("lead_submit_batch expects a JSON array of leads"),
				 errhint("Pass [{...}, {...}]; for one lead use leadgen.lead_submit().")));

	n = JsonContainerSize(&payloads->root);
	initStringInfo(&ids);
	initStringInfo(&errors);
	for (int i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(&payloads->root, i);
		Jsonb	   *item = JsonbValueToJsonb(v);
		SubmitKeys	keys;
		char	   *refusal = NULL;
		List	   *problems = SubmitCheckScoped(&item, &keys, scope, &refusal);

		if (refusal != NULL)
			problems = lappend(problems, refusal);
		if (i > 0)
			appendStringInfoString(&ids, ", ");
		if (problems != NIL)
		{
			rejected++;
			appendStringInfoString(&ids, "null");
			appendStringInfo(&errors, "%s{\"index\": %d, \"problems\": ", errors.len ? ", " : "", i);
			append_problems_json(&errors, problems);
			appendStringInfoChar(&errors, '}');
		}
		else
		{
			bool		created;
			int64		id = SubmitEnqueue(item, &keys, priority, &created);

			accepted++;
			if (!created)
				existing++;
			appendStringInfo(&ids, INT64_FORMAT, id);
		}
	}

	initStringInfo(&out);
	appendStringInfo(&out, "{\"accepted\": %d, \"rejected\": %d, \"existing\": %d, \"ids\": [%s], \"errors\": [%s]}",
					 accepted, rejected, existing, ids.data, errors.data);
	old = MemoryContextSwitchTo(result_cxt);
	result = DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data));
	MemoryContextSwitchTo(old);
	return result;
}

/*
 * pg_leadgen_lead_submit_batch
 *		lead_submit_batch(payloads jsonb, priority int) -> jsonb: a batch
 *		within the brokers the calling role may submit for.
 */
Datum
pg_leadgen_lead_submit_batch(PG_FUNCTION_ARGS)
{
	Jsonb	   *payloads = PG_GETARG_JSONB_P(0);
	int32		priority = PG_GETARG_INT32(1);
	MemoryContext caller = CurrentMemoryContext;
	SubmitScope scope;
	Datum		result;
	int			guc_level;

	guc_level = LeadgenSPIConnect();
	SubmitScopeOfRole(GetOuterUserId(), &scope);
	result = submit_batch(payloads, priority, &scope, caller);
	LeadgenSPIFinish(guc_level);
	PG_RETURN_DATUM(result);
}

/*
 * pg_leadgen_lead_submit_batch_scoped
 *		lead_submit_batch_scoped(payloads jsonb, priority int, broker
 *		bigint) -> jsonb: a batch within one broker, or any broker when
 *		broker is NULL, whoever calls: for the REST gateway's batches,
 *		scoped by API key (api_leads_batch()). Not STRICT.
 */
Datum
pg_leadgen_lead_submit_batch_scoped(PG_FUNCTION_ARGS)
{
	SubmitScope scope;
	Datum		result;
	MemoryContext caller = CurrentMemoryContext;
	int			guc_level;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	scope.kind = PG_ARGISNULL(2) ? SUBMIT_SCOPE_ANY : SUBMIT_SCOPE_BROKER;
	scope.broker_id = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2);
	scope.role = InvalidOid;
	guc_level = LeadgenSPIConnect();
	result = submit_batch(PG_GETARG_JSONB_P(0), PG_GETARG_INT32(1), &scope, caller);
	LeadgenSPIFinish(guc_level);
	PG_RETURN_DATUM(result);
}

/*---- submission over REST ----*/

PG_FUNCTION_INFO_V1(pg_leadgen_api_lead_submit);
PG_FUNCTION_INFO_V1(pg_leadgen_api_lead_submit_many);

static SPIPlanPtr plan_lead_state = NULL;

/* {"error": {"code": ..., "message": ..., "details": <details_json>}} */
static char *
api_error(const char *code, const char *message, const char *details_json)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoString(&b, "{\"error\": {\"code\": ");
	escape_json(&b, code);
	appendStringInfoString(&b, ", \"message\": ");
	escape_json(&b, message);
	appendStringInfo(&b, ", \"details\": %s}}", details_json);
	return b.data;
}

/* The state of a lead submitted before: its status, or dead, or pending. */
static const char *
api_lead_state(int64 id)
{
	Datum		arg = Int64GetDatum(id);
	const char *state;
	int			ret;

	if (plan_lead_state == NULL)
	{
		Oid			t[1] = {INT8OID};

		plan_lead_state = LeadgenKeepPlan(
										  "SELECT coalesce((SELECT l.status FROM " LEADGEN_SCHEMA_NAME ".leads l WHERE l.id = $1),"
										  " CASE WHEN EXISTS (SELECT 1 FROM " LEADGEN_SCHEMA_NAME ".leads_dead_letter d"
										  "                    WHERE d.id = $1) THEN 'dead' ELSE 'pending' END)",
										  1, t);
	}
	ret = SPI_execute_plan(plan_lead_state, &arg, NULL, true, 1);
	if (ret != SPI_OK_SELECT || SPI_processed != 1)
		elog(ERROR, "lead state lookup failed: %s", SPI_result_code_string(ret));
	state = SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1);
	SPI_freetuptable(SPI_tuptable);
	return state;
}

/*
 * api_submit
 *		The answer of POST /api/v1/leads for one payload: 422 with the
 *		schema problems, 403 when a broker-scoped key names another broker,
 *		202 {"id", "status": "pending"} when enqueued, 200 with the lead's
 *		state when (broker, external_id) was submitted before. A scoped key's
 *		broker is written into the payload. Caller is connected to SPI.
 */
static char *
api_submit(Jsonb *payload, bool scoped, int64 scope_broker, int *status)
{
	SubmitKeys	keys;
	List	   *problems = SubmitCheck(payload, &keys);
	char	   *problem;
	bool		created;
	int64		id;

	if (problems == NIL && scoped && !keys.has_broker)
	{
		payload = SubmitWithBroker(payload, scope_broker);
		/* the rest was checked: only the key's broker is new */
		keys.has_broker = true;
		keys.broker_id = scope_broker;
		if ((problem = SubmitBrokerProblem(scope_broker)) != NULL)
			problems = list_make1(problem);
	}
	if (problems != NIL)
	{
		StringInfoData d;

		initStringInfo(&d);
		append_problems_json(&d, problems);
		*status = 422;
		return api_error("invalid_lead", "The lead does not pass the schema check.", d.data);
	}
	if (scoped && keys.broker_id != scope_broker)
	{
		*status = 403;
		return api_error("forbidden", "This API key submits leads of its own broker only.",
						 psprintf("{\"broker_id\": " INT64_FORMAT "}", scope_broker));
	}
	id = SubmitEnqueue(payload, &keys, 0, &created);
	*status = created ? 202 : 200;
	return psprintf("{\"id\": " INT64_FORMAT ", \"status\": \"%s\"}", id,
					created ? "pending" : api_lead_state(id));
}

/*
 * pg_leadgen_api_lead_submit
 *		api_lead_submit(payload jsonb, scope_broker bigint, OUT status int,
 *		OUT body text): one lead over REST.
 */
Datum
pg_leadgen_api_lead_submit(PG_FUNCTION_ARGS)
{
	TupleDesc	tupdesc;
	Datum		values[2];
	bool		nulls[2] = {false, false};
	int			status;
	HeapTupleHeader result;
	int			guc_level;

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("the lead payload must not be null"),
				 errhint("Pass the lead as a JSON object.")));

	guc_level = LeadgenSPIConnect();
	values[1] = CStringGetTextDatum(api_submit(PG_GETARG_JSONB_P(0), !PG_ARGISNULL(1),
											   PG_ARGISNULL(1) ? 0 : PG_GETARG_INT64(1), &status));
	values[0] = Int32GetDatum(status);
	/* the row, copied out of SPI's memory before SPI_finish frees it */
	result = SPI_returntuple(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls), tupdesc);
	LeadgenSPIFinish(guc_level);
	PG_RETURN_DATUM(HeapTupleHeaderGetDatum(result));
}

/*
 * pg_leadgen_api_lead_submit_many
 *		api_lead_submit_many(payloads text[], scope_brokers bigint[])
 *		RETURNS TABLE (ord int, status int, body text): the single-lead
 *		requests the gateway gathered, submitted in one transaction, each
 *		with its own answer (ord from 1). A payload that is not JSON fails
 *		the call; the gateway then submits each lead on its own.
 */
Datum
pg_leadgen_api_lead_submit_many(PG_FUNCTION_ARGS)
{
	ReturnSetInfo *rsinfo = (ReturnSetInfo *) fcinfo->resultinfo;
	Datum	   *payloads;
	bool	   *payload_nulls;
	Datum	   *brokers = NULL;
	bool	   *broker_nulls = NULL;
	int			n;
	int			nb = 0;
	MemoryContext item_cxt;
	int			guc_level;

	InitMaterializedSRF(fcinfo, 0);
	if (PG_ARGISNULL(0))
		return (Datum) 0;		/* no payloads, no rows */
	deconstruct_array(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, -1, false, TYPALIGN_INT,
					  &payloads, &payload_nulls, &n);
	if (!PG_ARGISNULL(1))
	{
		deconstruct_array(PG_GETARG_ARRAYTYPE_P(1), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
						  &brokers, &broker_nulls, &nb);
		/* a lead without its scope would be submitted for any broker */
		if (nb != n)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("%d payloads were given with %d broker scopes", n, nb),
					 errhint("Give one scope for each payload, NULL for a key bound to no broker.")));
	}

	item_cxt = AllocSetContextCreate(CurrentMemoryContext, "api_lead_submit_many item",
									 ALLOCSET_DEFAULT_SIZES);
	guc_level = LeadgenSPIConnect();
	for (int i = 0; i < n; i++)
	{
		MemoryContext old = MemoryContextSwitchTo(item_cxt);
		Datum		values[3];
		bool		nulls[3] = {false, false, false};
		int			status;
		char	   *body;

		if (payload_nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("lead payload %d is null", i + 1),
					 errhint("Pass each lead as a JSON object.")));
		body = api_submit(DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
															 CStringGetDatum(TextDatumGetCString(payloads[i])))),
						  i < nb && !broker_nulls[i], i < nb ? DatumGetInt64(brokers[i]) : 0, &status);
		values[0] = Int32GetDatum(i + 1);
		values[1] = Int32GetDatum(status);
		values[2] = CStringGetTextDatum(body);
		tuplestore_putvalues(rsinfo->setResult, rsinfo->setDesc, values, nulls);
		MemoryContextSwitchTo(old);
		MemoryContextReset(item_cxt);
	}
	LeadgenSPIFinish(guc_level);
	return (Datum) 0;
}

/*---- processing ----*/

PG_FUNCTION_INFO_V1(pg_leadgen_process_pending);

/*
 * pg_leadgen_process_pending
 *		Drain the "leads" queue in this session, batch by batch, up to
 *		max_leads pending rows (NULL: until nothing is due). The same code
 *		the workers run; used by tests, and by operators without workers.
 *		Returns the number of leads written.
 */
Datum
pg_leadgen_process_pending(PG_FUNCTION_ARGS)
{
	int64		limit = PG_ARGISNULL(0) ? -1 : PG_GETARG_INT64(0);
	int			batch = PG_GETARG_INT32(1);
	int64		taken = 0;
	int64		written = 0;
	PipelineResult res;
	int			guc_level;

	if (batch < 1 || batch > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch size %d is out of range 1..10000", batch)));

	memset(&res, 0, sizeof(res));
	res.capacity = batch;
	res.wait_us = palloc(sizeof(int64) * batch);
	res.proc_us = palloc(sizeof(int64) * batch);

	guc_level = LeadgenSPIConnect();
	for (;;)
	{
		int			want = batch;
		int			claimed;

		if (limit >= 0 && limit - taken < want)
			want = (int) (limit - taken);
		if (want <= 0)
			break;
		claimed = PipelineRunBatch(want, &res);
		if (claimed == 0)
			break;
		taken += claimed;
		written += res.processed;
		QueueRecordResult(&res);
		CHECK_FOR_INTERRUPTS();
	}
	LeadgenSPIFinish(guc_level);
	PG_RETURN_INT64(written);
}

PG_FUNCTION_INFO_V1(pg_leadgen_queue_stats);

/*
 * pg_leadgen_queue_stats
 *		queue_stats(minutes int): the shared counters of the "leads" queue
 *		as one row (QueueReadStats).
 */
Datum
pg_leadgen_queue_stats(PG_FUNCTION_ARGS)
{
	QueueStats	st;
	TupleDesc	tupdesc;
	Datum		values[14];
	bool		nulls[14];

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");
	QueueReadStats(PG_GETARG_INT32(0), &st);

	memset(nulls, 0, sizeof(nulls));
	values[0] = Int32GetDatum((int32) st.active);
	values[1] = Int64GetDatum((int64) st.completed);
	values[2] = Int64GetDatum((int64) st.failed);
	values[3] = Int64GetDatum((int64) st.dead);
	values[4] = Int32GetDatum(st.samples);
	for (int i = 0; i < 4; i++)
	{
		values[5 + i] = Float8GetDatum(st.wait_ms[i]);
		values[9 + i] = Float8GetDatum(st.proc_ms[i]);
	}
	values[13] = DirectFunctionCall1(jsonb_in, CStringGetDatum(st.throughput_json));
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}

PG_FUNCTION_INFO_V1(pg_leadgen_lead_submit);
PG_FUNCTION_INFO_V1(pg_leadgen_wake_at_commit);

/*
 * pg_leadgen_lead_submit
 *		lead_submit(payload jsonb, priority int): check and enqueue one lead,
 *		return its id for good (the original id for a repeated
 *		(broker, external_id)).
 */
Datum
pg_leadgen_lead_submit(PG_FUNCTION_ARGS)
{
	bool		created;

	PG_RETURN_INT64(submit_one(PG_GETARG_JSONB_P(0), PG_GETARG_INT32(1), &created));
}

/*
 * pg_leadgen_wake_at_commit
 *		Wake the pipeline workers when this transaction commits (a queue was
 *		resumed, dead letters were requeued).
 */
Datum
pg_leadgen_wake_at_commit(PG_FUNCTION_ARGS)
{
	SubmitWakeAtCommit();
	PG_RETURN_VOID();
}

/*---- replication ----*/

PG_FUNCTION_INFO_V1(pg_leadgen_wait_for_standby);

/*
 * pg_leadgen_wait_for_standby
 *		wait_for_standby(timeout_ms int, scope text): whether a physical
 *		standby has flushed this session's last commit (scope 'session')
 *		or everything this primary wrote before the call ('server'),
 *		waiting up to timeout_ms for it (replication.c).
 */
Datum
pg_leadgen_wait_for_standby(PG_FUNCTION_ARGS)
{
	char	   *scope = text_to_cstring(PG_GETARG_TEXT_PP(1));

	if (strcmp(scope, "session") != 0 && strcmp(scope, "server") != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("scope must be 'session' or 'server', not \"%s\"", scope),
				 errhint("'session' waits for this session's last commit; 'server', for all WAL written so far "
						 "(through a pooler in transaction mode, where the last commit may be another client's).")));
	PG_RETURN_BOOL(StandbyWaitFlush(PG_GETARG_INT32(0), strcmp(scope, "session") == 0));
}

/*---- list pages ----*/

PG_FUNCTION_INFO_V1(pg_leadgen_api_page_step);
PG_FUNCTION_INFO_V1(pg_leadgen_api_page_final);
PG_FUNCTION_INFO_V1(pg_leadgen_api_page_empty);
PG_FUNCTION_INFO_V1(pg_leadgen_api_cursor_encode);
PG_FUNCTION_INFO_V1(pg_leadgen_api_cursor_sign);
PG_FUNCTION_INFO_V1(pg_leadgen_api_cursor_verify);

/*
 * pg_leadgen_api_page_step
 *		api_page(row record, key anyelement, id bigint, lim integer,
 *		off bigint, sort text, fields text[]): one row of a list page.
 *		The limit, offset, sort and fields are read at the first row.
 */
Datum
pg_leadgen_api_page_step(PG_FUNCTION_ARGS)
{
	MemoryContext aggcxt;
	ListPage   *page;

	if (!AggCheckCallContext(fcinfo, &aggcxt))
		ereport(ERROR,
				(errcode(ERRCODE_FEATURE_NOT_SUPPORTED),
				 errmsg("api_page_step can only be called as the step of leadgen.api_page()")));
	if (PG_ARGISNULL(1) || PG_ARGISNULL(3))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("a page row and its id must not be null")));
	if (PG_ARGISNULL(0))
	{
		Oid			keytype = get_fn_expr_argtype(fcinfo->flinfo, 2);

		if (PG_ARGISNULL(4) || PG_ARGISNULL(5) || PG_ARGISNULL(6) || PG_ARGISNULL(7))
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("the limit, offset, sort and fields of a page must not be null")));
		if (!OidIsValid(keytype))
			elog(ERROR, "could not determine the type of a page's sort key");
		page = ListPageStart(aggcxt, PG_GETARG_HEAPTUPLEHEADER(1), keytype, PG_GET_COLLATION(),
							 PG_GETARG_INT32(4), PG_GETARG_INT64(5), text_to_cstring(PG_GETARG_TEXT_PP(6)),
							 PG_GETARG_ARRAYTYPE_P(7));
	}
	else
		page = (ListPage *) PG_GETARG_POINTER(0);
	ListPageAddRow(page, PG_GETARG_HEAPTUPLEHEADER(1), PG_GETARG_DATUM(2), PG_ARGISNULL(2), PG_GETARG_INT64(3));
	PG_RETURN_POINTER(page);
}

/*
 * pg_leadgen_api_page_final
 *		The page; NULL when there was no row (the statement then asks
 *		api_page_empty(limit, offset): they are not known here).
 */
Datum
pg_leadgen_api_page_final(PG_FUNCTION_ARGS)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_TEXT_P(ListPageFinish((ListPage *) PG_GETARG_POINTER(0), get_func_namespace(fcinfo->flinfo->fn_oid)));
}

/*
 * pg_leadgen_api_page_empty
 *		api_page_empty(limit, offset): the page of a list without rows.
 */
Datum
pg_leadgen_api_page_empty(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(ListPageEmpty(PG_GETARG_INT32(0), PG_GETARG_INT64(1)));
}

/*
 * pg_leadgen_api_cursor_encode
 *		api_cursor_encode(sort, key, id): the cursor of the page after
 *		(key, id).
 */
Datum
pg_leadgen_api_cursor_encode(PG_FUNCTION_ARGS)
{
	PG_RETURN_TEXT_P(ListCursorEncode(get_func_namespace(fcinfo->flinfo->fn_oid),
									  text_to_cstring(PG_GETARG_TEXT_PP(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)),
									  PG_GETARG_INT64(2)));
}

/*
 * pg_leadgen_api_cursor_sign
 *		api_cursor_sign(payload): the signature the cursor decoder checks.
 */
Datum
pg_leadgen_api_cursor_sign(PG_FUNCTION_ARGS)
{
	text	   *payload = PG_GETARG_TEXT_PP(0);
	char		sign[LIST_CURSOR_SIGN_CHARS + 1];

	ListCursorSign(get_func_namespace(fcinfo->flinfo->fn_oid), VARDATA_ANY(payload), VARSIZE_ANY_EXHDR(payload),
				   sign);
	PG_RETURN_TEXT_P(cstring_to_text(sign));
}

/*
 * pg_leadgen_api_cursor_verify
 *		api_cursor_verify(payload, signature): whether signature is the
 *		signature of payload, compared in constant time (ListCursorVerify).
 *		For the cursor decoder, in place of comparing api_cursor_sign()'s
 *		text with "<>", which stops at the first differing byte.
 */
Datum
pg_leadgen_api_cursor_verify(PG_FUNCTION_ARGS)
{
	text	   *payload = PG_GETARG_TEXT_PP(0);
	text	   *signature = PG_GETARG_TEXT_PP(1);

	PG_RETURN_BOOL(ListCursorVerify(get_func_namespace(fcinfo->flinfo->fn_oid), VARDATA_ANY(payload),
									VARSIZE_ANY_EXHDR(payload), VARDATA_ANY(signature),
									VARSIZE_ANY_EXHDR(signature)));
}

/* ---- jobs ---- */

PG_FUNCTION_INFO_V1(pg_leadgen_job_start);

/*
 * pg_leadgen_job_start
 *		job_start(job_name text) -> bigint: record a run of the job and start
 *		its worker at commit (SchedulerStartRun).
 */
Datum
pg_leadgen_job_start(PG_FUNCTION_ARGS)
{
	PG_RETURN_INT64(SchedulerStartRun(text_to_cstring(PG_GETARG_TEXT_PP(0))));
}

/* ---- list routes ---- */

PG_FUNCTION_INFO_V1(pg_leadgen_api_list);

/*
 * pg_leadgen_api_list
 *		api_list(resource, filters text[], vals text[], fields, sort, lim,
 *		off, cursor) -> text: one page of a list route (ListRouteRun).
 *		fields, sort and cursor may be NULL; the others may not.
 */
Datum
pg_leadgen_api_list(PG_FUNCTION_ARGS)
{
	for (int i = 0; i < 8; i++)
		if (PG_ARGISNULL(i) && i != 3 && i != 4 && i != 7)
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("api_list needs a resource, filters, values, a limit and an offset")));
	PG_RETURN_TEXT_P(ListRouteRun(text_to_cstring(PG_GETARG_TEXT_PP(0)),
								  PG_GETARG_ARRAYTYPE_P(1), PG_GETARG_ARRAYTYPE_P(2),
								  PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3)),
								  PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4)),
								  PG_GETARG_INT32(5), PG_GETARG_INT64(6),
								  PG_ARGISNULL(7) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(7))));
}

/* ---- security ---- */

PG_FUNCTION_INFO_V1(pg_leadgen_table_check);
PG_FUNCTION_INFO_V1(pg_leadgen_run_as);
PG_FUNCTION_INFO_V1(pg_leadgen_archive_predicate_check);
PG_FUNCTION_INFO_V1(pg_leadgen_explain_query);
PG_FUNCTION_INFO_V1(pg_leadgen_explain_plan_as);

/*
 * pg_leadgen_table_check
 *		table_check(tbl regclass, role regrole, privileges text) -> regclass:
 *		tbl, unless it is one of PostgreSQL's catalogs, another extension's
 *		table, or a table on which role lacks one of privileges. A NULL role
 *		is the calling role: the session's (after SET ROLE), not a SECURITY
 *		DEFINER function's owner.
 */
Datum
pg_leadgen_table_check(PG_FUNCTION_ARGS)
{
	Oid			relid;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(2))
		PG_RETURN_NULL();
	relid = PG_GETARG_OID(0);
	SecurityCheckUserTable(relid);
	SecurityCheckPrivileges(relid, PG_ARGISNULL(1) ? SecurityCallerRole() : PG_GETARG_OID(1),
							text_to_cstring(PG_GETARG_TEXT_PP(2)));
	PG_RETURN_OID(relid);
}

/*
 * pg_leadgen_run_as
 *		run_as(role regrole, statement text) -> jsonb: run one statement as
 *		role in a security-restricted operation (SecurityRunAs); its first
 *		row as a JSON object. Only the function's owner may call it.
 */
Datum
pg_leadgen_run_as(PG_FUNCTION_ARGS)
{
	Jsonb	   *row;

	SecurityCheckCalledByOwner(fcinfo->flinfo->fn_oid);
	row = SecurityRunAs(PG_GETARG_OID(0), text_to_cstring(PG_GETARG_TEXT_PP(1)));
	if (row == NULL)
		PG_RETURN_NULL();
	PG_RETURN_JSONB_P(row);
}

/*
 * pg_leadgen_archive_predicate_check
 *		archive_predicate_check(tbl regclass, predicate text, owner regrole)
 *		-> text: check an archive policy's predicate (ArchivePredicateCheck)
 *		and return the text to run. Analysis runs as owner: a caller other
 *		than the function's owner (archive_run()) or a superuser may check
 *		only as itself.
 */
Datum
pg_leadgen_archive_predicate_check(PG_FUNCTION_ARGS)
{
	Oid			owner = PG_GETARG_OID(2);

	if (owner != GetUserId() && !superuser())
		SecurityCheckCalledByOwner(fcinfo->flinfo->fn_oid);
	PG_RETURN_TEXT_P(cstring_to_text(ArchivePredicateCheck(PG_GETARG_OID(0),
														   text_to_cstring(PG_GETARG_TEXT_PP(1)),
														   owner)));
}

/* The JSON text of a plan as jsonb. */
static Datum
plan_jsonb(const char *json)
{
	return DirectFunctionCall1(jsonb_in, CStringGetDatum(json));
}

/*
 * pg_leadgen_explain_query
 *		explain_query(query text, "analyze" boolean, timeout_ms integer,
 *		search_path text) -> jsonb: EXPLAIN (VERBOSE, FORMAT JSON[, ANALYZE,
 *		BUFFERS]) of query as the current user (PerfExplain). A NULL
 *		analyze is false, a NULL or 0 timeout_ms none of its own, a NULL
 *		search_path the current one.
 */
Datum
pg_leadgen_explain_query(PG_FUNCTION_ARGS)
{
	PerfExplainRequest req;

	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	memset(&req, 0, sizeof(req));
	req.query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	req.analyze = !PG_ARGISNULL(1) && PG_GETARG_BOOL(1);
	req.timeout_ms = PG_ARGISNULL(2) ? 0 : PG_GETARG_INT32(2);
	req.search_path = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	req.role = InvalidOid;
	if (req.timeout_ms < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("timeout_ms must not be negative"),
				 errhint("Pass the longest time the statement may run, in milliseconds (0: no limit of its own).")));
	PG_RETURN_DATUM(plan_jsonb(PerfExplain(&req)));
}

/*
 * pg_leadgen_explain_plan_as
 *		explain_plan_as(query text, role oid, search_path text) -> jsonb:
 *		the plan of query (a generic plan when it has $n parameters) made
 *		as role, in a security-restricted operation: planning may run
 *		functions of the statement's role. Only the function's owner may
 *		call it.
 */
Datum
pg_leadgen_explain_plan_as(PG_FUNCTION_ARGS)
{
	PerfExplainRequest req;

	SecurityCheckCalledByOwner(fcinfo->flinfo->fn_oid);
	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	memset(&req, 0, sizeof(req));
	req.query = text_to_cstring(PG_GETARG_TEXT_PP(0));
	req.role = PG_GETARG_OID(1);
	req.search_path = PG_ARGISNULL(2) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(2));
	if (!OidIsValid(req.role) || !SearchSysCacheExists1(AUTHOID, ObjectIdGetDatum(req.role)))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_OBJECT),
				 errmsg("the role that ran the statement no longer exists"),
				 errhint("A statement is planned only as the role that ran it.")));
	PG_RETURN_DATUM(plan_jsonb(PerfExplain(&req)));
}

/* ---- assignment ---- */

PG_FUNCTION_INFO_V1(pg_leadgen_agent_for);

/*
 * pg_leadgen_agent_for
 *		agent_for(state text, insurance_type text, only_agent bigint) ->
 *		bigint: the agent that takes one lead of that state and type now, by
 *		the pipeline's ranking (AssignAgentFor); NULL when none may. The
 *		state and type are compared as normalized (upper, lower case).
 */
Datum
pg_leadgen_agent_for(PG_FUNCTION_ARGS)
{
	int64		agent;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1))
		PG_RETURN_NULL();
	agent = AssignAgentFor(text_to_cstring(PG_GETARG_TEXT_PP(0)), text_to_cstring(PG_GETARG_TEXT_PP(1)),
						   PG_ARGISNULL(2) ? 0 : PG_GETARG_INT64(2));
	if (agent == 0)
		PG_RETURN_NULL();
	PG_RETURN_INT64(agent);
}

/* ---- schedules ---- */

PG_FUNCTION_INFO_V1(pg_leadgen_cron_next);

/*
 * pg_leadgen_cron_next
 *		cron_next(schedule text, timezone text, after timestamptz): the
 *		first run of schedule in timezone strictly after `after`
 *		(SchedulerNextRun).
 */
Datum
pg_leadgen_cron_next(PG_FUNCTION_ARGS)
{
	char	   *schedule = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *timezone = text_to_cstring(PG_GETARG_TEXT_PP(1));

	PG_RETURN_TIMESTAMPTZ(SchedulerNextRun(schedule, timezone, PG_GETARG_TIMESTAMPTZ(2)));
}

/* ---- performance toolkit ---- */

PG_FUNCTION_INFO_V1(pg_leadgen_statement_kind);
PG_FUNCTION_INFO_V1(pg_leadgen_statement_is_query);

/*
 * pg_leadgen_statement_kind
 *		statement_kind(query text, read_only boolean): the command tag of the
 *		single statement in query (PerfStatementKind).
 */
Datum
pg_leadgen_statement_kind(PG_FUNCTION_ARGS)
{
	const char *kind = PerfStatementKind(text_to_cstring(PG_GETARG_TEXT_PP(0)), PG_GETARG_BOOL(1));

	PG_RETURN_TEXT_P(cstring_to_text(kind));
}

/*
 * pg_leadgen_statement_is_query
 *		statement_is_query(query text) -> boolean: whether the text is a
 *		query rather than a utility statement (PerfStatementIsQuery); NULL
 *		when it does not parse.
 */
Datum
pg_leadgen_statement_is_query(PG_FUNCTION_ARGS)
{
	int			r = PerfStatementIsQuery(text_to_cstring(PG_GETARG_TEXT_PP(0)));

	if (r < 0)
		PG_RETURN_NULL();
	PG_RETURN_BOOL(r > 0);
}
