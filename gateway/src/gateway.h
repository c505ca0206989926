/*
 * gateway.h
 *		leadgen-gateway: the REST server of pg_leadgen (libmicrohttpd + libpq).
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#ifndef LEADGEN_GATEWAY_H
#define LEADGEN_GATEWAY_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include <libpq-fe.h>

struct sockaddr;

#define GW_MAX_ARGS		32
#define GW_MAX_SEGS		12
#define GW_MAX_CAPS		2

/* A growable byte buffer. */
typedef struct Buf
{
	char	   *data;
	size_t		len;
	size_t		cap;
} Buf;

/* The request target, parsed: path segments and query arguments (decoded). */
typedef struct Target
{
	char	   *storage;		/* one allocation holding every string below */
	const char *path;			/* decoded path */
	const char *query;			/* raw query string ("" when absent) */
	int			nsegs;
	const char *segs[GW_MAX_SEGS];
	int			nargs;
	const char *keys[GW_MAX_ARGS];
	const char *vals[GW_MAX_ARGS];
} Target;

/* Who may call a route. */
typedef enum Access
{
	ACCESS_PUBLIC,				/* anyone */
	ACCESS_PARTNER,				/* partner, internal or admin */
	ACCESS_INTERNAL,			/* internal or admin */
	ACCESS_ADMIN				/* admin; 10/min */
} Access;

typedef enum Tier
{
	TIER_ANONYMOUS,
	TIER_PARTNER,
	TIER_INTERNAL,
	TIER_ADMIN
} Tier;

/* Resources whose changes invalidate cached answers. */
#define RES_LEADS		0x1
#define RES_AGENTS		0x2
#define RES_CARRIERS	0x4
#define RES_CONFIG		0x8
#define RES_ALL			0xF

struct Request;
struct Route;

/* What a route handler produces. */
typedef struct Answer
{
	int			status;
	char	   *body;			/* malloc'd, or NULL */
	size_t		len;
	const char *content_type;
	int			retry_after;	/* seconds, for 503 / 429 */
	bool		from_cache;
	bool		committed;		/* a 503 not_replicated: the write is committed on the primary */
	bool		from_replica;	/* read on a replica: not cached (it may be older than the change notifications) */
} Answer;

typedef void (*RouteHandler) (struct Request *req, const struct Route *route, Answer *ans);

/*
 * The longest value a query argument may have, in bytes after decoding:
 * longer than any valid value, so that a request carrying more is refused
 * before it reaches the database. Arguments a route does not list, and
 * path segments, may have GW_ARG_MAX bytes.
 */
typedef struct ArgLimit
{
	const char *name;			/* NULL ends a list */
	size_t		max;
} ArgLimit;

#define GW_ARG_MAX		200
#define GW_TARGET_MAX	8192	/* the request target (path and query) */

#ifndef GW_VERSION
#define GW_VERSION		"unknown"	/* the Makefile gives pg_leadgen.control's */
#endif

/* The major.minor of pg_leadgen this gateway speaks (checked by /ready). */
#define GW_SPEAKS		"0.2"
#define GW_READY_TIMEOUT_MS 2000
/* The longest X-Request-Id taken from a request (a sane token). */
#define GW_REQUEST_ID_MAX	64
/* X-RateLimit-Limit and -Remaining of answers no limit applies to */
#define GW_UNLIMITED	"2147483647"

/* A route: the route table (routes.c) is the whole API. */
typedef struct Route
{
	const char *method;
	const char *pattern;		/* "/api/v1/leads/{}": {} matches one segment */
	RouteHandler handler;
	Access		access;
	int			cache_ttl;		/* seconds; 0: not cached */
	unsigned	deps;			/* RES_* this answer depends on */
	bool		exempt;			/* not rate limited (health, readiness, metrics) */
	bool		nodb;			/* the handler needs no database (with exempt: no key check either) */
	bool		reads;			/* may be served by a replica */
	bool		ndjson;			/* a body may also be application/x-ndjson */
	int			body_factor;	/* the body may be this many times --max-body (0: once) */
	int			timeout_ms;		/* at most this statement timeout (0: its class's) */
	int			ok_status;		/* the status of a success (0: 200), e.g. 202 for queued work */
	const char *rate_bucket;	/* a rate limit of its own per key ("queue"), or NULL */
	int			rate_limit;		/* ... of so many requests a minute */
	const char *sql;			/* the statement, a call of its leadgen.api_*() function */
	const char *sql2;			/* a second one, run after the first committed (queue pause) */
	const ArgLimit *args;		/* maxima of its query arguments, or NULL */
	bool		noargs;			/* reads no query argument: the query string is no part of its cache key */
} Route;

