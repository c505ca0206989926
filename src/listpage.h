/*-------------------------------------------------------------------------
 *
 * listpage.h
 *		The JSON page of a list route and its signed cursors.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/listpage.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_LISTPAGE_H
#define LEADGEN_LISTPAGE_H

#include "access/htup_details.h"
#include "utils/array.h"

/* Hex characters of a cursor's signature (the first 12 bytes of HMAC-SHA256). */
#define LIST_CURSOR_SIGN_CHARS	24

typedef struct ListPage ListPage;

extern ListPage *ListPageStart(MemoryContext cxt, HeapTupleHeader row, Oid keytype, Oid collation,
							   int32 lim, int64 off, const char *sort, ArrayType *fields);
extern void ListPageAddRow(ListPage *page, HeapTupleHeader row, Datum key, bool keynull, int64 id);
extern text *ListPageFinish(ListPage *page, Oid nsp);
extern text *ListPageEmpty(int lim, int64 off);
extern text *ListCursorEncode(Oid nsp, const char *sort, const char *key, int64 id);
extern void ListCursorSign(Oid nsp, const char *payload, size_t len, char *out);
extern void ListCursorSetContext(const char *context);
extern bool ListCursorVerify(Oid nsp, const char *payload, size_t len, const char *signature, size_t siglen);

#endif							/* LEADGEN_LISTPAGE_H */
