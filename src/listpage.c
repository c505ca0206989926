/*-------------------------------------------------------------------------
 *
 * listpage.c
 *		The JSON page of a list route, written in one pass, and the signed
 *		cursors of the next pages.
 *
 * A list route (GET /api/v1/leads, /agents, /carriers) answers
 *
 *		{"data":[{...},...],"limit":L,"offset":O,"next_cursor":C}
 *
 * The statement of the route (leadgen.api_list_statement) selects limit + 1
 * rows in page order and hands them to the aggregate leadgen.api_page():
 * each of the first `limit` rows becomes one object whose keys are the
 * asked fields; the row after them only says that a next page exists,
 * whose cursor is [sort, key, id] of the last row shown, signed here.
 *
 * Why C: json_build_object() looks up how to write each value (base type,
 * array or composite, output function) again for every value of every
 * row, and a page of 20 leads is 380 values; here it is looked up once
 * per column and page. The cursor's signature reads the secret directly
 * instead of calling a SECURITY DEFINER function, whose SET search_path
 * costs more than the hash.
 *
 * The rows must arrive in page order. The statement's subquery orders
 * them, and the aggregate checks each row against the one before with the
 * sort key's btree comparison: a plan that fed them otherwise would fail
 * the statement rather than answer a page out of order.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/listpage.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/heapam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "access/tableam.h"
#include "access/transam.h"
#include "catalog/pg_type.h"
#include "common/base64.h"
#include "common/cryptohash.h"
#include "common/hmac.h"
#include "common/jsonapi.h"
#include "common/sha2.h"
#include "lib/stringinfo.h"
#include "mb/pg_wchar.h"
#include "nodes/makefuncs.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/datum.h"
#include "utils/datetime.h"
#include "utils/fmgroids.h"
#include "utils/json.h"
#include "utils/lsyscache.h"
#include "utils/snapmgr.h"
#include "utils/typcache.h"

#include "listpage.h"

/* How a value is written in JSON, as to_json() writes it. */
typedef enum ListValueKind
{
	VK_NUMBER,					/* the output text, quoted when not a JSON number (NaN) */
	VK_BOOL,					/* true / false */
	VK_STRING,					/* the output text, quoted and escaped */
	VK_DATETIME,				/* date, timestamp, timestamptz: ISO 8601, quoted */
	VK_JSON,					/* json, jsonb: the output text as it is */
	VK_ARRAY,					/* a one-dimensional array of one of the above */
	VK_OTHER					/* anything else (composites, ...): to_json() itself */
} ListValueKind;

typedef struct ListValue
{
	ListValueKind kind;
	Oid			typid;			/* the base type (under domains) */
	FmgrInfo	out;			/* its output function (of the element, for arrays) */
	/* VK_ARRAY */
	ListValueKind elemkind;
	Oid			elemtype;
	int16		elemlen;
	bool		elembyval;
	char		elemalign;
	/* VK_OTHER, and arrays of more than one dimension */
	FmgrInfo	tojson;
} ListValue;

struct ListPage
{
	MemoryContext cxt;			/* the aggregate's: lives until the page is written */
	StringInfoData buf;			/* {"data":[ and the rows so far */
	int64		nrows;
	int32		lim;
	int64		off;
	char	   *sort;
	bool		desc;
	/* the columns of the rows: "key": and how to write the value */
	Oid			rectype;
	int32		rectypmod;
	TupleDesc	desc_copy;		/* the row type's, looked up once */
	int			natts;
	char	  **keys;
	ListValue  *cols;
	Datum	   *values;
	bool	   *nulls;
	/* the sort key, to check the order and write the cursor */
	ListValue	key;
	Oid			keytype;
	int16		keylen;
	bool		keybyval;
	Oid			collation;
	FmgrInfo   *keycmp;
	bool		have_prev;
	bool		prev_null;
	Datum		prev_key;
	int64		prev_id;
	/* the cursor of the next page: the key and id of the last row shown */
	char	   *cursor_key;
	int64		cursor_id;
	bool		more;
};

/*
 * value_kind_of
 *		How values of a base type (not an array) are written, or VK_OTHER.
 */
