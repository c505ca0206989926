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

#include "pg_leadgen.h"
#include "pipeline.h"
#include "queue.h"
#include "submit.h"

PG_FUNCTION_INFO_V1(pg_leadgen_preloaded);
PG_FUNCTION_INFO_V1(pg_leadgen_worker_database);

/*
 * pg_leadgen_preloaded
 *		Whether this server loaded pg_leadgen through
 *		shared_preload_libraries, so that its workers run.
 */
Datum
pg_leadgen_preloaded(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(leadgen_preloaded);
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

/*
 * submit_one
 *		Check one payload (raising its problems) and enqueue it.
 */
static int64
submit_one(Jsonb *payload, int32 priority, bool *created)
{
	SubmitKeys	keys;
	List	   *problems;
	int64		id;

	SPI_connect();
	problems = SubmitCheck(payload, &keys);
	if (problems != NIL)
		raise_problems(problems);
	id = SubmitEnqueue(payload, &keys, priority, created);
	SPI_finish();
	return id;
}

/*
 * pg_leadgen_lead_check
 *		The schema problems of a payload, as text[] (empty when it would be
 *		accepted).
 */
Datum
pg_leadgen_lead_check(PG_FUNCTION_ARGS)
{
	Jsonb	   *payload = PG_GETARG_JSONB_P(0);
	SubmitKeys	keys;
	List	   *problems;
	Datum	   *elems;
	int			n = 0;
	ListCell   *lc;

	SPI_connect();
	problems = SubmitCheck(payload, &keys);
	SPI_finish();

	elems = palloc(sizeof(Datum) * Max(list_length(problems), 1));
	foreach(lc, problems)
		elems[n++] = CStringGetTextDatum((char *) lfirst(lc));
	PG_RETURN_ARRAYTYPE_P(construct_array(elems, n, TEXTOID, -1, false, TYPALIGN_INT));
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
 * pg_leadgen_lead_submit_batch
 *		Check and enqueue every element of a JSON array of leads in one
 *		statement. Invalid elements are reported, valid ones accepted.
 *		Returns {"accepted": n, "rejected": n, "existing": n,
 *		"ids": [id or null, per element], "errors": [{"index": i,
 *		"problems": [...]}]} (index from 0; existing counts repeated
 *		external_ids, which are accepted with their original id).
 */
Datum
pg_leadgen_lead_submit_batch(PG_FUNCTION_ARGS)
{
	Jsonb	   *payloads = PG_GETARG_JSONB_P(0);
	int32		priority = PG_GETARG_INT32(1);
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
	SPI_connect();
	for (int i = 0; i < n; i++)
	{
		JsonbValue *v = getIthJsonbValueFromContainer(&payloads->root, i);
		Jsonb	   *item = JsonbValueToJsonb(v);
		SubmitKeys	keys;
		List	   *problems = SubmitCheck(item, &keys);

		if (i > 0)
			appendStringInfoString(&ids, ", ");
		if (problems != NIL)
		{
			ListCell   *lc;
			bool		first = true;

			rejected++;
			appendStringInfoString(&ids, "null");
			appendStringInfo(&errors, "%s{\"index\": %d, \"problems\": [", errors.len ? ", " : "", i);
			foreach(lc, problems)
			{
				if (!first)
					appendStringInfoString(&errors, ", ");
				escape_json(&errors, (char *) lfirst(lc));
				first = false;
			}
			appendStringInfoString(&errors, "]}");
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
	SPI_finish();

	initStringInfo(&out);
	appendStringInfo(&out, "{\"accepted\": %d, \"rejected\": %d, \"existing\": %d, \"ids\": [%s], \"errors\": [%s]}",
					 accepted, rejected, existing, ids.data, errors.data);
	PG_RETURN_DATUM(DirectFunctionCall1(jsonb_in, CStringGetDatum(out.data)));
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

	if (batch < 1 || batch > 10000)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("batch size %d is out of range 1..10000", batch)));

	memset(&res, 0, sizeof(res));
	res.capacity = batch;
	res.wait_us = palloc(sizeof(int64) * batch);
	res.proc_us = palloc(sizeof(int64) * batch);

	SPI_connect();
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
	SPI_finish();
	PG_RETURN_INT64(written);
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
