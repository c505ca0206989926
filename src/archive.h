/*-------------------------------------------------------------------------
 *
 * archive.h
 *		What an archive policy's predicate may say.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/archive.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_ARCHIVE_H
#define LEADGEN_ARCHIVE_H

extern char *ArchivePredicateCheck(Oid relid, const char *predicate, Oid owner);

#endif							/* LEADGEN_ARCHIVE_H */