static ListValueKind
value_kind_of(Oid typid)
{
	switch (typid)
	{
		case INT2OID:
		case INT4OID:
		case INT8OID:
		case FLOAT4OID:
		case FLOAT8OID:
		case NUMERICOID:
			return VK_NUMBER;
		case BOOLOID:
			return VK_BOOL;
		case DATEOID:
		case TIMESTAMPOID:
		case TIMESTAMPTZOID:
			return VK_DATETIME;
		case JSONOID:
		case JSONBOID:
			return VK_JSON;
		default:
			break;
	}

	/*
	 * Other built-in types are written as strings. Composites, pseudo-types
	 * (an anyarray column of pg_stats holds arrays) and the types of users
	 * (which may have a cast to json) go to to_json(), which knows them all.
	 */
	if (type_is_rowtype(typid) || typid >= FirstNormalObjectId || get_typtype(typid) == TYPTYPE_PSEUDO)
		return VK_OTHER;
	return VK_STRING;
}

/*
 * value_setup
 *		Look up once how values of typid are written.
 */
static void
value_setup(ListValue *v, Oid typid, MemoryContext cxt)
{
	Oid			outfn;
	bool		isvarlena;
	Oid			elem;

	memset(v, 0, sizeof(*v));
	v->typid = getBaseType(typid);
	elem = get_element_type(v->typid);
	if (OidIsValid(elem))
	{
		v->elemtype = getBaseType(elem);
		v->elemkind = OidIsValid(get_element_type(v->elemtype)) ? VK_OTHER : value_kind_of(v->elemtype);
		v->kind = v->elemkind == VK_OTHER ? VK_OTHER : VK_ARRAY;
		get_typlenbyvalalign(elem, &v->elemlen, &v->elembyval, &v->elemalign);
		getTypeOutputInfo(v->elemtype, &outfn, &isvarlena);
	}
	else
	{
		v->kind = value_kind_of(v->typid);
		getTypeOutputInfo(v->typid, &outfn, &isvarlena);
	}
	fmgr_info_cxt(outfn, &v->out, cxt);

	/*
	 * to_json() reads the type of its argument from its call expression;
	 * give it one. Arrays keep it for more than one dimension.
	 */
	if (v->kind == VK_OTHER || v->kind == VK_ARRAY)
	{
		MemoryContext old = MemoryContextSwitchTo(cxt);

		fmgr_info_cxt(F_TO_JSON, &v->tojson, cxt);
		v->tojson.fn_expr = (Node *) makeFuncExpr(F_TO_JSON, JSONOID,
												  list_make1(makeNullConst(typid, -1, InvalidOid)),
												  InvalidOid, InvalidOid, COERCE_EXPLICIT_CALL);
		MemoryContextSwitchTo(old);
	}
}

/*
 * scalar_write
 *		Write one non-null value of a scalar kind.
 */
static void
scalar_write(StringInfo buf, ListValueKind kind, Oid typid, FmgrInfo *out, Datum value)
{
	char	   *s;

	switch (kind)
	{
		case VK_BOOL:
			appendStringInfoString(buf, DatumGetBool(value) ? "true" : "false");
			return;
		case VK_DATETIME:
			{
				char		tmp[MAXDATELEN + 1];

				appendStringInfoChar(buf, '"');
				appendStringInfoString(buf, JsonEncodeDateTime(tmp, value, typid, NULL));
				appendStringInfoChar(buf, '"');
				return;
			}
		case VK_NUMBER:
			s = OutputFunctionCall(out, value);
			if (IsValidJsonNumber(s, strlen(s)))
				appendStringInfoString(buf, s);
			else
				escape_json(buf, s);
			break;
		case VK_JSON:
			s = OutputFunctionCall(out, value);
			appendStringInfoString(buf, s);
			break;
		default:
			s = OutputFunctionCall(out, value);
			escape_json(buf, s);
			break;
	}
	pfree(s);
}

/*
 * value_write
 *		Write one non-null value.
 */
static void
value_write(StringInfo buf, ListValue *v, Datum value)
{
	if (v->kind == VK_ARRAY)
	{
		ArrayType  *a = DatumGetArrayTypeP(value);

		if (ARR_NDIM(a) <= 1)
		{
			Datum	   *elems;
			bool	   *enulls;
			int			n;

			deconstruct_array(a, ARR_ELEMTYPE(a), v->elemlen, v->elembyval, v->elemalign, &elems, &enulls, &n);
			appendStringInfoChar(buf, '[');
			for (int i = 0; i < n; i++)
			{
				if (i > 0)
					appendStringInfoChar(buf, ',');
				if (enulls[i])
					appendStringInfoString(buf, "null");
				else
					scalar_write(buf, v->elemkind, v->elemtype, &v->out, elems[i]);
			}
			appendStringInfoChar(buf, ']');
			pfree(elems);
			pfree(enulls);
			return;
		}
		/* more dimensions: nested arrays, as to_json() writes them */
	}
	if (v->kind == VK_ARRAY || v->kind == VK_OTHER)
	{
		text	   *j = DatumGetTextPP(FunctionCall1(&v->tojson, value));

		appendBinaryStringInfo(buf, VARDATA_ANY(j), VARSIZE_ANY_EXHDR(j));
		return;
	}
	scalar_write(buf, v->kind, v->typid, &v->out, value);
}

