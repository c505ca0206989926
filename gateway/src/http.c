/*
 * http.c
 *		The libmicrohttpd side, and only it: the request lifecycle (state
 *		made when the request line arrives, the head's framing checked, the
 *		body gathered under its route's cap, the answer given on a later
 *		call than the first so keep-alive holds), what the request's head
 *		says (key, client address, gzip, ETag), and the answer's headers,
 *		compression and ETag; libmicrohttpd's own error answers made JSON.
 *		What every route shares between routing and its handler is
 *		serve.c's.
 *
 * The HTTP threads never wait on the database. A request is served on its
 * HTTP thread as far as it goes without the database; the rest has its
 * connection suspended and is served by a database worker (workers.c),
 * which resumes it with the answer.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <arpa/inet.h>
#include <dlfcn.h>
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

static atomic_uint_fast64_t request_seq;
static unsigned long long instance_tag;


/* Set while this thread queues an answer of the gateway's own (see MHD_queue_response below). */
static _Thread_local bool own_answer;

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
	if (req->started)
		metrics_inflight_add(-1);
	target_free(&req->target);
	buf_free(&req->body);
	free(req->uri);
	free(req);
	*req_cls = NULL;
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

/* Every value of one header, joined by commas (a list split over several lines is one list). */
typedef struct HeaderList
{
	const char *name;
	Buf			values;
} HeaderList;

static enum MHD_Result
header_list_add(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	HeaderList *h = cls;

	(void) kind;
	if (value && strcasecmp(key, h->name) == 0)
	{
		if (h->values.len)
			buf_puts(&h->values, ",");
		buf_puts(&h->values, value);
	}
	return MHD_YES;
}

/*
 * Whether the client accepts gzip: every Accept-Encoding line, joined into
 * one list, read as RFC 9110 says (accepts_gzip_value).
 */
static bool
accepts_gzip(struct MHD_Connection *conn)
{
	HeaderList	ae = {MHD_HTTP_HEADER_ACCEPT_ENCODING, {0}};
	bool		ok;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, header_list_add, &ae);
	ok = accepts_gzip_value(ae.values.data);
	buf_free(&ae.values);
	return ok;
}

/*
 * The client: the peer's address, or, when the peer is a trusted proxy
 * (--trusted-proxies), the client its Forwarded or X-Forwarded-For header
 * names (proxy.c). An IPv4 client on an IPv6 socket is written as IPv4, so
 * that it has one rate-limit bucket whichever way it came.
 */
static void
client_address(struct MHD_Connection *conn, char *out, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);
	HeaderList	fwd = {MHD_HTTP_HEADER_FORWARDED, {0}};
	HeaderList	xff = {"X-Forwarded-For", {0}};

	snprintf(out, len, "unknown");
	if (ci == NULL || ci->client_addr == NULL)
		return;
	if (ci->client_addr->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *) ci->client_addr)->sin_addr, out, (socklen_t) len);
	else if (ci->client_addr->sa_family == AF_INET6)
	{
		const struct in6_addr *a6 = &((const struct sockaddr_in6 *) ci->client_addr)->sin6_addr;

		if (IN6_IS_ADDR_V4MAPPED(a6))
			inet_ntop(AF_INET, &a6->s6_addr[12], out, (socklen_t) len);
		else
			inet_ntop(AF_INET6, a6, out, (socklen_t) len);
	}
	if (!proxy_trusted(ci->client_addr))
		return;
	MHD_get_connection_values(conn, MHD_HEADER_KIND, header_list_add, &fwd);
	MHD_get_connection_values(conn, MHD_HEADER_KIND, header_list_add, &xff);
	proxy_client(fwd.values.data, xff.values.data, out, len);
	buf_free(&fwd.values);
	buf_free(&xff.values);
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
	if (!gz && ans->len > 1024 && req->gzip_ok)
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
	MHD_add_response_header(resp, "X-Content-Type-Options", "nosniff");
	if (ans->content_type && strncmp(ans->content_type, "text/html", 9) == 0)
	{
		/* the dashboard: its own script, styles and data, nothing else */
		MHD_add_response_header(resp, "Content-Security-Policy",
								"default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; "
								"img-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'");
		MHD_add_response_header(resp, "Referrer-Policy", "no-referrer");
	}
	if (ans->status == 429 || ans->status == 503)
	{
		snprintf(num, sizeof(num), "%d", ans->retry_after > 0 ? ans->retry_after : 1);
		MHD_add_response_header(resp, MHD_HTTP_HEADER_RETRY_AFTER, num);
	}
	own_answer = true;
	ret = MHD_queue_response(conn, (unsigned int) ans->status, resp);
	own_answer = false;
	MHD_destroy_response(resp);

	req->status = ans->status;
	req->bytes = MHD_SIZE_UNKNOWN;
	dt = now_seconds() - req->t0;
	metrics_observe(req->route ? req->route_index : -1, ans->status, dt);
	access_log_write(req, dt);
	return ret;
}

