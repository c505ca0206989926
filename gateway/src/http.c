/*
 * http.c
 *		The libmicrohttpd side: the request lifecycle (state made when the
 *		request line arrives, the body gathered under a cap, the answer
 *		given on a later call than the first so keep-alive holds), the
 *		checks every route shares (route, key, tier, rate, body), the cache,
 *		and the answer's headers, compression and ETag.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>

#include <microhttpd.h>

#include "gateway.h"

static atomic_int inflight;
static atomic_uint_fast64_t request_seq;
static unsigned long long instance_tag;

int
http_inflight(void)
{
	return atomic_load(&inflight);
}

/* The request line has arrived: the request's state begins here. */
static void *
on_uri(void *cls, const char *uri, struct MHD_Connection *conn)
{
	Request    *req = calloc(1, sizeof(Request));

	(void) cls;
	(void) conn;
	if (req == NULL)
		return NULL;
	req->uri = strdup(uri ? uri : "/");
	req->t0 = now_seconds();
	req->cache = "-";
	atomic_fetch_add(&inflight, 1);
	return req;
}

static void
on_completed(void *cls, struct MHD_Connection *conn, void **req_cls, enum MHD_RequestTerminationCode toe)
{
	Request    *req = *req_cls;

	(void) cls;
	(void) conn;
	(void) toe;
	if (req == NULL)
		return;
	target_free(&req->target);
	buf_free(&req->body);
	free(req->uri);
	free(req);
	*req_cls = NULL;
	atomic_fetch_sub(&inflight, 1);
}

static bool
accepts_gzip(struct MHD_Connection *conn)
{
	const char *ae = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_ACCEPT_ENCODING);
	const char *g;

	if (ae == NULL || (g = strstr(ae, "gzip")) == NULL)
		return false;
	g += 4;
	while (*g == ' ')
		g++;
	if (strncmp(g, ";q=", 3) == 0)
		return strtod(g + 3, NULL) > 0;
	return true;
}

static bool
etag_matches(struct MHD_Connection *conn, const char *etag)
{
	const char *inm = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_IF_NONE_MATCH);
	const char *bare = etag + 2;	/* without W/ */

	if (inm == NULL)
		return false;
	if (strcmp(inm, "*") == 0)
		return true;
	return strstr(inm, bare) != NULL;
}

/* The caller's API key: Authorization: Bearer <key>, or X-API-Key. */
static const char *
api_key(struct MHD_Connection *conn)
{
	const char *auth = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_AUTHORIZATION);
	const char *x = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-API-Key");

	if (auth && strncasecmp(auth, "Bearer ", 7) == 0)
	{
		auth += 7;
		while (*auth == ' ')
			auth++;
		if (*auth)
			return auth;
	}
	if (x && *x)
		return x;
	if (auth)
		return auth;			/* some other scheme: not a key we know, so 401 */
	return NULL;
}

static void
client_address(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	snprintf(out, len, "unknown");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *) ci->client_addr)->sin_addr, out, (socklen_t) len);
	else if (ci->client_addr->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) ci->client_addr)->sin6_addr, out, (socklen_t) len);
}

static const char *
reason_code(int status)
{
	switch (status)
	{
		case 401:
			return "unauthorized";
		case 403:
			return "forbidden";
		case 404:
			return "not_found";
		case 405:
			return "method_not_allowed";
		case 413:
			return "payload_too_large";
		case 415:
			return "unsupported_media_type";
		default:
			return "bad_request";
	}
}

static void
fail(Answer *ans, int status, const char *message)
{
	ans->status = status;
	ans->body = error_json(reason_code(status), message, NULL, &ans->len);
}