/*
 * key_text
 *		The sort key as the cursor carries it: what to_json(key) #>> '{}'
 *		gives, which the cursor's decoder casts back to the key's type.
 */
static char *
key_text(ListPage *st, Datum key)
{
	if (st->key.kind == VK_DATETIME)
	{
		char		tmp[MAXDATELEN + 1];

		return pstrdup(JsonEncodeDateTime(tmp, key, st->key.typid, NULL));
	}
	return OutputFunctionCall(&st->key.out, key);
}

/*---- cursors ----*/

/*
 * cursor_secret
 *		The secret of the extension whose schema is nsp (table api_secret).
 *		Read directly, without the table's privileges: the roles that may
 *		call the list functions need not be granted the table, and only a
 *		signature made with the secret leaves this file.
 */
static char *
cursor_secret(Oid nsp)
{
	Oid			relid = get_relname_relid("api_secret", nsp);
	Relation	rel;
	TableScanDesc scan;
	Snapshot	snap;
	HeapTuple	tup;
	AttrNumber	att;
	char	   *secret = NULL;

	if (!OidIsValid(relid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("the table of the cursor secret is missing"),
				 errhint("Reinstall the extension: DROP EXTENSION pg_leadgen; CREATE EXTENSION pg_leadgen CASCADE.")));
	rel = table_open(relid, AccessShareLock);
	att = get_attnum(relid, "secret");
	snap = RegisterSnapshot(GetLatestSnapshot());
	scan = table_beginscan(rel, snap, 0, NULL);
	tup = heap_getnext(scan, ForwardScanDirection);
	if (tup != NULL && att != InvalidAttrNumber)
	{
		bool		isnull;
		Datum		d = heap_getattr(tup, att, RelationGetDescr(rel), &isnull);

		if (!isnull)
			secret = TextDatumGetCString(d);
	}
	table_endscan(scan);
	UnregisterSnapshot(snap);
	table_close(rel, AccessShareLock);
	if (secret == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_NO_DATA_FOUND),
				 errmsg("the cursor secret is missing"),
				 errhint("Reinstall the extension: DROP EXTENSION pg_leadgen; CREATE EXTENSION pg_leadgen CASCADE.")));
	return secret;
}

/*
 * The list a cursor belongs to while a list route runs its statement
 * (ListRouteRun: the resource and its filters with their values), signed
 * with every cursor made or checked meanwhile: a cursor of one list is
 * refused by another (a cursor of /leads?state=CA served /leads?state=NY,
 * and one of /leads?sort=id served /agents?sort=id). NULL otherwise.
 */
static const char *cursor_context = NULL;

void
ListCursorSetContext(const char *context)
{
	cursor_context = context;
}

/*
 * ListCursorSign
 *		The signature of payload: the first 24 hex characters of
 *		HMAC-SHA256 keyed with the secret of the extension whose schema is
 *		nsp, over the payload (in the server's encoding) taken as UTF-8,
 *		whatever the database's encoding, then the list's context when a
 *		list route runs (ListCursorSetContext). Written into out
 *		(LIST_CURSOR_SIGN_CHARS + 1 bytes).
 *
 * An HMAC and not SHA-256(secret || payload): with a plain hash, whoever
 * holds one signed payload can extend it and compute a valid signature of
 * the longer text without the secret (length extension).
 */
