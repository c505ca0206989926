/*-------------------------------------------------------------------------
 *
 * security.c
 *		Who may touch which table, and running SQL as another role.
 *
 * pg_leadgen's table functions (perf_table_stats, perf_optimize_table,
 * archive policies) serve the database's own tables: PostgreSQL's catalogs
 * and the tables of other extensions are refused whoever asks, and a table
 * is served only to a role that may read it. The role asked about is the
 * caller's, not the SECURITY DEFINER function's owner: GetOuterUserId(),
 * the role of the session (after SET ROLE), which a job worker sets to the
 * job's owner; for the REST gateway, whose login role is in leadgen_api
 * and holds nothing itself, the role its route functions act as,
 * leadgen_api_owner (SecurityCallerRole).
 *
 * SQL written by a user and run on their behalf by a function that holds
 * more rights (an archive policy's predicate, a statement of another role
 * planned by the index advisor) runs as that user, the way PostgreSQL runs
 * index expressions and the like: under SetUserIdAndSecContext() with
 * SECURITY_RESTRICTED_OPERATION (no temporary tables, no SET ROLE, no
 * PREPARE, LISTEN or DISCARD, no cursors WITH HOLD), and settings changed
 * meanwhile are undone. The SQL-callable entry points that do so may be
 * called only by their own owner, that is from pg_leadgen's SECURITY
 * DEFINER functions: a role granted EXECUTE on them by mistake still
 * cannot run SQL as another role.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *		src/security.c
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/genam.h"
#include "access/htup_details.h"
#include "access/table.h"
#include "catalog/catalog.h"
#include "catalog/dependency.h"
#include "catalog/namespace.h"
#include "catalog/pg_authid_d.h"
#include "catalog/pg_class.h"
#include "catalog/pg_database.h"
#include "catalog/pg_namespace.h"
#include "catalog/pg_proc.h"
#include "catalog/pg_type.h"
#include "commands/extension.h"
#include "executor/spi.h"
#include "funcapi.h"
#include "miscadmin.h"
#include "utils/acl.h"
#include "utils/builtins.h"
#include "utils/fmgroids.h"
#include "utils/guc.h"
#include "utils/lsyscache.h"
#include "utils/regproc.h"
#include "utils/syscache.h"
#include "utils/varlena.h"

#include "pg_leadgen.h"
#include "security.h"

/*
 * SecurityCheckUserTable
 *		Refuse a relation of PostgreSQL's catalogs (pg_catalog,
 *		information_schema, pg_toast) or one that belongs to an extension
 *		other than pg_leadgen. Raises undefined_table for an OID that names
 *		no relation.
 */
void
SecurityCheckUserTable(Oid relid)
{
	Oid			nsp = get_rel_namespace(relid);
	char	   *nspname;
	char	   *relname;
	Oid			ext;

	if (!OidIsValid(nsp))
		ereport(ERROR,
				(errcode(ERRCODE_UNDEFINED_TABLE),
				 errmsg("relation with OID %u does not exist", relid)));
	nspname = get_namespace_name(nsp);
	relname = quote_qualified_identifier(nspname, get_rel_name(relid));
	if (IsCatalogNamespace(nsp) || IsToastNamespace(nsp) ||
		strcmp(nspname, "information_schema") == 0)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("\"%s\" is a system catalog", relname),
				 errhint("pg_leadgen's table functions serve the database's own tables, "
						 "not PostgreSQL's catalogs (pg_catalog, information_schema, pg_toast).")));
	ext = getExtensionOfObject(RelationRelationId, relid);
	if (OidIsValid(ext) && ext != get_extension_oid(LEADGEN_EXTENSION_NAME, true))
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("table \"%s\" belongs to extension \"%s\"", relname, get_extension_name(ext)),
				 errhint("An extension maintains its own tables; pass a table of the database or of pg_leadgen.")));
}

/*
 * SecurityCallerRole
 *		The role whose rights a table function judges: the session's, or
 *		for the REST gateway's session (a role with the privileges of
 *		leadgen_api) the owner of the route functions, leadgen_api_owner:
 *		the gateway acts for API keys, with the rights of the routes.
 */
