/*-------------------------------------------------------------------------
 *
 * leadread.h
 *		A lead's payload: its known keys, once, and reading it for the rules.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/leadread.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_LEADREAD_H
#define LEADGEN_LEADREAD_H

#include "utils/jsonb.h"

#include "validate.h"

/* The JSON type a known key must have. */
typedef enum LeadKeyKind
{
	LEAD_KEY_STRING,
	LEAD_KEY_NUMBER,
	LEAD_KEY_BOOLEAN,
	LEAD_KEY_ARRAY,
	LEAD_KEY_OBJECT
} LeadKeyKind;

#define LEAD_KEY_NO_FIELD	((size_t) -1)

/*
 * A known key of a lead's payload: its name, its JSON type (submission
 * refuses another), and for a top-level string the LeadgenLead field it
 * is read into (the others are read by LeadRead itself).
 */
typedef struct LeadKey
{
	const char *name;
	LeadKeyKind kind;
	size_t		field;			/* offsetof(LeadgenLead, ...) or LEAD_KEY_NO_FIELD */
	bool		column;			/* a column of leadgen.leads (not kept in details) */
} LeadKey;

extern const LeadKey lead_keys[];
extern const int lead_nkeys;

extern const char *LeadKeyKindName(LeadKeyKind kind);
extern const char *LeadValueKind(const JsonbValue *v, LeadKeyKind *kind);
extern void LeadRead(Jsonb *payload, LeadgenLead *in);
extern char *LeadColumnKeys(void);

#endif							/* LEADGEN_LEADREAD_H */
