/*-------------------------------------------------------------------------
 *
 * leadread.c
 *		A lead's payload: its known keys, once, and reading it for the rules.
 *
 * The table lead_keys is the one list of the keys a lead's JSON may carry
 * with a meaning: submission checks their JSON types (submit.c), the
 * pipeline reads them into the rules engine's LeadgenLead (LeadRead) and
 * keeps every other key of the payload in the lead's details
 * (LeadColumnKeys). A new top-level string field of a lead is one row
 * here (and its field in validate.h for the rules to read).
 *
 * Keys of the wrong type read as absent: submission refused those at the
 * top level, and nested values (a vehicle's year) are checked by the rules.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/leadread.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>
#include <stddef.h>

#include "lib/stringinfo.h"
#include "utils/builtins.h"
#include "utils/numeric.h"

#include "leadread.h"

#define STR(f)	LEAD_KEY_STRING, offsetof(LeadgenLead, f)
#define NOF		LEAD_KEY_NO_FIELD

const LeadKey lead_keys[] = {
	{"external_id", LEAD_KEY_STRING, NOF, true},
	{"broker_id", LEAD_KEY_NUMBER, NOF, true},
	{"source", STR(source), true},
	{"insurance_type", STR(insurance_type), true},
	{"first_name", STR(first_name), true},
	{"last_name", STR(last_name), true},
	{"email", STR(email), true},
	{"phone", STR(phone), true},
	{"date_of_birth", STR(date_of_birth), true},
	{"zip_code", STR(zip_code), true},
	{"state", STR(state), true},
	{"city", STR(city), true},
	{"tcpa_consent", LEAD_KEY_BOOLEAN, NOF, false},
	{"consent_at", STR(consent_at), false},
	{"vehicles", LEAD_KEY_ARRAY, NOF, false},
	{"property", LEAD_KEY_OBJECT, NOF, false},
	{"coverage_amount", LEAD_KEY_NUMBER, NOF, false},
	{"business", LEAD_KEY_OBJECT, NOF, false},
};
const int	lead_nkeys = lengthof(lead_keys);

const char *
LeadKeyKindName(LeadKeyKind kind)
{
	switch (kind)
	{
		case LEAD_KEY_STRING:
			return "a string";
		case LEAD_KEY_NUMBER:
			return "a number";
		case LEAD_KEY_BOOLEAN:
			return "a boolean";
		case LEAD_KEY_ARRAY:
			return "an array";
		case LEAD_KEY_OBJECT:
			return "an object";
	}
	return "?";
}

/*
 * LeadValueKind
 *		The JSON type of a jsonb value, as problems name it ("null" for JSON
 *		null, which leaves *kind alone).
 */
const char *
LeadValueKind(const JsonbValue *v, LeadKeyKind *kind)
{
	switch (v->type)
	{
		case jbvNull:
			return "null";
		case jbvString:
			*kind = LEAD_KEY_STRING;
			return "a string";
		case jbvNumeric:
			*kind = LEAD_KEY_NUMBER;
			return "a number";
		case jbvBool:
			*kind = LEAD_KEY_BOOLEAN;
			return "a boolean";
		case jbvBinary:
			if (JsonContainerIsArray(v->val.binary.data))
			{
				*kind = LEAD_KEY_ARRAY;
				return "an array";
			}
			*kind = LEAD_KEY_OBJECT;
			return "an object";
		default:
			*kind = LEAD_KEY_OBJECT;
			return "an object";
	}
}

/*
 * LeadColumnKeys
 *		The keys that are columns of leadgen.leads, as a text[] literal: the
 *		payload less these is the lead's details.
 */
char *
LeadColumnKeys(void)
{
	StringInfoData b;

	initStringInfo(&b);
	appendStringInfoChar(&b, '{');
	for (int i = 0; i < lead_nkeys; i++)
		if (lead_keys[i].column)
			appendStringInfo(&b, "%s%s", b.len > 1 ? "," : "", lead_keys[i].name);
	appendStringInfoChar(&b, '}');
	return b.data;
}

static const char *
json_string(JsonbContainer *c, const char *key)
{
	JsonbValue	v;

	if (c == NULL || getKeyJsonValueFromContainer(c, key, strlen(key), &v) == NULL)
		return NULL;
	if (v.type != jbvString)
		return NULL;
	return pnstrdup(v.val.string.val, v.val.string.len);
}

