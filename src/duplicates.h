/*-------------------------------------------------------------------------
 *
 * duplicates.h
 *		Which leads of a batch are duplicates, and of which original.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/duplicates.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_DUPLICATES_H
#define LEADGEN_DUPLICATES_H

#include "lead.h"

extern void DuplicatesGateAcquire(void);
extern void DuplicatesGateRelease(void);
extern int	DuplicatesLockKeys(Lead *leads, int n);
extern void DuplicatesWait(void);
extern void DuplicatesFind(Lead *leads, int n);

#endif							/* LEADGEN_DUPLICATES_H */
