/*-------------------------------------------------------------------------
 *
 * failure.c
 *		A pending lead that failed: its retry with backoff, or the dead
 *		letter.
 *
 * A row that fails alone is charged an attempt: a transient error (by
 * SQLSTATE class) is retried with exponential backoff, 1 s doubling up to
 * 60 s; a deterministic one, or the last attempt, moves the row to
 * leadgen.leads_dead_letter with every error it met. Each step writes its
 * event.
 *
 * The caller holds a (sub)transaction and is connected to SPI.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/failure.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/json.h"
#include "utils/jsonb.h"
#include "utils/timestamp.h"

#include "failure.h"
#include "pg_leadgen.h"
#include "spiutil.h"

#define S LEADGEN_SCHEMA_NAME

static SPIPlanPtr plan_fail = NULL;
static SPIPlanPtr plan_dead = NULL;
static SPIPlanPtr plan_fail_event = NULL;

/*
 * prepare_plans
 *		The statements of a failed attempt, once per process.
 */
static void
prepare_plans(void)
{
	if (plan_fail != NULL)
		return;
{
	Oid			t[4] = {INT8OID, TEXTOID, JSONBOID, TIMESTAMPTZOID};

	/*
	 * Backoff: after the n-th failed attempt, wait 2^(n-1) s, at most
	 * 60 s (1, 2, 4, 8, ...). In SET, "attempts" is the old value, n-1.
	 */
	plan_fail = LeadgenKeepPlan(
						  "UPDATE " S ".leads_pending SET attempts = attempts + 1, last_error = $2,"
						  "       errors = errors || jsonb_build_array($3),"
						  "       next_attempt_at = $4 + interval '1 second' * least(60, power(2, least(attempts, 10)))"
						  " WHERE id = $1 RETURNING attempts, max_attempts, next_attempt_at", 4, t);
}
{
	Oid			t[1] = {INT8OID};

	plan_dead = LeadgenKeepPlan(
						  "WITH d AS (DELETE FROM " S ".leads_pending WHERE id = $1 RETURNING *)"
						  " INSERT INTO " S ".leads_dead_letter (id, payload, broker_id, external_id, priority,"
						  "   attempts, max_attempts, next_attempt_at, last_error, errors, enqueued_at, failed_at)"
						  " SELECT id, payload, broker_id, external_id, priority, attempts, max_attempts,"
						  "   next_attempt_at, last_error, errors, enqueued_at, clock_timestamp() FROM d"
						  " RETURNING id", 1, t);
}
{
	Oid			t[3] = {INT8OID, TEXTOID, JSONBOID};

	plan_fail_event = LeadgenKeepPlan(
								"INSERT INTO " S ".events (entity_type, entity_id, type, source, payload, \"timestamp\")"
								" VALUES ('lead', $1, $2, 'pipeline', $3, clock_timestamp())", 3, t);
}
}

/*
 * is_transient
 *		Whether an error is worth retrying: serialization failures and
 *		deadlocks (class 40), lock and object-state conflicts (55),
 *		resource shortages (53), system and I/O errors (58) and lost
 *		connections (08). Everything else is deterministic: the same row
 *		would fail the same way again.
 */
static bool
is_transient(int sqlerrcode)
{
	int			class = ERRCODE_TO_CATEGORY(sqlerrcode);

	return class == ERRCODE_TO_CATEGORY(ERRCODE_T_R_SERIALIZATION_FAILURE) ||
		class == ERRCODE_TO_CATEGORY(ERRCODE_OBJECT_NOT_IN_PREREQUISITE_STATE) ||
		class == ERRCODE_TO_CATEGORY(ERRCODE_INSUFFICIENT_RESOURCES) ||
		class == ERRCODE_TO_CATEGORY(ERRCODE_SYSTEM_ERROR) ||
		class == ERRCODE_TO_CATEGORY(ERRCODE_CONNECTION_EXCEPTION);
}

/*
 * FailureRecord
 *		Charge a failed attempt to one pending row: schedule its retry, or
 *		move it to the dead letter table when the error is deterministic
 *		or the attempts are used up. Runs in its own subtransaction.
 */
void
FailureRecord(int64 id, ErrorData *edata, PipelineResult *res)
{
	bool		transient = is_transient(edata->sqlerrcode);
	StringInfoData err;
	Datum		args[4];
	int			ret;
	bool		isnull;
	int			attempts;
	int			max_attempts;
	TimestampTz next;
	Datum		ev[3];

	prepare_plans();
	initStringInfo(&err);
	appendStringInfoString(&err, "{\"sqlstate\": ");
	escape_json(&err, unpack_sql_state(edata->sqlerrcode));
	appendStringInfoString(&err, ", \"message\": ");
	escape_json(&err, edata->message ? edata->message : "");
	if (edata->detail)
	{
		appendStringInfoString(&err, ", \"detail\": ");
		escape_json(&err, edata->detail);
	}
	appendStringInfo(&err, ", \"transient\": %s, \"at\": ", transient ? "true" : "false");
	escape_json(&err, timestamptz_to_str(GetCurrentTimestamp()));
	appendStringInfoChar(&err, '}');

	args[0] = Int64GetDatum(id);
	args[1] = CStringGetTextDatum(edata->message ? edata->message : "");
	args[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(err.data));
	args[3] = TimestampTzGetDatum(GetCurrentTimestamp());

	ret = SPI_execute_plan(plan_fail, args, NULL, false, 0);
	if (ret != SPI_OK_UPDATE_RETURNING)
		elog(ERROR, "recording a failed attempt failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
	{
		SPI_freetuptable(SPI_tuptable);
		return;					/* the row is gone (taken by another worker) */
	}
	attempts = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	max_attempts = DatumGetInt32(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2, &isnull));
	next = DatumGetTimestampTz(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	SPI_freetuptable(SPI_tuptable);

	if (transient && attempts < max_attempts)
	{
		ev[1] = CStringGetTextDatum("lead.retry_scheduled");
		ev[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(
															  psprintf("{\"attempt\": %d, \"max_attempts\": %d, \"sqlstate\": \"%s\", \"next_attempt_at\": \"%s\"}",
																	   attempts, max_attempts,
																	   unpack_sql_state(edata->sqlerrcode),
																	   timestamptz_to_str(next))));
		res->retried++;
	}
	else
	{
		ret = SPI_execute_plan(plan_dead, args, NULL, false, 0);
		if (ret != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "moving a lead to the dead letter table failed: %s", SPI_result_code_string(ret));
		SPI_freetuptable(SPI_tuptable);
		ev[1] = CStringGetTextDatum("lead.dead_lettered");
		ev[2] = DirectFunctionCall1(jsonb_in, CStringGetDatum(
															  psprintf("{\"attempts\": %d, \"max_attempts\": %d, \"sqlstate\": \"%s\", \"transient\": %s}",
																	   attempts, max_attempts,
																	   unpack_sql_state(edata->sqlerrcode),
																	   transient ? "true" : "false")));
		res->dead++;
	}
	ev[0] = args[0];
	ret = SPI_execute_plan(plan_fail_event, ev, NULL, false, 0);
	if (ret != SPI_OK_INSERT)
		elog(ERROR, "logging a failed attempt failed: %s", SPI_result_code_string(ret));
}

