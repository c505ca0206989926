/*-------------------------------------------------------------------------
 *
 * dupscan.h
 *		The duplicate probe: the original of a contact, read from the
 *		contact indexes of leadgen.leads without the planner.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/dupscan.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_DUPSCAN_H
#define LEADGEN_DUPSCAN_H

#include "datatype/timestamp.h"

/* The two contact indexes of leadgen.leads. */
typedef enum DupContact
{
	DUP_EMAIL = 0,
	DUP_PHONE = 1
} DupContact;

/* One lookup: a lead's normalized contact, type and window. */
typedef struct DupProbe
{
	/* in */
	const char *key;			/* normalized email or phone */
	const char *insurance_type; /* normalized type */
	int64		self_id;		/* the lead itself, never its own original */
	TimestampTz lo;				/* window, both edges included */
	TimestampTz hi;

	/* out: the earliest non-rejected match, by (created_at, id) */
	bool		found;
	TimestampTz at;
	int64		id;
	int64		ref;			/* its duplicate_of, or its id */
} DupProbe;

extern void DupScan(DupContact contact, DupProbe *probes, int n);

#endif							/* LEADGEN_DUPSCAN_H */