/* What every answer needs from the request's head, taken on its HTTP thread. */
static void
request_start(Request *req, struct MHD_Connection *conn, const char *method)
{
	const char *rid = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, "X-Request-Id");

	req->conn = conn;
	req->method = method;
	/* until a limit applies (rate_take): the number clients parse as none */
	strcpy(req->rl[0], GW_UNLIMITED);
	strcpy(req->rl[1], GW_UNLIMITED);
	strcpy(req->rl[2], "0");
	if (rid && token_ok(rid, GW_REQUEST_ID_MAX))
		snprintf(req->request_id, sizeof(req->request_id), "%s", rid);
	else
		snprintf(req->request_id, sizeof(req->request_id), "%08llx-%08llx", instance_tag,
				 (unsigned long long) atomic_fetch_add(&request_seq, 1));
	client_address(conn, req->client, sizeof(req->client));
	req->content_type = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_TYPE);
	req->key = api_key(conn);
	req->gzip_ok = accepts_gzip(conn);
}

/*
 * A database worker's part: serve a request whose connection an HTTP
 * thread suspended (serve.c), then resume it with the answer, or hand it
 * on to the lead submitter, which resumes it.
 */
static void
serve_waiting(Request *req, WorkReason why)
{
	Answer		ans = {0};
	char		etag[32] = "";
	bool		gz = false;

	if (!serve_deferred(req, why, &ans, etag, &gz))
	{
		submit_defer(req);
		return;
	}
	req->deferred_answer = ans;
	memcpy(req->deferred_etag, etag, sizeof(etag));
	req->deferred_gz = gz;
	req->answer_ready = true;
	MHD_resume_connection(req->conn);
}

static enum MHD_Result
dispatch(Request *req, struct MHD_Connection *conn, const char *method)
{
	Answer		ans = {0};
	char		allow[64] = "";
	const char *ratelimit[3] = {req->rl[0], req->rl[1], req->rl[2]};
	char		etag[32];
	bool		gz;

	request_start(req, conn, method);
	if (!serve_route(req, &ans, allow, sizeof(allow)))
		return send_answer(req, &ans, ratelimit, allow[0] ? allow : NULL, NULL, false);
	if (serve_request(req, &ans, false, etag, &gz))
		return send_answer(req, &ans, ratelimit, NULL, etag[0] ? etag : NULL, gz);

	/* the database is needed: a worker serves it, this thread goes on */
	req->waiting = true;
	MHD_suspend_connection(conn);
	workers_defer(req, route_timeout_ms(req->route));
	return MHD_YES;
}

/* The request head's framing headers, gathered by head_header. */
typedef struct HeadCheck
{
	const char *content_length;
	bool		lengths_differ;
	const char *transfer_encoding;
	int			transfer_encodings;	/* Transfer-Encoding lines */
} HeadCheck;

static enum MHD_Result
head_header(void *cls, enum MHD_ValueKind kind, const char *key, const char *value)
{
	HeadCheck  *h = cls;

	(void) kind;
	if (value == NULL)
		value = "";
	if (strcasecmp(key, MHD_HTTP_HEADER_CONTENT_LENGTH) == 0)
	{
		if (h->content_length && strcmp(h->content_length, value) != 0)
			h->lengths_differ = true;
		h->content_length = value;
	}
	else if (strcasecmp(key, MHD_HTTP_HEADER_TRANSFER_ENCODING) == 0)
	{
		/* libmicrohttpd reads the first line; the first is kept here too */
		if (h->transfer_encoding == NULL)
			h->transfer_encoding = value;
		h->transfer_encodings++;
	}
	return MHD_YES;
}

