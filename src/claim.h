/*-------------------------------------------------------------------------
 *
 * claim.h
 *		Taking due rows of leadgen.leads_pending for a batch.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/claim.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_CLAIM_H
#define LEADGEN_CLAIM_H

#include "lead.h"

extern void ClaimPrepare(void);
extern Lead *Claim(int batch_size, int64 one_id, TimestampTz now, int *nleads);
extern void ClaimFromLastEnd(bool on);
extern void ClaimForgetEnd(void);
extern void ClaimResetActive(void);

#endif							/* LEADGEN_CLAIM_H */
