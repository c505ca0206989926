/*-------------------------------------------------------------------------
 *
 * submit.c
 *		Lead submission: the schema-level checks of the lead contract and
 *		the insert into the ingest queue.
 *
 * Submission answers at once: a payload is refused only when it is not a
 * JSON object, is over leadgen.max_payload_size, or a known key carries
 * the wrong JSON type (and a broker_id must name an active broker). Missing
 * or empty fields are not refused here: the workers turn them into rejected
 * leads, so that each vendor's lead quality can be reported.
 *
 * A repeated (broker, external_id) returns the lead id of the first
 * submission and creates nothing. The registry row is inserted in the
 * submitting transaction, so two concurrent submissions of the same key
 * serialize on its unique index.
 *
 * A role submits the leads of the broker leadgen.broker_roles binds it to
 * (a payload without broker_id gets that broker), so that its repeated
 * external_ids are looked up among that broker's leads only and never
 * return another broker's lead id; a role bound to no broker submits leads
 * without a broker; superusers and members of leadgen_admin submit for any
 * broker. The role is the caller's (GetOuterUserId(): these functions are
 * SECURITY DEFINER). The REST gateway's functions scope each lead by its
 * API key instead.
 *
 * A transaction that enqueued leads wakes the pipeline workers when it
 * commits (a transaction callback sets their latches), so an idle pipeline
 * picks a lead up in milliseconds rather than at its next poll.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/submit.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "catalog/namespace.h"
#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "lib/stringinfo.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/jsonb.h"
#include "utils/lsyscache.h"
#include "utils/numeric.h"

#include "leadread.h"
#include "pg_leadgen.h"
#include "shmem.h"
#include "spiutil.h"
#include "submit.h"

#define LEADGEN_EXTERNAL_ID_MAX 255

/*
 * The longest value of the other known string keys: their columns are
 * indexed (source, the normalized email and phone, ...), and a value past
 * what an index row holds would be accepted here and fail its lead in the
 * worker. Far above any real name, address or source.
 */
#define LEADGEN_STRING_MAX 1000

/*
 * JSON text is at most this many times its jsonb size (an escaped control
 * character is 6 characters of text for 1 byte), plus a little: a payload
 * whose jsonb is that small is within the limit without being written out.
 */
#define JSON_TEXT_PER_JSONB 6
#define JSON_TEXT_SLACK 64

static SPIPlanPtr plan_broker = NULL;
static SPIPlanPtr plan_extid_insert = NULL;
static SPIPlanPtr plan_extid_lookup = NULL;
static SPIPlanPtr plan_pending_insert = NULL;
static SPIPlanPtr plan_broker_role = NULL;

static bool xact_callback_registered = false;
static bool wake_at_commit = false;

static void
prepare_plans(void)
{
	Oid			t_int8[1] = {INT8OID};
	Oid			t_key[2] = {INT8OID, TEXTOID};
	Oid			t_pending[5] = {INT8OID, JSONBOID, INT8OID, TEXTOID, INT4OID};

	if (plan_broker == NULL)
		plan_broker = LeadgenKeepPlan("SELECT is_active FROM " LEADGEN_SCHEMA_NAME ".brokers WHERE id = $1",
							  1, t_int8);
	if (plan_extid_insert == NULL)
		plan_extid_insert = LeadgenKeepPlan("INSERT INTO " LEADGEN_SCHEMA_NAME ".lead_external_ids"
									" (broker_id, external_id, lead_id)"
									" VALUES ($1, $2, nextval('" LEADGEN_SCHEMA_NAME ".lead_id_seq'))"
									" ON CONFLICT DO NOTHING RETURNING lead_id",
									2, t_key);
	if (plan_extid_lookup == NULL)
		plan_extid_lookup = LeadgenKeepPlan("SELECT lead_id FROM " LEADGEN_SCHEMA_NAME ".lead_external_ids"
									" WHERE broker_id = $1 AND external_id = $2",
									2, t_key);
	if (plan_pending_insert == NULL)
		plan_pending_insert = LeadgenKeepPlan("INSERT INTO " LEADGEN_SCHEMA_NAME ".leads_pending"
									  " (id, payload, broker_id, external_id, priority)"
									  " VALUES (coalesce($1, nextval('" LEADGEN_SCHEMA_NAME ".lead_id_seq')),"
									  " $2, $3, $4, $5) RETURNING id",
									  5, t_pending);
}

