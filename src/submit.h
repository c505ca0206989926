/*-------------------------------------------------------------------------
 *
 * submit.h
 *		Lead submission: schema-level checks and the ingest queue.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/submit.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_SUBMIT_H
#define LEADGEN_SUBMIT_H

#include "nodes/pg_list.h"
#include "utils/jsonb.h"

/* What the schema check found out of a payload, besides its problems. */
typedef struct SubmitKeys
{
	bool		has_broker;
	int64		broker_id;
	char	   *external_id;	/* NULL when absent or blank */
} SubmitKeys;

/*
 * Which brokers' leads a role may submit (leadgen.broker_roles): those of
 * the broker it is bound to, any (a superuser, a member of leadgen_admin,
 * or a caller that decided itself, such as the REST gateway per API key),
 * or only leads without a broker (a role bound to none).
 */
typedef enum SubmitScopeKind
{
	SUBMIT_SCOPE_ANY,
	SUBMIT_SCOPE_BROKER,
	SUBMIT_SCOPE_NONE
} SubmitScopeKind;

typedef struct SubmitScope
{
	SubmitScopeKind kind;
	int64		broker_id;		/* SUBMIT_SCOPE_BROKER */
	Oid			role;			/* for messages; InvalidOid: an API key */
} SubmitScope;

extern List *SubmitCheck(Jsonb *payload, SubmitKeys *keys);
extern List *SubmitCheckScoped(Jsonb **payload, SubmitKeys *keys, const SubmitScope *scope,
							   char **refusal);
extern void SubmitScopeOfRole(Oid role, SubmitScope *scope);
extern Jsonb *SubmitWithBroker(Jsonb *payload, int64 broker_id);
extern char *SubmitBrokerProblem(int64 broker_id);
extern int64 SubmitEnqueue(Jsonb *payload, const SubmitKeys *keys, int32 priority, bool *created);
extern char *SubmitProblemsText(List *problems);
extern void SubmitWakeAtCommit(void);

#endif							/* LEADGEN_SUBMIT_H */