typedef struct Request
{
	/* filled at the first callback */
	char	   *uri;
	Target		target;
	bool		started;
	double		t0;
	char		request_id[GW_REQUEST_ID_MAX + 1];
	/* the body */
	Buf			body;
	bool		too_large;
	size_t		max_body;
	const char *caps[GW_MAX_CAPS];	/* path captures */
	const char *content_type;
	const char *method;
	/* caller */
	Tier		tier;
	int64_t		key_id;
	int64_t		broker;			/* bound broker, or 0 */
	char		client[64];		/* the client address */
	/* what was answered, for the log */
	const struct Route *route;
	int			route_index;	/* its row in gw_routes */
	int			status;
	size_t		bytes;
	const char *cache;
	struct MHD_Connection *conn;
	const char *key;			/* the API key sent, or NULL */
	bool		gzip_ok;		/* the client accepts gzip */
	/*
	 * An answer given by another thread (a database worker, the lead
	 * submitter) while the connection is suspended: waiting until then,
	 * answer_ready once deferred_answer is filled.
	 */
	bool		waiting;
	bool		submit;			/* handed on to the lead submitter */
	bool		answer_ready;
	Answer		deferred_answer;
	char		deferred_etag[32];	/* of a cached answer, or "" */
	bool		deferred_gz;	/* the cached answer is gzipped */
	char		rl[3][16];		/* X-RateLimit-Limit, -Remaining, -Reset */
} Request;

/* request.c: parsing and routing, free of I/O (the fuzz target's part) */
extern const Route gw_routes[];
extern const int gw_nroutes;
bool		target_parse(const char *uri, Target *t, const char **err);
void		target_free(Target *t);
const Route *route_find(const Route *routes, int nroutes, const char *method, const Target *t, const char **caps,
						 char *allow, size_t allowlen, bool *path_known);
const char *target_arg(const Target *t, const char *key);
bool		parse_int(const char *s, long long lo, long long hi, long long *out);
bool		token_ok(const char *s, size_t maxlen);
bool		glob_match(const char *pat, const char *s);
bool		accepts_gzip_value(const char *accept_encoding);
typedef enum JsonMember
{
	JSON_BAD,					/* not JSON (or not UTF-8, or nested too deep) */
	JSON_NOT_OBJECT,
	JSON_ABSENT,
	JSON_FOUND
} JsonMember;
JsonMember	json_member(const char *json, size_t len, const char *name, const char **val, size_t *vlen);
const char *arg_too_long(const Route *route, const Target *t, const char *const *caps, size_t *max);

/* util.c */
void		buf_append(Buf *b, const void *data, size_t len);
void		buf_puts(Buf *b, const char *s);
void		buf_printf(Buf *b, const char *fmt,...) __attribute__((format(printf, 2, 3)));
void		buf_json_string(Buf *b, const char *s);
void		buf_pg_array(Buf *b, const char *const *vals, int n);
size_t		utf8_sequence(const unsigned char *s, size_t *bad);
void		buf_free(Buf *b);
uint64_t	fnv1a(const void *data, size_t len);
void		etag_of(const char *body, size_t len, char *out);
double		now_seconds(void);
bool		gzip_buffer(const char *in, size_t len, char **out, size_t *outlen);
char	   *error_json(const char *code, const char *message, const char *details_json, size_t *len);
const char *error_code(int status);
void		answer_fail(Answer *ans, int status, const char *message);
bool		media_type_is(const char *ct, const char *type);

/* db.c */
typedef enum DbTarget
{
	DB_PRIMARY,
	DB_PRIMARY_ACK,				/* the primary; a write answered once a standby has it (--ack-standby-ms) */
	DB_READ						/* the replica when there is one and it is up */
} DbTarget;
void		db_config(const char *primary, const char *replica);
/* Runs sql with text parameters (NULL = SQL NULL); on failure returns NULL and fills ans with the mapped error. */
PGresult   *db_exec(DbTarget target, const char *sql, int nparams, const char *const *params, Answer *ans, bool retry);
int			db_status_for_sqlstate(const char *sqlstate);
int			db_cancel_all(void);	/* cancel every statement in progress; how many were asked */
void		db_thread_stats(int *up, int *down);
void		db_set_timeout(int ms);	/* this thread's statement timeout from now on */
void		db_report_timeout(int ms);	/* a shorter one the statement applies itself, for a 504 */
/* A connection of its own (target: libpq's target_session_attrs unless the conninfo sets it). */
PGconn	   *db_connect(const char *conninfo, const char *target, int *timeout_ms, bool session);

/* listener.c: change notifications drop cached answers and remembered keys */
void		listener_start(void);
void		listener_stop(void);