void
ListCursorSign(Oid nsp, const char *payload, size_t len, char *out)
{
	char	   *secret = cursor_secret(nsp);
	char	   *utf8 = pg_server_to_any(payload, len, PG_UTF8);
	size_t		utf8len = utf8 == payload ? len : strlen(utf8);
	pg_hmac_ctx *ctx = pg_hmac_create(PG_SHA256);
	uint8		digest[PG_SHA256_DIGEST_LENGTH];
	static const char hex[] = "0123456789abcdef";

	if (ctx == NULL)
		ereport(ERROR,
				(errcode(ERRCODE_OUT_OF_MEMORY),
				 errmsg("out of memory")));
	/* the secret is hex, the same in every encoding; the payload is signed as UTF-8 */
	if (pg_hmac_init(ctx, (const uint8 *) secret, strlen(secret)) < 0 ||
		pg_hmac_update(ctx, (const uint8 *) utf8, utf8len) < 0 ||
		(cursor_context != NULL &&
		 (pg_hmac_update(ctx, (const uint8 *) "\x1f", 1) < 0 ||
		  pg_hmac_update(ctx, (const uint8 *) cursor_context, strlen(cursor_context)) < 0)) ||
		pg_hmac_final(ctx, digest, sizeof(digest)) < 0)
		ereport(ERROR,
				(errcode(ERRCODE_INTERNAL_ERROR),
				 errmsg("could not sign a list cursor: %s", pg_hmac_error(ctx))));
	pg_hmac_free(ctx);
	explicit_bzero(secret, strlen(secret));
	pfree(secret);
	if (utf8 != payload)
		pfree(utf8);
	for (int i = 0; i < LIST_CURSOR_SIGN_CHARS / 2; i++)
	{
		out[2 * i] = hex[digest[i] >> 4];
		out[2 * i + 1] = hex[digest[i] & 0xF];
	}
	out[LIST_CURSOR_SIGN_CHARS] = '\0';
	explicit_bzero(digest, sizeof(digest));
}

/*
 * ListCursorVerify
 *		Whether signature (siglen bytes) is the signature of payload, by a
 *		comparison whose time does not depend on where the two differ: a
 *		caller that times its attempts learns nothing of the right
 *		signature.
 */
bool
ListCursorVerify(Oid nsp, const char *payload, size_t len, const char *signature, size_t siglen)
{
	char		expect[LIST_CURSOR_SIGN_CHARS + 1];
	unsigned char diff = 0;

	ListCursorSign(nsp, payload, len, expect);
	if (siglen != LIST_CURSOR_SIGN_CHARS)
		return false;			/* the length is no secret */
	for (int i = 0; i < LIST_CURSOR_SIGN_CHARS; i++)
		diff |= (unsigned char) (expect[i] ^ signature[i]);
	return diff == 0;
}

/*
 * ListCursorEncode
 *		The cursor of the page after the row (key, id) in sort order:
 *		base64url([sort, key, id]) "." signature. Allocated in the current
 *		memory context.
 */
text *
ListCursorEncode(Oid nsp, const char *sort, const char *key, int64 id)
{
	StringInfoData p;
	char		sign[LIST_CURSOR_SIGN_CHARS + 1];
	char	   *utf8;
	int			utf8len;
	int			cap;
	int			n;
	text	   *t;
	char	   *d;
	char	   *w;

	initStringInfo(&p);
	appendStringInfoChar(&p, '[');
	escape_json(&p, sort);
	appendStringInfoChar(&p, ',');
	escape_json(&p, key);
	appendStringInfo(&p, "," INT64_FORMAT "]", id);
	ListCursorSign(nsp, p.data, p.len, sign);

	/* the decoder reads the payload as UTF-8 */
	utf8 = pg_server_to_any(p.data, p.len, PG_UTF8);
	utf8len = utf8 == p.data ? p.len : (int) strlen(utf8);
	cap = pg_b64_enc_len(utf8len);
	t = palloc(VARHDRSZ + cap + 1 + LIST_CURSOR_SIGN_CHARS);
	d = VARDATA(t);
	n = pg_b64_encode(utf8, utf8len, d, cap);
	if (n < 0)
		elog(ERROR, "could not encode a list cursor");
	/* base64url without padding */
	w = d;
	for (int i = 0; i < n; i++)
	{
		if (d[i] == '=')
			continue;
		*w++ = d[i] == '+' ? '-' : d[i] == '/' ? '_' : d[i];
	}
	*w++ = '.';
	memcpy(w, sign, LIST_CURSOR_SIGN_CHARS);
	w += LIST_CURSOR_SIGN_CHARS;
	SET_VARSIZE(t, w - (char *) t);
	if (utf8 != p.data)
		pfree(utf8);
	pfree(p.data);
	return t;
}

/*---- the page ----*/

/*
 * ListPageStart
 *		A page, at its first row: in cxt (the aggregate's context), with
 *		what is the same for every row. row gives the row type, whose
 *		columns are named by fields; keytype and collation are those of the
 *		sort key. Fails on a limit below 1 or a row and fields that differ
 *		in width.
 */