/*
 * The first call, with the head only: a request whose framing is
 * ambiguous or whose declared body is over the limit is answered now,
 * before its body is read (the connection then closes). NULL when it may
 * go on, else the status and message.
 */
static const char *
head_refusal(Request *req, struct MHD_Connection *conn, int *status)
{
	HeadCheck	h = {NULL, false, NULL, 0};
	long long	n;

	MHD_get_connection_values(conn, MHD_HEADER_KIND, head_header, &h);
	*status = 400;
	if (h.lengths_differ)
		return "Content-Length is given more than once, with different values.";
	if (h.transfer_encodings > 1)
		return "Transfer-Encoding is given more than once; send it once (chunked).";
	if (h.content_length && h.transfer_encoding)
		return "Content-Length and Transfer-Encoding together make the body's length ambiguous; send one of them.";
	if (h.transfer_encoding && strcasecmp(h.transfer_encoding, "chunked") != 0)
	{
		*status = 501;
		return "Only the chunked transfer coding is understood.";
	}
	if (h.content_length && !parse_int(h.content_length, 0, (long long) 1 << 62, &n))
		return "Content-Length is not a decimal number of bytes.";
	if (h.content_length && (size_t) n > req->max_body)
	{
		*status = 413;
		return "The body is larger than this route accepts.";
	}
	return NULL;
}

static enum MHD_Result
on_request(void *cls, struct MHD_Connection *conn, const char *url, const char *method, const char *version,
		   const char *upload_data, size_t *upload_data_size, void **req_cls)
{
	Request    *req = *req_cls;

	(void) cls;
	(void) version;
	if (req && req->waiting)
	{
		/* resumed: a worker or the submitter has the answer */
		const char *ratelimit[3] = {req->rl[0], req->rl[1], req->rl[2]};

		if (!req->answer_ready)
			return MHD_YES;
		req->waiting = false;
		return send_answer(req, &req->deferred_answer, ratelimit, NULL,
						   req->deferred_etag[0] ? req->deferred_etag : NULL, req->deferred_gz);
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
		/* first call: only the head is known; answer on a later call */
		const char *refusal;
		int			status;

		/*
		 * in flight from here, its head complete (what a drain waits for:
		 * not a client still sending its head)
		 */
		req->started = true;
		metrics_inflight_add(1);
		req->max_body = serve_body_max(req->uri, method);
		if ((refusal = head_refusal(req, conn, &status)) != NULL)
		{
			Answer		ans = {0};
			const char *rl[3] = {req->rl[0], req->rl[1], req->rl[2]};

			request_start(req, conn, method);
			answer_fail(&ans, status, refusal);
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

/*---- libmicrohttpd's own error answers ----*/

/*
 * libmicrohttpd answers some requests itself, before the gateway's handler
 * is called: a malformed request line or header line (400), a bad
 * Content-Length (400, 413), a malformed chunked body (400), a request
 * line or head larger than its memory pool (414, 431), an HTTP version
 * other than 1.0 and 1.1 (505). Those answers are HTML, and version 0.9.75
 * (Debian 12) has no option or callback to change them. They all go
 * through the library's exported MHD_queue_response, which the library
 * calls through its PLT: the gateway defines MHD_queue_response itself
 * (the executable's definition comes first in symbol lookup), passes its
 * own answers (own_answer set) to the library's, and replaces the
 * library's with the contract's JSON error.
 *
 * One case needs more: after a bad Content-Length, 0.9.75 builds the
 * answer's head twice (its state machine goes on from "headers received"
 * after queuing the error), so the client would read two status lines.
 * For it the gateway writes its JSON answer on the socket itself and
 * declines the library's, which then closes the connection.
 *
 * Should a future build of the library call its own function directly
 * (no PLT), its HTML answers come back: the hardening tests check the JSON.
 */
typedef enum MHD_Result (*QueueResponse) (struct MHD_Connection *conn, unsigned int status,
										  struct MHD_Response *resp);

static QueueResponse library_queue;
static pthread_once_t library_queue_once = PTHREAD_ONCE_INIT;

static void
library_queue_find(void)
{
	void	   *sym = dlsym(RTLD_NEXT, "MHD_queue_response");

	if (sym == NULL)
	{
		fprintf(stderr, "leadgen-gateway: libmicrohttpd's MHD_queue_response not found: %s\n", dlerror());
		abort();
	}
	memcpy(&library_queue, &sym, sizeof(library_queue));
}

static const char *
library_error_message(unsigned int status)
{
	switch (status)
	{
		case 400:
			return "The request is malformed (its request line, a header line, Content-Length or chunked body).";
		case 413:
			return "The body is larger than this gateway accepts.";
		case 414:
			return "The request line is too long.";
		case 431:
			return "The request's header lines are too large.";
		case 505:
			return "This HTTP version is not supported; use HTTP/1.1.";
		default:
			return "The request could not be processed.";
	}
}

/* Whether the library refused the request for its Content-Length (see above). */
static bool
content_length_refused(struct MHD_Connection *conn)
{
	const char *cl = MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_CONTENT_LENGTH);
	long long	n;

	return cl != NULL &&
		MHD_lookup_connection_value(conn, MHD_HEADER_KIND, MHD_HTTP_HEADER_TRANSFER_ENCODING) == NULL &&
		!parse_int(cl, 0, (long long) 1 << 62, &n);
}

/* Write a whole answer on the connection's socket; false when it could not. */
static bool
write_answer(struct MHD_Connection *conn, unsigned int status, const char *rid, const char *body, size_t len)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CONNECTION_FD);
	const char *reason = MHD_get_reason_phrase_for(status);
	Buf			b = {0};
	size_t		off = 0;

	if (ci == NULL)
		return false;
	buf_printf(&b, "HTTP/1.1 %u %s\r\nConnection: close\r\nContent-Type: application/json; charset=utf-8\r\n"
			   "Content-Length: %zu\r\nX-Request-Id: %s\r\nX-RateLimit-Limit: " GW_UNLIMITED "\r\n"
			   "X-RateLimit-Remaining: " GW_UNLIMITED "\r\n"
			   "X-RateLimit-Reset: 0\r\n\r\n", status, reason ? reason : "Error", len, rid);
	buf_append(&b, body, len);
	while (off < b.len)
	{
		ssize_t		n = send(ci->connect_fd, b.data + off, b.len - off, MSG_NOSIGNAL);

		if (n <= 0)
			break;
		off += (size_t) n;
	}
	buf_free(&b);
	return off == b.len;
}