/* Queue the answer with every shared header; takes the body. */
static enum MHD_Result
send_answer(Request *req, Answer *ans, const char *ratelimit[3], const char *allow, const char *etag_in, bool gz_in)
{
	struct MHD_Connection *conn = req->conn;
	struct MHD_Response *resp;
	enum MHD_Result ret;
	char		etag[32] = "";
	bool		gz = gz_in;
	char		num[24];
	bool		is_get = req->route && strcmp(req->route->method, "GET") == 0;
	double		dt;

	if (ans->body == NULL)
	{
		ans->body = strdup("");
		ans->len = 0;
	}
	if (is_get && ans->status == 200)
	{
		if (etag_in)
			snprintf(etag, sizeof(etag), "%s", etag_in);
		else
			etag_of(ans->body, ans->len, etag);
		if (etag_matches(conn, etag))
		{
			ans->status = 304;
			free(ans->body);
			ans->body = strdup("");
			ans->len = 0;
			gz = false;
		}
	}
	if (!gz && ans->len > 1024 && accepts_gzip(conn))
	{
		char	   *z;
		size_t		zlen;

		if (gzip_buffer(ans->body, ans->len, &z, &zlen))
		{
			free(ans->body);
			ans->body = z;
			ans->len = zlen;
			gz = true;
		}
	}
	resp = MHD_create_response_from_buffer(ans->len, ans->body, MHD_RESPMEM_MUST_FREE);
	if (resp == NULL)
	{
		free(ans->body);
		return MHD_NO;
	}
	ans->body = NULL;
	MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_TYPE,
							ans->content_type ? ans->content_type : "application/json; charset=utf-8");
	MHD_add_response_header(resp, "X-Request-Id", req->request_id);
	MHD_add_response_header(resp, "X-RateLimit-Limit", ratelimit[0]);
	MHD_add_response_header(resp, "X-RateLimit-Remaining", ratelimit[1]);
	MHD_add_response_header(resp, "X-RateLimit-Reset", ratelimit[2]);
	if (etag[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ETAG, etag);
	if (is_get)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_VARY, "Accept-Encoding");
	if (gz)
		MHD_add_response_header(resp, MHD_HTTP_HEADER_CONTENT_ENCODING, "gzip");
	if (req->route && req->route->cache_ttl && cache_enabled())
		MHD_add_response_header(resp, "X-Cache", req->cache);
	if (allow && allow[0])
		MHD_add_response_header(resp, MHD_HTTP_HEADER_ALLOW, allow);
	if (ans->status == 429 || ans->status == 503)
	{
		snprintf(num, sizeof(num), "%d", ans->retry_after > 0 ? ans->retry_after : 1);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	ret = MHD_queue_response(conn, (unsigned int) ans->status, resp);
	MHD_destroy_response(resp);

	req->status = ans->status;
	req->bytes = MHD_SIZE_UNKNOWN;
	dt = now_seconds() - req->t0;
	metrics_observe(req->route ? (int) (req->route - gw_routes) : -1, ans->status, dt);
	access_log_write(req, dt);
	return ret;
}

static bool
tier_allows(Tier tier, Access access)
{
	switch (access)
	{
		case ACCESS_PUBLIC:
			return true;
		case ACCESS_PARTNER:
			return tier != TIER_ANONYMOUS;
		case ACCESS_INTERNAL:
			return tier == TIER_INTERNAL || tier == TIER_ADMIN;
		case ACCESS_ADMIN:
			return tier == TIER_ADMIN;
	}
	return false;
}

static bool
content_type_ok(const char *ct, bool ndjson_too)
{
	if (ct == NULL)
		return false;
	if (strncasecmp(ct, "application/json", 16) == 0 && (ct[16] == '\0' || ct[16] == ';' || ct[16] == ' '))
		return true;
	return ndjson_too && strncasecmp(ct, "application/x-ndjson", 20) == 0 &&
		(ct[20] == '\0' || ct[20] == ';' || ct[20] == ' ');
}