Oid
SecurityCallerRole(void)
{
	Oid			role = GetOuterUserId();
	Oid			api = get_role_oid("leadgen_api", true);
	Oid			owner = get_role_oid("leadgen_api_owner", true);

	if (OidIsValid(api) && OidIsValid(owner) && !superuser_arg(role) && has_privs_of_role(role, api))
		return owner;
	return role;
}

/*
 * SecurityCheckPrivileges
 *		Refuse (insufficient_privilege) unless role holds every privilege of
 *		privileges (a comma-separated list of SELECT, INSERT, UPDATE, DELETE)
 *		on the relation as a whole.
 */
void
SecurityCheckPrivileges(Oid relid, Oid role, const char *privileges)
{
	static const struct
	{
		const char *name;
		AclMode		mode;
	}			modes[] =
	{
		{"SELECT", ACL_SELECT},
		{"INSERT", ACL_INSERT},
		{"UPDATE", ACL_UPDATE},
		{"DELETE", ACL_DELETE},
	};
	char	   *list = pstrdup(privileges);
	char	   *tok;
	char	   *save = NULL;

	for (tok = strtok_r(list, ", ", &save); tok != NULL; tok = strtok_r(NULL, ", ", &save))
	{
		int			i;

		for (i = 0; i < lengthof(modes); i++)
			if (pg_strcasecmp(tok, modes[i].name) == 0)
				break;
		if (i == lengthof(modes))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("unrecognized privilege type: \"%s\"", tok),
					 errhint("Name SELECT, INSERT, UPDATE or DELETE.")));
		if (pg_class_aclcheck(relid, role, modes[i].mode) != ACLCHECK_OK)
		{
			char	   *relname = quote_qualified_identifier(get_namespace_name(get_rel_namespace(relid)),
															 get_rel_name(relid));
			char	   *rolname = GetUserNameFromId(role, false);

			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("permission denied for table %s", relname),
					 errdetail("Role \"%s\" may not %s it, and pg_leadgen uses a table only as a role that may.",
							   rolname, modes[i].name),
					 errhint("GRANT %s ON %s TO %s, or use another table.", modes[i].name, relname,
							 quote_identifier(rolname))));
		}
	}
}

/*
 * SecurityCheckCalledByOwner
 *		Refuse unless the current user owns the function fn_oid: only
 *		pg_leadgen's SECURITY DEFINER functions (which run as the
 *		extension's owner) may call a function that runs SQL as another
 *		role. A superuser who is not the owner is refused too: nothing of
 *		pg_leadgen needs it, and the rule stays one line.
 */
void
SecurityCheckCalledByOwner(Oid fn_oid)
{
	HeapTuple	tup = SearchSysCache1(PROCOID, ObjectIdGetDatum(fn_oid));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for function %u", fn_oid);
	owner = ((Form_pg_proc) GETSTRUCT(tup))->proowner;
	ReleaseSysCache(tup);
	if (GetUserId() != owner)
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("function %s may be called only by its owner", format_procedure(fn_oid)),
				 errdetail("It runs SQL as another role."),
				 errhint("pg_leadgen's own functions call it; there is nothing to call it for.")));
}

/*
 * temp_objects_exist
 *		Whether this session's temporary schema holds a relation or a type
 *		(what a name may resolve to there without being qualified). A
 *		session that never made one has no temporary schema: nothing to
 *		read.
 */
static bool
temp_objects_exist(void)
{
	bool		found = false;
	Oid			temp_ns;
	Oid			temp_toast_ns;
	const struct
	{
		Oid			catalog;
		AttrNumber	namespace_column;
	}			catalogs[2] = {{RelationRelationId, Anum_pg_class_relnamespace},
							   {TypeRelationId, Anum_pg_type_typnamespace}};

	GetTempNamespaceState(&temp_ns, &temp_toast_ns);
	for (int c = 0; c < 2 && OidIsValid(temp_ns) && !found; c++)
	{
		Relation	rel = table_open(catalogs[c].catalog, AccessShareLock);
		ScanKeyData key;
		SysScanDesc scan;

		ScanKeyInit(&key, catalogs[c].namespace_column, BTEqualStrategyNumber, F_OIDEQ,
					ObjectIdGetDatum(temp_ns));
		scan = systable_beginscan(rel, InvalidOid, false, NULL, 1, &key);
		found = HeapTupleIsValid(systable_getnext(scan));
		systable_endscan(scan);
		table_close(rel, AccessShareLock);
	}
	return found;
}