/* cache.c */
void		cache_init(size_t max_bytes);
void		cache_key(Buf *b, const char *path, const char *query, int64_t broker);
bool		cache_enabled(void);
uint64_t	cache_generation(unsigned deps);
bool		cache_get(const char *key, unsigned deps, bool want_gzip, char **body, size_t *len, bool *gz, char *etag);
void		cache_put(const char *key, unsigned deps, uint64_t gen, int ttl, const char *body, size_t len, const char *etag);
void		cache_bump(unsigned deps);
int			cache_invalidate(const char *pattern);
void		cache_stats_json(Buf *b);
double		cache_hit_rate(void);
void		cache_counters(uint64_t *hits, uint64_t *misses, uint64_t *evictions, size_t *bytes);

/* auth.c */
#define AUTH_NEEDS_DB	(-1)
int			auth_check(Request *req, const char *key, Answer *ans, bool may_block);
typedef enum RateResult
{
	RATE_OK,
	RATE_REFUSED,				/* 429, or the database's error, in the answer */
	RATE_NEEDS_DB
} RateResult;
RateResult	rate_take(Request *req, const Route *route, Answer *ans, char *hdr_limit, char *hdr_remaining,
					  char *hdr_reset, bool may_block);
RateResult	rate_take_unauthenticated(Request *req, Answer *ans, char *hdr_limit, char *hdr_remaining,
									  char *hdr_reset, bool may_block);
void		auth_forget_keys(void);
void		writes_note(const Request *req);
bool		writes_recent(const Request *req);

/* metrics.c */
void		metrics_observe(int route, int status, double seconds);
void		metrics_rate_limited(void);
void		metrics_not_replicated(void);
/* What /metrics shows of the other modules, gathered by its route. */
typedef struct MetricsGauges
{
	uint64_t	cache_hits;
	uint64_t	cache_misses;
	uint64_t	cache_evictions;
	size_t		cache_bytes;
	int			db_up;			/* database connections up, down */
	int			db_down;
	int			db_workers;		/* --threads */
	int			db_busy;		/* database workers serving a request */
	int			db_queue;		/* requests waiting for one */
} MetricsGauges;
void		metrics_render(Buf *b, const Route *routes, int nroutes, const MetricsGauges *g);
void		metrics_inflight_add(int delta);
int			metrics_inflight(void);

/* submitter.c: single leads gathered into one transaction */
void		submit_defer(Request *req);
void		submit_start(void);
void		submit_stop(void);

/* workers.c: requests that need the database, served off the HTTP threads */
typedef enum WorkReason
{
	WORK_RUN,					/* serve it */
	WORK_EXPIRED,				/* it waited longer than its route's timeout: 503 */
	WORK_STOPPING				/* the gateway is stopping: 503 */
} WorkReason;
typedef void (*WorkerServe) (Request *req, WorkReason why);
void		workers_start(int n, WorkerServe serve);
void		workers_defer(Request *req, int wait_ms);
int			workers_queued(void);
int			workers_busy(void);
void		workers_drain(void);
void		workers_stop(void);

/* settings.c */
typedef struct Settings
{
	int			port;
	const char *bind;
	const char *db;
	const char *replica;
	int			threads;
	long		cache_mb;
	size_t		max_body;
	const char *access_log;
	int			drain_seconds;
	int			statement_timeout_ms;	/* public, partner and internal routes */
	int			admin_statement_timeout_ms; /* admin routes */
	bool		pooler;			/* through a pooler in transaction mode: nothing kept in a session */
	const char *listen_db;		/* the listener's direct connection, or NULL (--db) */
	bool		reuse_port;		/* share the port (SO_REUSEPORT) */
	int			ack_standby_ms; /* lead submissions wait this long for a standby; 0: they do not */
} Settings;
extern Settings gw_settings;
void		settings_load(int argc, char **argv);	/* exits on a bad value, --help, --version */

/* accesslog.c */
bool		access_log_open(void);
void		access_log_reopen(void);
void		access_log_write(const Request *req, double seconds);
void		access_log_close(void);

/* proxy.c: which peers may say who the client is */
const char *proxy_config(const char *list);	/* NULL, or what is wrong with the list */
bool		proxy_trusted(const struct sockaddr *peer);

#define GW_CONN_PER_ADDRESS 256	/* open connections from one address (not a trusted proxy) */
bool		conn_admit(const struct sockaddr *peer);
void		conn_closed(const struct sockaddr *peer);
bool		proxy_client(const char *forwarded, const char *x_forwarded_for, char *out, size_t len);

/* http.c */
struct MHD_Daemon *http_start(void);

/* serve.c: what every route shares, free of libmicrohttpd */
bool		serve_route(Request *req, Answer *ans, char *allow, size_t allowlen);
bool		serve_request(Request *req, Answer *ans, bool may_block, char *etag, bool *gz);
bool		serve_deferred(Request *req, WorkReason why, Answer *ans, char *etag, bool *gz);
size_t		serve_body_max(const char *uri, const char *method);
int			route_timeout_ms(const Route *route);

#endif