static enum MHD_Result
dispatch(Request *req, struct MHD_Connection *conn, const char *method)
{
	Answer		ans = {0};
	char		allow[64] = "";
	char	   *rl_limit = req->rl[0],
			   *rl_remaining = req->rl[1],
			   *rl_reset = req->rl[2];
	const char *ratelimit[3] = {rl_limit, rl_remaining, rl_reset};
	const char *err;
	const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");
	const Route *route;
	bool		path_known;
	Buf			key = {0};
	bool		cacheable;
	uint64_t	gen = 0;
	enum MHD_Result ret;

	req->conn = conn;
	req->method = method;
	strcpy(rl_limit, "0");
	strcpy(rl_remaining, "0");
	strcpy(rl_reset, "0");
	if (rid && token_ok(rid, 64))
		snprintf(req->request_id, sizeof(req->request_id), "%s", rid);
	else
		snprintf(req->request_id, sizeof(req->request_id), "%08llx-%08llx", instance_tag,
				 (unsigned long long) atomic_fetch_add(&request_seq, 1));
	client_address(conn, req->client, sizeof(req->client));
	req->content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);

	if (!target_parse(req->uri, &req->target, &err))
	{
		fail(&ans, 400, err);
		return send_answer(req, &ans, ratelimit, NULL, NULL, false);
	}
	route = route_find(method, &req->target, req->caps, allow, sizeof(allow), &path_known);
	if (route == NULL)
	{
		if (path_known)
			fail(&ans, 405, "This path does not take this method; see the Allow header.");
		else
			fail(&ans, 404, "No such route; GET /openapi.json lists them.");
		return send_answer(req, &ans, ratelimit, path_known ? allow : NULL, NULL, false);
	}
	req->route = route;

	if (auth_check(req, api_key(conn), &ans) != 0)
		return send_answer(req, &ans, ratelimit, NULL, NULL, false);
	if (!tier_allows(req->tier, route->access))
	{
		if (req->tier == TIER_ANONYMOUS)
			fail(&ans, 401, "This route needs an API key (Authorization: Bearer <key> or X-API-Key).");
		else
			fail(&ans, 403, route->access == ACCESS_ADMIN ? "This route needs an admin API key."
				 : "This API key's tier may not call this route.");
		return send_answer(req, &ans, ratelimit, NULL, NULL, false);
	}
	if (!rate_take(req, route, &ans, rl_limit, rl_remaining, rl_reset))
		return send_answer(req, &ans, ratelimit, NULL, NULL, false);

	if (strcmp(route->method, "POST") == 0)
	{
		if (req->too_large)
		{
			fail(&ans, 413, "The body is larger than this route accepts.");
			return send_answer(req, &ans, ratelimit, NULL, NULL, false);
		}
		if (req->body.len > 0 &&
			!content_type_ok(req->content_type, strcmp(route->pattern, "/api/v1/leads/batch") == 0))
		{
			fail(&ans, 415, strcmp(route->pattern, "/api/v1/leads/batch") == 0
				 ? "Send the batch as application/json (an array) or application/x-ndjson."
				 : "Send the body as application/json.");
			return send_answer(req, &ans, ratelimit, NULL, NULL, false);
		}
		if (req->body.len > 0 && memchr(req->body.data, '\0', req->body.len) != NULL)
		{
			fail(&ans, 400, "The body holds a NUL byte.");
			return send_answer(req, &ans, ratelimit, NULL, NULL, false);
		}
	}

	cacheable = route->cache_ttl > 0 && cache_enabled() && strcmp(route->method, "GET") == 0;
	if (cacheable)
	{
		char	   *body;
		size_t		len;
		bool		gz;
		char		etag[32];

		cache_key(&key, req->target.path, req->target.query, req->broker);
		if (cache_get(key.data, route->deps, accepts_gzip(conn), &body, &len, &gz, etag))
		{
			buf_free(&key);
			req->cache = "HIT";
			ans.status = 200;
			ans.body = body;
			ans.len = len;
			return send_answer(req, &ans, ratelimit, NULL, etag, gz);
		}
		req->cache = "MISS";
		gen = cache_generation(route->deps);
	}

	route->handler(req, route, &ans);
	if (req->deferred)
	{
		/* answered later, from the submitter thread (see on_request) */
		buf_free(&key);
		MHD_suspend_connection(conn);
		submit_defer(req);
		return MHD_YES;
	}

	if (cacheable && ans.status == 200)
	{
		char		etag[32];

		etag_of(ans.body, ans.len, etag);
		cache_put(key.data, route->deps, gen, route->cache_ttl, ans.body, ans.len, etag);
	}
	buf_free(&key);
	ret = send_answer(req, &ans, ratelimit, NULL, NULL, false);
	return ret;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
		   const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	Request    *req = *req_cls;

	(void) cls;
	(void) version;
	if (req && req->deferred)
	{
		/* resumed: the submitter has the answer */
		const char *ratelimit[3] = {req->rl[0], req->rl[1], req->rl[2]};

		if (!req->answer_ready)
			return MHD_YES;
		req->deferred = false;
		return send_answer(req, &req->deferred_answer, ratelimit, NULL, NULL, false);
	}
	if (req == NULL)
	{
		req = on_uri(NULL, url, conn);
		if (req == NULL)
			return MHD_NO;
		*req_cls = req;
	}
	if (!req->started)
	{
		/* first call: only the headers are known; answer on a later call */
		const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
		long long	n;

		req->started = true;
		req->max_body = strstr(req->uri, "/leads/batch") ? gw_settings.max_body * 64 : gw_settings.max_body;
		if (cl && (!parse_int(cl, 0, (long long) 1 << 62, &n) || (size_t) n > req->max_body))
		{
			/* refused before the body is read: answer now (the connection then closes) */
			Answer		ans = {0};
			char		none[] = "0";
			const char *rl[3] = {none, none, none};

			req->conn = conn;
			snprintf(req->request_id, sizeof(req->request_id), "%08llx-%08llx", instance_tag,
					 (unsigned long long) atomic_fetch_add(&request_seq, 1));
			client_address(conn, req->client, sizeof(req->client));
			fail(&ans, 413, "The body is larger than this route accepts.");
			return send_answer(req, &ans, rl, NULL, NULL, false);
		}
		return MHD_YES;
	}
	if (*upload_data_size > 0)
	{
		if (!req->too_large)
		{
			if (req->body.len + *upload_data_size > req->max_body)
			{
				req->too_large = true;
				buf_free(&req->body);
			}
			else
				buf_append(&req->body, upload_data, *upload_data_size);
		}
		*upload_data_size = 0;
		return MHD_YES;
	}
	return dispatch(req, conn, method);
}

struct MHD_Daemon *
http_start(void)
{
	struct sockaddr_in addr;
	struct MHD_Daemon *d;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	instance_tag = ((unsigned long long) ts.tv_nsec ^ ((unsigned long long) ts.tv_sec << 20)) & 0xffffffffULL;
	memset(&addr, 0, sizeof(addr));
	addr.sin_family = AF_INET;
	addr.sin_port = htons((uint16_t) gw_settings.port);
	if (inet_pton(AF_INET, gw_settings.bind, &addr.sin_addr) != 1)
	{
		fprintf(stderr, "leadgen-gateway: --bind %s is not an IPv4 address\n", gw_settings.bind);
		return NULL;
	}
	d = MHD_start_daemon(MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME | MHD_USE_ERROR_LOG,
						 (uint16_t) gw_settings.port, NULL, NULL, on_request, NULL,
						 MHD_OPTION_SOCK_ADDR, (struct sockaddr *) &addr,
						 MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) gw_settings.threads,
						 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 15,
						 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 4096,
						 MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
						 MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
						 MHD_OPTION_LISTENING_ADDRESS_REUSE, (unsigned int) 1,
						 MHD_OPTION_END);
	return d;
}