ListPage *
ListPageStart(MemoryContext cxt, HeapTupleHeader row, Oid keytype, Oid collation,
			  int32 lim, int64 off, const char *sort, ArrayType *fields)
{
	MemoryContext old = MemoryContextSwitchTo(cxt);
	ListPage   *st = palloc0(sizeof(ListPage));
	Datum	   *names;
	bool	   *namenulls;
	int			nnames;
	TupleDesc	desc;
	TypeCacheEntry *tc;

	if (lim < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("the limit of a page must be positive, not %d", lim)));
	st->cxt = cxt;
	st->lim = lim;
	st->off = off;
	st->sort = pstrdup(sort);
	st->desc = sort[0] == '-';

	/* the columns: their names and how to write them */
	deconstruct_array(fields, TEXTOID, -1, false, TYPALIGN_INT, &names, &namenulls, &nnames);
	st->rectype = HeapTupleHeaderGetTypeId(row);
	st->rectypmod = HeapTupleHeaderGetTypMod(row);
	desc = lookup_rowtype_tupdesc(st->rectype, st->rectypmod);
	if (desc->natts != nnames)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("a page row has %d columns but %d field names", desc->natts, nnames)));
	st->natts = nnames;
	st->keys = palloc(sizeof(char *) * nnames);
	st->cols = palloc(sizeof(ListValue) * nnames);
	st->values = palloc(sizeof(Datum) * nnames);
	st->nulls = palloc(sizeof(bool) * nnames);
	for (int i = 0; i < nnames; i++)
	{
		StringInfoData k;

		if (namenulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("a field name of a page is null")));
		initStringInfo(&k);
		appendStringInfoChar(&k, i == 0 ? '{' : ',');
		escape_json(&k, TextDatumGetCString(names[i]));
		appendStringInfoChar(&k, ':');
		st->keys[i] = k.data;
		value_setup(&st->cols[i], TupleDescAttr(desc, i)->atttypid, cxt);
	}
	st->desc_copy = CreateTupleDescCopy(desc);
	ReleaseTupleDesc(desc);

	/* the sort key: how to write it into a cursor, and how to compare it */
	st->keytype = keytype;
	value_setup(&st->key, keytype, cxt);
	if (st->key.kind != VK_NUMBER && st->key.kind != VK_DATETIME && st->key.kind != VK_STRING)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("a list page cannot be sorted by a value of type %s", format_type_be(keytype)),
				 errhint("Sort by a number, a date or time, or a string: the cursor carries it as text.")));
	get_typlenbyval(keytype, &st->keylen, &st->keybyval);
	tc = lookup_type_cache(keytype, TYPECACHE_CMP_PROC_FINFO);
	if (!OidIsValid(tc->cmp_proc_finfo.fn_oid))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_FUNCTION),
				 errmsg("could not identify a comparison function for type %s", format_type_be(keytype))));
	st->keycmp = &tc->cmp_proc_finfo;
	st->collation = collation;

	initStringInfo(&st->buf);
	appendStringInfoString(&st->buf, "{\"data\":[");
	MemoryContextSwitchTo(old);
	return st;
}

/*
 * page_check_order
 *		Fail when (key, id) comes before the previous row in page order.
 *		Rows with a null key are not compared (NULLS FIRST / LAST put them
 *		together at one end). Equal ones pass: two rows of leads may share
 *		an id (its key is (id, created_at); pg_leadgen gives each lead its
 *		own, a row written by hand may not), and such a pair failed the
 *		page with a 500; a cursor cut between them skips the second.
 */
static void
page_check_order(ListPage *st, Datum key, bool keynull, int64 id)
{
	if (st->have_prev && !keynull && !st->prev_null)
	{
		int32		c = DatumGetInt32(FunctionCall2Coll(st->keycmp, st->collation, st->prev_key, key));

		if (c == 0)
			c = st->prev_id < id ? -1 : st->prev_id > id ? 1 : 0;
		if (st->desc ? c < 0 : c > 0)
			ereport(ERROR,
					(errcode(ERRCODE_INTERNAL_ERROR),
					 errmsg("the rows of a list page arrived out of order (id " INT64_FORMAT " after " INT64_FORMAT ")",
							id, st->prev_id),
					 errhint("The list statement must select its rows ordered by the sort key and id.")));
	}
	if (!st->keybyval && st->have_prev && !st->prev_null)
		pfree(DatumGetPointer(st->prev_key));
	st->have_prev = true;
	st->prev_null = keynull;
	st->prev_key = keynull ? (Datum) 0 : datumCopy(key, st->keybyval, st->keylen);
	st->prev_id = id;
}