/*
 * SubmitCheck
 *		The schema-level checks of one payload, for a caller that may name
 *		any broker. Returns the list of problems (palloc'd strings, in key
 *		order), NIL when it may be enqueued, and fills *keys. Caller is
 *		connected to SPI (the broker is looked up).
 */
List *
SubmitCheck(Jsonb *payload, SubmitKeys *keys)
{
	return SubmitCheckScoped(&payload, keys, NULL, NULL);
}

/*
 * SubmitCheckScoped
 *		SubmitCheck within a scope (NULL: any broker). A payload that is
 *		well formed but names a broker outside the scope is not checked
 *		further: *refusal says why (the broker's existence is not looked
 *		up, so that a scope reveals nothing of other brokers) and the
 *		problems are NIL. A payload without broker_id in a broker's scope
 *		gets it: *payload is replaced. Caller is connected to SPI.
 */
List *
SubmitCheckScoped(Jsonb **payloadp, SubmitKeys *keys, const SubmitScope *scope, char **refusal)
{
	Jsonb	   *payload = *payloadp;
	List	   *problems = NIL;
	Size		size = VARSIZE_ANY_EXHDR(payload);

	memset(keys, 0, sizeof(*keys));

	if (!JB_ROOT_IS_OBJECT(payload) || JB_ROOT_IS_SCALAR(payload))
		return list_make1(pstrdup("The payload must be a JSON object."));

	/*
	 * The limit is on the payload as JSON text, the bytes a client sends
	 * (jsonb stores a small number in 8 or more bytes, a text of 1 or 2)
	 */
	if (leadgen_max_payload_size > 0 &&
		size * JSON_TEXT_PER_JSONB + JSON_TEXT_SLACK > (Size) leadgen_max_payload_size)
	{
		size = strlen(JsonbToCString(NULL, &payload->root, VARSIZE(payload)));
		if (size > (Size) leadgen_max_payload_size)
			problems = lappend(problems,
							   psprintf("The payload is %zu bytes of JSON, over the limit of %d bytes (leadgen.max_payload_size).",
										size, leadgen_max_payload_size));
	}

	for (int i = 0; i < lead_nkeys; i++)
	{
		JsonbValue	v;
		LeadKeyKind kind = LEAD_KEY_OBJECT;
		const char *got;

		if (getKeyJsonValueFromContainer(&payload->root, lead_keys[i].name,
										 strlen(lead_keys[i].name), &v) == NULL)
			continue;
		got = LeadValueKind(&v, &kind);
		if (v.type == jbvNull)
			continue;			/* JSON null means absent */
		if (kind != lead_keys[i].kind)
		{
			problems = lappend(problems,
							   psprintf("Key \"%s\" must be %s, not %s.",
										lead_keys[i].name, LeadKeyKindName(lead_keys[i].kind), got));
			continue;
		}

		if (kind == LEAD_KEY_STRING && v.val.string.len > LEADGEN_STRING_MAX &&
			strcmp(lead_keys[i].name, "external_id") != 0)
			problems = lappend(problems,
							   psprintf("Key \"%s\" is %d bytes long, over the limit of %d.",
										lead_keys[i].name, v.val.string.len, LEADGEN_STRING_MAX));
		else if (strcmp(lead_keys[i].name, "broker_id") == 0)
		{
			Datum		d = NumericGetDatum(v.val.numeric);
			char	   *txt = DatumGetCString(DirectFunctionCall1(numeric_out, d));
			char	   *end;
			long long	id;

			errno = 0;
			id = strtoll(txt, &end, 10);
			if (*end != '\0' || errno != 0 || id <= 0)
				problems = lappend(problems,
								   psprintf("Key \"broker_id\" must be a positive integer, not %s.", txt));
			else
			{
				keys->has_broker = true;
				keys->broker_id = (int64) id;
			}
		}
		else if (strcmp(lead_keys[i].name, "external_id") == 0)
		{
			char	   *s = pnstrdup(v.val.string.val, v.val.string.len);
			bool		blank = true;

			for (char *c = s; *c; c++)
				if (*c != ' ' && *c != '\t' && *c != '\n' && *c != '\r')
					blank = false;
			if (v.val.string.len > LEADGEN_EXTERNAL_ID_MAX)
				problems = lappend(problems,
								   psprintf("Key \"external_id\" is %d bytes long, over the limit of %d.",
											v.val.string.len, LEADGEN_EXTERNAL_ID_MAX));
			else if (!blank)
				keys->external_id = s;
		}
	}

	if (problems == NIL && scope != NULL && scope->kind != SUBMIT_SCOPE_ANY)
	{
		const char *who = OidIsValid(scope->role) ? GetUserNameFromId(scope->role, false) : NULL;

		if (scope->kind == SUBMIT_SCOPE_NONE && keys->has_broker)
		{
			*refusal = psprintf("Key \"broker_id\" names broker " INT64_FORMAT "; role \"%s\" is bound to no broker and submits leads without one.",
								keys->broker_id, who);
			return NIL;
		}
		if (scope->kind == SUBMIT_SCOPE_BROKER && keys->has_broker && keys->broker_id != scope->broker_id)
		{
			*refusal = psprintf("Key \"broker_id\" names broker " INT64_FORMAT "; role \"%s\" submits leads of broker " INT64_FORMAT " only.",
								keys->broker_id, who, scope->broker_id);
			return NIL;
		}
		if (scope->kind == SUBMIT_SCOPE_BROKER && !keys->has_broker)
		{
			*payloadp = SubmitWithBroker(payload, scope->broker_id);
			keys->has_broker = true;
			keys->broker_id = scope->broker_id;
		}
	}

	if (keys->has_broker)
	{
		char	   *problem = SubmitBrokerProblem(keys->broker_id);

		if (problem)
			problems = lappend(problems, problem);
	}
	return problems;
}

