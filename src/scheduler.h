/*-------------------------------------------------------------------------
 *
 * scheduler.h
 *		Recurring jobs run by the launcher.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/scheduler.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_SCHEDULER_H
#define LEADGEN_SCHEDULER_H

#include "datatype/timestamp.h"

extern TimestampTz SchedulerNextRun(const char *schedule, const char *timezone, TimestampTz after);
extern int	SchedulerRunDue(void);
extern int64 SchedulerStartRun(const char *job_name);

#endif							/* LEADGEN_SCHEDULER_H */