/*
 * ListPageAddRow
 *		One row of the page, in page order: written when within the limit,
 *		otherwise only noted (a next page exists). Fails when the row comes
 *		out of order or is of another row type than the first.
 */
void
ListPageAddRow(ListPage *st, HeapTupleHeader row, Datum key, bool keynull, int64 id)
{
	MemoryContext old;
	HeapTupleData tup;

	if (HeapTupleHeaderGetTypeId(row) != st->rectype || HeapTupleHeaderGetTypMod(row) != st->rectypmod)
		ereport(ERROR,
				(errcode(ERRCODE_DATATYPE_MISMATCH),
				 errmsg("the rows of a page must all be of one row type")));

	/* what outlives the row (the key to compare the next one with) in the page's context */
	old = MemoryContextSwitchTo(st->cxt);
	page_check_order(st, key, keynull, id);
	MemoryContextSwitchTo(old);
	st->nrows++;
	if (st->nrows > st->lim)
	{
		/* the first row of the next page: it exists */
		st->more = true;
		return;
	}

	/*
	 * The row is written in the caller's (per-row) context: detoasted
	 * values and output texts go with it; the buffer keeps its own.
	 */
	tup.t_len = HeapTupleHeaderGetDatumLength(row);
	ItemPointerSetInvalid(&tup.t_self);
	tup.t_tableOid = InvalidOid;
	tup.t_data = row;
	heap_deform_tuple(&tup, st->desc_copy, st->values, st->nulls);

	if (st->nrows > 1)
		appendStringInfoChar(&st->buf, ',');
	for (int i = 0; i < st->natts; i++)
	{
		appendStringInfoString(&st->buf, st->keys[i]);
		if (st->nulls[i])
			appendStringInfoString(&st->buf, "null");
		else
			value_write(&st->buf, &st->cols[i], st->values[i]);
	}
	appendStringInfoChar(&st->buf, '}');

	if (st->nrows == st->lim)
	{
		old = MemoryContextSwitchTo(st->cxt);
		st->cursor_key = keynull ? NULL : key_text(st, key);
		st->cursor_id = id;
		MemoryContextSwitchTo(old);
	}
}

/*
 * page_tail
 *		The end of a page after its rows: limit, offset and the next page's
 *		cursor (NULL for none, written as null).
 */
static void
page_tail(StringInfo out, int lim, int64 off, text *cursor)
{
	appendStringInfo(out, "],\"limit\":%d,\"offset\":" INT64_FORMAT ",\"next_cursor\":", lim, off);
	if (cursor != NULL)
	{
		appendStringInfoChar(out, '"');
		appendBinaryStringInfo(out, VARDATA(cursor), VARSIZE(cursor) - VARHDRSZ);
		appendStringInfoChar(out, '"');
	}
	else
		appendStringInfoString(out, "null");
	appendStringInfoChar(out, '}');
}

/*
 * ListPageFinish
 *		The page as text, in the current memory context; the cursor of the
 *		next page is signed with the secret of the extension in schema nsp.
 *		The page itself is only read (a final function may run twice).
 */
text *
ListPageFinish(ListPage *st, Oid nsp)
{
	StringInfoData tail;
	text	   *result;

	initStringInfo(&tail);
	page_tail(&tail, st->lim, st->off,
			  st->more && st->cursor_key != NULL ? ListCursorEncode(nsp, st->sort, st->cursor_key, st->cursor_id) : NULL);

	result = palloc(VARHDRSZ + st->buf.len + tail.len);
	SET_VARSIZE(result, VARHDRSZ + st->buf.len + tail.len);
	memcpy(VARDATA(result), st->buf.data, st->buf.len);
	memcpy(VARDATA(result) + st->buf.len, tail.data, tail.len);
	pfree(tail.data);
	return result;
}

/*
 * ListPageEmpty
 *		The page of a list without rows, written as ListPageFinish writes
 *		pages (the aggregate sees no row, so it cannot know the limit and
 *		offset of an empty page).
 */
text *
ListPageEmpty(int lim, int64 off)
{
	StringInfoData out;

	initStringInfo(&out);
	appendStringInfoString(&out, "{\"data\":[");
	page_tail(&out, lim, off, NULL);
	return cstring_to_text_with_len(out.data, out.len);
}