/* The owner of the current database. */
static Oid
database_owner(void)
{
	HeapTuple	tup = SearchSysCache1(DATABASEOID, ObjectIdGetDatum(MyDatabaseId));
	Oid			owner;

	if (!HeapTupleIsValid(tup))
		elog(ERROR, "cache lookup failed for database %u", MyDatabaseId);
	owner = ((Form_pg_database) GETSTRUCT(tup))->datdba;
	ReleaseSysCache(tup);
	return owner;
}

/*
 * Whether grantee, holding CREATE on a schema, is another role than role
 * and no superuser; pg_database_owner (the owner of PostgreSQL 15's public
 * schema) stands for the database's owner.
 */
static bool
may_create_not_superuser(Oid grantee, Oid role)
{
	Oid			r = grantee == ROLE_PG_DATABASE_OWNER ? database_owner() : grantee;

	return r != role && !superuser_arg(r);
}

/*
 * creator_not_superuser
 *		A role other than role that may create objects in schema nsp and is
 *		no superuser (PUBLIC counts as one), or InvalidOid. *is_public says
 *		the role found is PUBLIC.
 */
static Oid
creator_not_superuser(Oid nsp, Oid role, bool *is_public)
{
	HeapTuple	tup = SearchSysCache1(NAMESPACEOID, ObjectIdGetDatum(nsp));
	Datum		acl_datum;
	bool		isnull;
	Oid			found = InvalidOid;

	*is_public = false;
	if (!HeapTupleIsValid(tup))
		return InvalidOid;
	if (may_create_not_superuser(((Form_pg_namespace) GETSTRUCT(tup))->nspowner, role))
		found = ((Form_pg_namespace) GETSTRUCT(tup))->nspowner;
	acl_datum = SysCacheGetAttr(NAMESPACEOID, tup, Anum_pg_namespace_nspacl, &isnull);
	if (!isnull)
	{
		Acl		   *acl = DatumGetAclP(acl_datum);
		AclItem    *items = ACL_DAT(acl);

		for (int i = 0; i < ACL_NUM(acl) && !*is_public && !OidIsValid(found); i++)
		{
			if (!(ACLITEM_GET_PRIVS(items[i]) & ACL_CREATE))
				continue;
			if (items[i].ai_grantee == ACL_ID_PUBLIC)
				*is_public = true;
			else if (may_create_not_superuser(items[i].ai_grantee, role))
				found = items[i].ai_grantee;
		}
	}
	ReleaseSysCache(tup);
	return *is_public ? InvalidOid : found;
}

/*
 * check_path_writable
 *		Refuse to act as superuser role, for a session that is no
 *		superuser's, in a search_path holding a schema another role that is
 *		no superuser may create objects in: planning a superuser's
 *		statement there folds the IMMUTABLE functions it resolves, and a
 *		function of a closer type match in that schema (public.power(int,
 *		int) beside pg_catalog's) would run as the superuser.
 */
static void
check_path_writable(Oid role, const char *search_path)
{
	char	   *raw = pstrdup(search_path);
	List	   *names;
	ListCell   *lc;

	if (!SplitIdentifierString(raw, ',', &names))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid search_path: %s", search_path)));
	foreach(lc, names)
	{
		const char *name = (const char *) lfirst(lc);
		Oid			nsp;
		Oid			creator;
		bool		is_public;

		if (strcmp(name, "$user") == 0)
			name = GetUserNameFromId(role, false);
		if (strcmp(name, "pg_catalog") == 0 || strcmp(name, "pg_temp") == 0)
			continue;
		nsp = get_namespace_oid(name, true);
		if (!OidIsValid(nsp))
			continue;
		creator = creator_not_superuser(nsp, role, &is_public);
		if (is_public || OidIsValid(creator))
			ereport(ERROR,
					(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
					 errmsg("schema \"%s\" on the search_path of superuser \"%s\" is writable by %s, who is no superuser",
							name, GetUserNameFromId(role, false),
							is_public ? "PUBLIC" : quote_identifier(GetUserNameFromId(creator, false))),
					 errdetail("A function there could stand in for a built-in one in that role's SQL, and run as it."),
					 errhint("Call it as a superuser, or revoke CREATE on schema %s from those who may create in it.",
							 quote_identifier(name))));
	}
	list_free(names);
	pfree(raw);
}