enum MHD_Result
MHD_queue_response(struct MHD_Connection *conn, unsigned int status, struct MHD_Response *resp)
{
	struct MHD_Response *json;
	enum MHD_Result ret;
	char		rid[40];
	char	   *body;
	size_t		len;

	pthread_once(&library_queue_once, library_queue_find);
	if (own_answer)
		return library_queue(conn, status, resp);

	/* the library's own error answer: the contract's JSON instead */
	snprintf(rid, sizeof(rid), "%08llx-%08llx", instance_tag, (unsigned long long) atomic_fetch_add(&request_seq, 1));
	body = error_json(error_code((int) status), library_error_message(status), NULL, &len);
	metrics_observe(-1, (int) status, 0);
	if (content_length_refused(conn))
	{
		write_answer(conn, status, rid, body, len);
		free(body);
		return MHD_NO;			/* the library closes the connection, with no answer of its own */
	}
	json = MHD_create_response_from_buffer(len, body, MHD_RESPMEM_MUST_FREE);
	if (json == NULL)
	{
		free(body);
		return library_queue(conn, status, resp);
	}
	MHD_add_response_header(json, MHD_HTTP_HEADER_CONTENT_TYPE, "application/json; charset=utf-8");
	MHD_add_response_header(json, "X-Request-Id", rid);
	MHD_add_response_header(json, "X-RateLimit-Limit", GW_UNLIMITED);
	MHD_add_response_header(json, "X-RateLimit-Remaining", GW_UNLIMITED);
	MHD_add_response_header(json, "X-RateLimit-Reset", "0");
	ret = library_queue(conn, status, json);
	MHD_destroy_response(json);
	return ret;
}