/*
 * json_number
 *		A numeric member as a double; *is_int tells whether it was written
 *		as a JSON integer (no fraction, no exponent). A number the double
 *		rounds (more digits than it holds) is moved one step toward its
 *		true value, so that it compares with a whole bound as the number
 *		does: 10000000.0000000000001 is over 10,000,000.
 */
static bool
json_number(JsonbContainer *c, const char *key, double *out, bool *is_int)
{
	JsonbValue	v;
	char	   *txt;
	int			cmp;

	if (c == NULL || getKeyJsonValueFromContainer(c, key, strlen(key), &v) == NULL)
		return false;
	if (v.type != jbvNumeric)
		return false;
	txt = DatumGetCString(DirectFunctionCall1(numeric_out, NumericGetDatum(v.val.numeric)));
	*is_int = strpbrk(txt, ".eE") == NULL;
	*out = strtod(txt, NULL);
	if (!isfinite(*out))
		return false;
	cmp = DatumGetInt32(DirectFunctionCall2(numeric_cmp, NumericGetDatum(v.val.numeric),
											DirectFunctionCall1(float8_numeric, Float8GetDatum(*out))));
	if (cmp > 0)
		*out = nextafter(*out, INFINITY);
	else if (cmp < 0)
		*out = nextafter(*out, -INFINITY);
	return true;
}

/* Whether key is present with a value other than JSON null. */
static bool
json_present(JsonbContainer *c, const char *key)
{
	JsonbValue	v;

	return c != NULL && getKeyJsonValueFromContainer(c, key, strlen(key), &v) != NULL && v.type != jbvNull;
}

static JsonbContainer *
json_container(JsonbContainer *c, const char *key, bool want_array)
{
	JsonbValue	v;

	if (c == NULL || getKeyJsonValueFromContainer(c, key, strlen(key), &v) == NULL)
		return NULL;
	if (v.type != jbvBinary)
		return NULL;
	if (JsonContainerIsArray(v.val.binary.data) != want_array)
		return NULL;
	return v.val.binary.data;
}

/*
 * LeadRead
 *		Fill the rules engine's view of a payload: the string keys of
 *		lead_keys into their fields, then consent and the type-specific
 *		details. Allocates in the current memory context.
 */
void
LeadRead(Jsonb *payload, LeadgenLead *in)
{
	JsonbContainer *root = &payload->root;
	JsonbContainer *c;
	JsonbValue	v;
	bool		is_int;

	memset(in, 0, sizeof(*in));
	for (int i = 0; i < lead_nkeys; i++)
		if (lead_keys[i].field != LEAD_KEY_NO_FIELD)
			*(const char **) ((char *) in + lead_keys[i].field) = json_string(root, lead_keys[i].name);
	if (getKeyJsonValueFromContainer(root, "tcpa_consent", strlen("tcpa_consent"), &v) != NULL &&
		v.type == jbvBool && v.val.boolean)
		in->tcpa_consent = 1;

	c = json_container(root, "vehicles", true);
	if (c != NULL)
	{
		int			n = JsonContainerSize(c);
		LeadgenVehicle *vehicles = palloc0(sizeof(LeadgenVehicle) * Max(n, 1));

		for (int i = 0; i < n; i++)
		{
			JsonbValue *e = getIthJsonbValueFromContainer(c, i);

			if (e == NULL || e->type != jbvBinary || JsonContainerIsArray(e->val.binary.data))
				continue;		/* not an object: a vehicle with nothing */
			vehicles[i].make = json_string(e->val.binary.data, "make");
			vehicles[i].model = json_string(e->val.binary.data, "model");
			vehicles[i].vin = json_string(e->val.binary.data, "vin");
			vehicles[i].has_year = json_number(e->val.binary.data, "year",
											   &vehicles[i].year, &vehicles[i].year_is_int);
		}
		in->vehicles_present = true;
		in->n_vehicles = n;
		in->vehicles = vehicles;
	}

	c = json_container(root, "property", false);
	if (c != NULL)
	{
		in->has_property = true;
		in->has_year_built = json_number(c, "year_built", &in->year_built, &in->year_built_is_int);
		in->has_property_value = json_number(c, "value", &in->property_value, &is_int);
		/* a value of another type, or past a double, is no absent value */
		in->property_value_bad = !in->has_property_value && json_present(c, "value");
	}

	in->has_coverage = json_number(root, "coverage_amount", &in->coverage_amount, &is_int);

	c = json_container(root, "business", false);
	if (c != NULL)
	{
		in->has_business = true;
		in->business_name = json_string(c, "name");
		in->has_employees = json_number(c, "employees", &in->employees, &in->employees_is_int);
	}
}
