/*-------------------------------------------------------------------------
 *
 * bgxact.h
 *		The transactions of pg_leadgen's background workers.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/bgxact.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_BGXACT_H
#define LEADGEN_BGXACT_H

extern void BgXactBegin(const char *activity);
extern bool BgXactBeginIfReady(const char *activity);
extern void BgXactCommit(void);
extern void BgXactForgetReadiness(void);
extern bool LeadgenDatabaseReady(void);

#endif							/* LEADGEN_BGXACT_H */