/*
 * SubmitScopeOfRole
 *		The brokers whose leads role may submit: the one leadgen.broker_roles
 *		binds it to; any for a superuser or a member of leadgen_admin bound
 *		to none; none otherwise. Caller is connected to SPI.
 */
void
SubmitScopeOfRole(Oid role, SubmitScope *scope)
{
	Datum		arg;
	Oid			admin = get_role_oid("leadgen_admin", true);
	int			ret;

	scope->role = role;
	scope->kind = SUBMIT_SCOPE_ANY;
	scope->broker_id = 0;

	/*
	 * A database still on 0.1.0's SQL (the library was updated, ALTER
	 * EXTENSION UPDATE not run yet) has no bindings: it submits as 0.1.0 did
	 * until it is updated.
	 */
	if (!OidIsValid(get_relname_relid("broker_roles", get_namespace_oid(LEADGEN_SCHEMA_NAME, false))))
		return;
	if (plan_broker_role == NULL)
	{
		Oid			t_name[1] = {NAMEOID};

		plan_broker_role = LeadgenKeepPlan("SELECT broker_id FROM " LEADGEN_SCHEMA_NAME ".broker_roles"
										   " WHERE role = $1", 1, t_name);
	}
	arg = DirectFunctionCall1(namein, CStringGetDatum(GetUserNameFromId(role, false)));
	ret = SPI_execute_plan(plan_broker_role, &arg, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "broker binding lookup failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 1)
	{
		bool		isnull;

		scope->kind = SUBMIT_SCOPE_BROKER;
		scope->broker_id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	else if (!superuser_arg(role) && !(OidIsValid(admin) && has_privs_of_role(role, admin)))
		scope->kind = SUBMIT_SCOPE_NONE;
	SPI_freetuptable(SPI_tuptable);
}

/*
 * SubmitWithBroker
 *		The payload with "broker_id": broker_id added (it has none).
 */
Jsonb *
SubmitWithBroker(Jsonb *payload, int64 broker_id)
{
	JsonbParseState *st = NULL;
	JsonbValue	k,
				v;
	JsonbValue *res = NULL;
	JsonbIterator *it = JsonbIteratorInit(&payload->root);
	JsonbIteratorToken tok;

	while ((tok = JsonbIteratorNext(&it, &v, true)) != WJB_DONE)
	{
		if (tok == WJB_END_OBJECT)
		{
			k.type = jbvString;
			k.val.string.val = "broker_id";
			k.val.string.len = strlen("broker_id");
			pushJsonbValue(&st, WJB_KEY, &k);
			v.type = jbvNumeric;
			v.val.numeric = int64_to_numeric(broker_id);
			pushJsonbValue(&st, WJB_VALUE, &v);
		}
		res = pushJsonbValue(&st, tok, tok < WJB_BEGIN_ARRAY ? &v : NULL);
	}
	return JsonbValueToJsonb(res);
}

/*
 * SubmitBrokerProblem
 *		Why leads cannot name this broker (it does not exist, or is not
 *		active), or NULL when they can. Caller is connected to SPI.
 */
char *
SubmitBrokerProblem(int64 broker_id)
{
	Datum		arg = Int64GetDatum(broker_id);
	char	   *problem = NULL;
	int			ret;

	prepare_plans();
	ret = SPI_execute_plan(plan_broker, &arg, NULL, true, 1);
	if (ret != SPI_OK_SELECT)
		elog(ERROR, "broker lookup failed: %s", SPI_result_code_string(ret));
	if (SPI_processed == 0)
		problem = psprintf("Broker %lld does not exist.", (long long) broker_id);
	else
	{
		bool		isnull;

		if (!DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)))
			problem = psprintf("Broker %lld is not active.", (long long) broker_id);
	}
	SPI_freetuptable(SPI_tuptable);
	return problem;
}