/*
 * SecurityEnterRole
 *		Act as role in a security-restricted operation until
 *		SecurityLeaveRole, with search_path set to search_path (unless it is
 *		NULL). Settings changed meanwhile are undone when leaving. An error
 *		in between needs no leaving: aborting the (sub)transaction restores
 *		the user and the settings.
 */
void
SecurityEnterRole(Oid role, const char *search_path, SecurityRoleSwitch *sw)
{
	/*
	 * A session's temporary tables, views and types are found by names
	 * that do not name them (pg_temp is searched first, or where the path
	 * puts it): a session of a role that is no superuser, acting as
	 * another role, could have that role's statements read its temporary
	 * view in place of the role's table, and the view's functions run
	 * with the role's rights (the index advisor planned a superuser's
	 * statement on an admin's temporary view: its function ran as the
	 * superuser). Such a session is refused while it holds any.
	 */
	if (role != GetOuterUserId() && !superuser_arg(GetOuterUserId()) && temp_objects_exist())
		ereport(ERROR,
				(errcode(ERRCODE_INSUFFICIENT_PRIVILEGE),
				 errmsg("this session holds temporary tables or types, and would run SQL as role \"%s\" among them",
						GetUserNameFromId(role, false)),
				 errdetail("Names in that role's SQL could resolve to this session's temporary objects."),
				 errhint("Call it from a session without temporary objects (DISCARD TEMP drops them).")));
	if (role != GetOuterUserId() && search_path != NULL && superuser_arg(role) && !superuser_arg(GetOuterUserId()))
		check_path_writable(role, search_path);
	GetUserIdAndSecContext(&sw->save_user, &sw->save_sec);
	SetUserIdAndSecContext(role, sw->save_sec | SECURITY_LOCAL_USERID_CHANGE |
						   SECURITY_RESTRICTED_OPERATION);
	sw->save_nestlevel = NewGUCNestLevel();
	if (search_path != NULL)
		(void) set_config_option("search_path", search_path, PGC_USERSET, PGC_S_SESSION,
								 GUC_ACTION_SAVE, true, 0, false);
}

/*
 * SecurityLeaveRole
 *		Undo SecurityEnterRole.
 */
void
SecurityLeaveRole(SecurityRoleSwitch *sw)
{
	AtEOXact_GUC(false, sw->save_nestlevel);
	SetUserIdAndSecContext(sw->save_user, sw->save_sec);
}

/*
 * SecurityRunAs
 *		Run one SQL statement as role (see SecurityEnterRole), with
 *		search_path = pg_catalog, pg_temp, and return its first row as a
 *		jsonb object (column name: value), or NULL when it returns none.
 *		The statement may write. Caller holds a transaction and a snapshot.
 */
Jsonb *
SecurityRunAs(Oid role, const char *sql)
{
	SecurityRoleSwitch sw;
	HeapTupleHeader row = NULL;
	Jsonb	   *result = NULL;
	int			ret;

	SecurityEnterRole(role, "pg_catalog, pg_temp", &sw);
	SPI_connect();
	ret = SPI_execute(sql, false, 0);
	if (ret < 0)
		elog(ERROR, "SPI_execute failed: %s", SPI_result_code_string(ret));
	/* copied to the caller's memory, which SPI_finish keeps */
	if (SPI_tuptable != NULL && SPI_processed > 0)
		row = SPI_returntuple(SPI_tuptable->vals[0], SPI_tuptable->tupdesc);
	SPI_finish();
	SecurityLeaveRole(&sw);

	if (row != NULL)
	{
		Datum		json = DirectFunctionCall1(row_to_json, HeapTupleHeaderGetDatum(row));

		result = DatumGetJsonbP(DirectFunctionCall1(jsonb_in,
													CStringGetDatum(TextDatumGetCString(json))));
	}
	return result;
}
