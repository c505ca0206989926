/*-------------------------------------------------------------------------
 *
 * replication.h
 *		Whether a standby has what this primary wrote.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/replication.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_REPLICATION_H
#define LEADGEN_REPLICATION_H

/* The longest wait_for_standby() accepts, in milliseconds. */
#define STANDBY_WAIT_MAX_MS	60000

extern bool StandbyWaitFlush(int timeout_ms, bool session);

#endif							/* LEADGEN_REPLICATION_H */