/*
 * Start the daemon on --bind (IPv4, or IPv6: "::" takes IPv4 clients too
 * where the system allows). A port in use is an error unless --reuse-port
 * (SO_REUSEPORT, which every process sharing the port must set): two
 * gateways of two checkouts on one port would split a client's requests
 * between two databases.
 */
/* libmicrohttpd's accept policy: at most GW_CONN_PER_ADDRESS from one address. */
static enum MHD_Result
on_accept(void *cls, const struct sockaddr *addr, socklen_t addrlen)
{
	(void) cls;
	(void) addrlen;
	return conn_admit(addr) ? MHD_YES : MHD_NO;
}

static void
on_connection(void *cls, struct MHD_Connection *conn, void **socket_context, enum MHD_ConnectionNotificationCode toe)
{
	const union MHD_ConnectionInfo *ci = MHD_get_connection_info(conn, MHD_CONNECTION_INFO_CLIENT_ADDRESS);

	(void) cls;
	(void) socket_context;
	if (ci != NULL && toe == MHD_CONNECTION_NOTIFY_CLOSED)
		conn_closed(ci->client_addr);
}

struct MHD_Daemon *
http_start(void)
{
	struct sockaddr_in addr4;
	struct sockaddr_in6 addr6;
	struct sockaddr *addr;
	unsigned int flags = MHD_USE_INTERNAL_POLLING_THREAD | MHD_USE_EPOLL | MHD_ALLOW_SUSPEND_RESUME |
		MHD_USE_ERROR_LOG;
	struct MHD_OptionItem reuse[2] = {{MHD_OPTION_END, 1, NULL}, {MHD_OPTION_END, 0, NULL}};
	struct MHD_Daemon *d;
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	instance_tag = ((unsigned long long) ts.tv_nsec ^ ((unsigned long long) ts.tv_sec << 20)) & 0xffffffffULL;
	memset(&addr4, 0, sizeof(addr4));
	memset(&addr6, 0, sizeof(addr6));
	addr4.sin_family = AF_INET;
	addr4.sin_port = htons((uint16_t) gw_settings.port);
	addr6.sin6_family = AF_INET6;
	addr6.sin6_port = htons((uint16_t) gw_settings.port);
	if (inet_pton(AF_INET, gw_settings.bind, &addr4.sin_addr) == 1)
		addr = (struct sockaddr *) &addr4;
	else if (inet_pton(AF_INET6, gw_settings.bind, &addr6.sin6_addr) == 1)
	{
		addr = (struct sockaddr *) &addr6;
		flags |= MHD_USE_IPv6;
		if (IN6_IS_ADDR_UNSPECIFIED(&addr6.sin6_addr))
			flags |= MHD_USE_DUAL_STACK;
	}
	else
	{
		fprintf(stderr, "leadgen-gateway: --bind %s is not an IPv4 or IPv6 address\n", gw_settings.bind);
		return NULL;
	}
	/*
	 * Without the option libmicrohttpd sets SO_REUSEADDR only (a restart
	 * binds despite old connections in TIME_WAIT; a second listener is
	 * refused); with it SO_REUSEPORT too. (Its value 0 would drop
	 * SO_REUSEADDR as well.)
	 */
	reuse[0].option = gw_settings.reuse_port ? MHD_OPTION_LISTENING_ADDRESS_REUSE : MHD_OPTION_END;
	workers_start(gw_settings.threads, serve_waiting);
	d = MHD_start_daemon(flags, (uint16_t) gw_settings.port, on_accept, NULL, on_request, NULL,
						 MHD_OPTION_SOCK_ADDR, addr,
						 MHD_OPTION_THREAD_POOL_SIZE, (unsigned int) gw_settings.threads,
						 MHD_OPTION_CONNECTION_TIMEOUT, (unsigned int) 15,
						 MHD_OPTION_CONNECTION_LIMIT, (unsigned int) 4096,
						 MHD_OPTION_URI_LOG_CALLBACK, on_uri, NULL,
						 MHD_OPTION_NOTIFY_COMPLETED, on_completed, NULL,
						 MHD_OPTION_NOTIFY_CONNECTION, on_connection, NULL,
						 MHD_OPTION_ARRAY, reuse,
						 MHD_OPTION_END);
	return d;
}