/*
 * SubmitProblemsText
 *		The problems as one text, a line each.
 */
char *
SubmitProblemsText(List *problems)
{
	StringInfoData buf;
	ListCell   *lc;

	initStringInfo(&buf);
	foreach(lc, problems)
	{
		if (buf.len > 0)
			appendStringInfoChar(&buf, '\n');
		appendStringInfoString(&buf, (char *) lfirst(lc));
	}
	return buf.data;
}

/*
 * submit_xact_callback
 *		Wake the pipeline workers once the enqueuing transaction committed
 *		(its rows are visible to them by then).
 */
static void
submit_xact_callback(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wake_at_commit)
				ShmemWakeWorkers();
			wake_at_commit = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
		case XACT_EVENT_PREPARE:
			wake_at_commit = false;
			break;
		default:
			break;
	}
}

/*
 * SubmitEnqueue
 *		Enqueue one checked payload. Returns the lead id; *created is false
 *		when (broker, external_id) was submitted before, in which case the
 *		original id is returned and nothing is written. Caller is connected
 *		to SPI.
 */
int64
SubmitEnqueue(Jsonb *payload, const SubmitKeys *keys, int32 priority, bool *created)
{
	Datum		values[5];
	char		nulls[5] = {' ', ' ', ' ', ' ', ' '};
	int64		id = 0;
	bool		have_id = false;
	bool		isnull;
	int			ret;

	prepare_plans();

	if (keys->external_id != NULL)
	{
		Datum		key[2];

		key[0] = Int64GetDatum(keys->has_broker ? keys->broker_id : 0);
		key[1] = CStringGetTextDatum(keys->external_id);
		ret = SPI_execute_plan(plan_extid_insert, key, NULL, false, 1);
		if (ret != SPI_OK_INSERT_RETURNING)
			elog(ERROR, "external_id registration failed: %s", SPI_result_code_string(ret));
		if (SPI_processed == 1)
		{
			id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			have_id = true;
		}
		SPI_freetuptable(SPI_tuptable);

		if (!have_id)
		{
			/* Submitted before (perhaps by a transaction that just committed). */
			ret = SPI_execute_plan(plan_extid_lookup, key, NULL, false, 1);
			if (ret != SPI_OK_SELECT || SPI_processed != 1)
				elog(ERROR, "external_id registration conflicted but no registered lead was found");
			id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
			SPI_freetuptable(SPI_tuptable);
			*created = false;
			return id;
		}
	}

	values[0] = Int64GetDatum(id);
	nulls[0] = have_id ? ' ' : 'n';
	values[1] = JsonbPGetDatum(payload);
	values[2] = Int64GetDatum(keys->broker_id);
	nulls[2] = keys->has_broker ? ' ' : 'n';
	values[3] = keys->external_id ? CStringGetTextDatum(keys->external_id) : (Datum) 0;
	nulls[3] = keys->external_id ? ' ' : 'n';
	values[4] = Int32GetDatum(priority);

	ret = SPI_execute_plan(plan_pending_insert, values, nulls, false, 1);
	if (ret != SPI_OK_INSERT_RETURNING || SPI_processed != 1)
		elog(ERROR, "enqueue failed: %s", SPI_result_code_string(ret));
	id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	SPI_freetuptable(SPI_tuptable);

	SubmitWakeAtCommit();
	*created = true;
	return id;
}

/*
 * SubmitWakeAtCommit
 *		Have the pipeline workers woken when this transaction commits.
 */
void
SubmitWakeAtCommit(void)
{
	if (!xact_callback_registered)
	{
		RegisterXactCallback(submit_xact_callback, NULL);
		xact_callback_registered = true;
	}
	wake_at_commit = true;
}
