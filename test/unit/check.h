/*-------------------------------------------------------------------------
 *
 * check.h
 *		The counting check() of pg_leadgen's unit test programs.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *	  test/unit/check.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_UNIT_CHECK_H
#define LEADGEN_UNIT_CHECK_H

/* Count one check; print a line naming it when it fails. */
extern void check(int ok, const char *fmt,...);

/* Print "N passed, N failed" and return the program's exit status. */
extern int	check_summary(void);

#endif							/* LEADGEN_UNIT_CHECK_H */
