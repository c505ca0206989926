/*-------------------------------------------------------------------------
 *
 * security.h
 *		Who may touch which table, and running SQL as another role.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/security.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_SECURITY_H
#define LEADGEN_SECURITY_H

#include "utils/jsonb.h"

/* What SecurityEnterRole saved, for SecurityLeaveRole. */
typedef struct SecurityRoleSwitch
{
	Oid			save_user;
	int			save_sec;
	int			save_nestlevel;
} SecurityRoleSwitch;

extern void SecurityCheckUserTable(Oid relid);
extern Oid	SecurityCallerRole(void);
extern void SecurityCheckPrivileges(Oid relid, Oid role, const char *privileges);
extern void SecurityCheckCalledByOwner(Oid fn_oid);
extern void SecurityEnterRole(Oid role, const char *search_path, SecurityRoleSwitch *sw);
extern void SecurityLeaveRole(SecurityRoleSwitch *sw);
extern Jsonb *SecurityRunAs(Oid role, const char *sql);

#endif							/* LEADGEN_SECURITY_H */
