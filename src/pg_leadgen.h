/*-------------------------------------------------------------------------
 *
 * pg_leadgen.h
 *		Declarations shared by the modules of pg_leadgen.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/pg_leadgen.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef PG_LEADGEN_H
#define PG_LEADGEN_H

#include "access/attnum.h"

#define LEADGEN_GUC_PREFIX		"leadgen"
#define LEADGEN_EXTENSION_NAME	"pg_leadgen"
#define LEADGEN_SCHEMA_NAME		"leadgen"
#define LEADGEN_LAUNCHER_TYPE	"pg_leadgen launcher"
#define LEADGEN_WORKER_TYPE		"pg_leadgen worker"
#define LEADGEN_JOB_TYPE		"pg_leadgen job"
#define LEADGEN_MAX_WORKERS		32

/* guc.c */
extern char *leadgen_database;
extern bool leadgen_scheduler;
extern int	leadgen_job_history_days;
extern int	leadgen_naptime;
extern int	leadgen_workers;
extern int	leadgen_batch_size;
extern int	leadgen_poll_interval;
extern int	leadgen_max_payload_size;
extern char *leadgen_standby_names;
extern void GucInit(bool preloading);

/* worker.c */
extern void WorkerRegister(void);

#endif							/* PG_LEADGEN_H */
