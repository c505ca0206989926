/*
 * serve.c
 *		What every route shares, between libmicrohttpd (http.c) and the
 *		route's handler (routes.c): routing (target, route, argument
 *		lengths, the body a POST may have), then the key, the tier, the
 *		rate limit, the body's type, the cache, and the handler.
 *
 * An HTTP thread serves a request as far as it goes without the database
 * (a liveness probe, a remembered key, a cached answer); a database worker
 * serves the rest (serve_deferred), under its route's statement timeout.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway.h"

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
	return media_type_is(ct, "application/json") || (ndjson_too && media_type_is(ct, "application/x-ndjson"));
}

/*
 * Route the request: its target parsed, its route found, its arguments
 * within their lengths. False, with the refusal in ans (414, 400, 404,
 * 405 with the methods the path takes in allow), when it has no route.
 */
bool
serve_route(Request *req, Answer *ans, char *allow, size_t allowlen)
{
	const char *err;
	const char *arg;
	const Route *route;
	bool		path_known;
	size_t		max;

	allow[0] = '\0';
	if (strlen(req->uri) > GW_TARGET_MAX)
	{
		char		m[96];

		snprintf(m, sizeof(m), "The request target is longer than %d bytes.", GW_TARGET_MAX);
		answer_fail(ans, 414, m);
		return false;
	}
	if (!target_parse(req->uri, &req->target, &err))
	{
		answer_fail(ans, 400, err);
		return false;
	}
	route = route_find(gw_routes, gw_nroutes, req->method, &req->target, req->caps, allow, allowlen, &path_known);
	if (route == NULL)
	{
		if (path_known)
			answer_fail(ans, 405, "This path does not take this method; see the Allow header.");
		else
		{
			answer_fail(ans, 404, "No such route; GET /openapi.json lists them.");
			allow[0] = '\0';
		}
		return false;
	}
	req->route = route;
	req->route_index = (int) (route - gw_routes);
	if ((arg = arg_too_long(route, &req->target, req->caps, &max)) != NULL)
	{
		/* refused before any statement: a value no valid one is as long as */
		Buf			m = {0};
		Buf			d = {0};

		buf_puts(&m, strcmp(arg, "path") == 0 ? "A path segment" : arg);
		buf_printf(&m, " is longer than any valid value (at most %zu bytes).", max);
		buf_puts(&d, "{\"parameter\":");
		buf_json_string(&d, arg);
		buf_printf(&d, ",\"max_length\":%zu}", max);
		ans->status = 400;
		ans->body = error_json("bad_request", m.data, d.data, &ans->len);
		buf_free(&m);
		buf_free(&d);
		return false;
	}
	return true;
}

/*
 * A 401 (message) that counts in the client address's anonymous bucket
 * (rate_take_unauthenticated): the 401, or a 429 past the limit. False,
 * with nothing answered, when the database must be asked and may_block is
 * false.
 */
static bool
unauthenticated(Request *req, Answer *ans, const char *message, bool may_block)
{
	free(ans->body);
	memset(ans, 0, sizeof(*ans));
	switch (rate_take_unauthenticated(req, ans, req->rl[0], req->rl[1], req->rl[2], may_block))
	{
		case RATE_NEEDS_DB:
			return false;
		case RATE_REFUSED:
			return true;
		case RATE_OK:
			break;
	}
	answer_fail(ans, 401, message);
	return true;
}

/*
 * Serve the request as far as it goes: key, tier, rate limit, body, cache,
 * handler. With may_block false (on an HTTP thread) it stops at the first
 * step that needs the database, with nothing answered, and returns false;
 * it is then served again from the start by a database worker. Otherwise
 * returns true with the answer in ans (a cached one with its etag and gz),
 * or with req->submit set when the lead submitter will answer.
 */
bool
serve_request(Request *req, Answer *ans, bool may_block, char *etag, bool *gz)
{
	const Route *route = req->route;
	Buf			key = {0};
	bool		cacheable;
	uint64_t	gen = 0;
	int			rc;

	etag[0] = '\0';
	*gz = false;
	/* a liveness probe answers whoever asks, whatever the database does */
	if (!(route->exempt && route->nodb))
	{
		rc = auth_check(req, req->key, ans, may_block);
		if (rc == AUTH_NEEDS_DB)
			return false;
		if (rc == 401)
			return unauthenticated(req, ans, "The API key is not valid (unknown or revoked).", may_block);
		if (rc != 0)
			return true;
	}
	if (!tier_allows(req->tier, route->access))
	{
		if (req->tier == TIER_ANONYMOUS)
			return unauthenticated(req, ans, "This route needs an API key (Authorization: Bearer <key> or X-API-Key).",
								   may_block);
		else
			answer_fail(ans, 403, route->access == ACCESS_ADMIN ? "This route needs an admin API key."
				 : "This API key's tier may not call this route.");
		return true;
	}
	switch (rate_take(req, route, ans, req->rl[0], req->rl[1], req->rl[2], may_block))
	{
		case RATE_NEEDS_DB:
			return false;
		case RATE_REFUSED:
			return true;
		case RATE_OK:
			break;
	}

	if (strcmp(route->method, "POST") == 0)
	{

		if (req->too_large)
		{
			answer_fail(ans, 413, "The body is larger than this route accepts.");
			return true;
		}
		if (req->body.len > 0 && !content_type_ok(req->content_type, route->ndjson))
		{
			answer_fail(ans, 415, route->ndjson ? "Send the batch as application/json (an array) or application/x-ndjson."
				 : "Send the body as application/json.");
			return true;
		}
		if (req->body.len > 0 && memchr(req->body.data, '\0', req->body.len) != NULL)
		{
			answer_fail(ans, 400, "The body holds a NUL byte.");
			return true;
		}
	}

	cacheable = route->cache_ttl > 0 && cache_enabled() && strcmp(route->method, "GET") == 0;
	if (cacheable)
	{
		char	   *body;
		size_t		len;

		/*
		 * A query string the route does not read (?_=1701, a cache buster)
		 * got an entry of its own: every variant a miss, and the 0.3 s
		 * aggregates computed again for each.
		 */
		cache_key(&key, req->target.path, route->noargs ? "" : req->target.query, req->broker);
		if (cache_get(key.data, route->deps, req->gzip_ok, &body, &len, gz, etag))
		{
			buf_free(&key);
			req->cache = "HIT";
			ans->status = 200;
			ans->body = body;
			ans->len = len;
			return true;
		}
		etag[0] = '\0';
		*gz = false;
	}
	if (!may_block && !route->nodb)
	{
		buf_free(&key);
		return false;
	}
	if (cacheable)
	{
		req->cache = "MISS";
		gen = cache_generation(route->deps);
	}

	route->handler(req, route, ans);

	/*
	 * Not an answer read on a replica: the change notifications the cache
	 * follows come from the primary, before the replica has the change, so
	 * such an answer could outlive them (read-your-writes of the next
	 * client, and a staleness of the cache's TTL instead of the lag)
	 */
	if (cacheable && !req->submit && ans->status == 200 && !ans->from_replica)
	{
		char		tag[32];

		etag_of(ans->body, ans->len, tag);
		cache_put(key.data, route->deps, gen, route->cache_ttl, ans->body, ans->len, tag);
	}
	buf_free(&key);
	return true;
}

/*
 * A database worker's part of a request an HTTP thread could not finish:
 * serve it under its route's statement timeout, or answer it 503 unrun
 * (why). False when the lead submitter takes it on (req->submit).
 */
bool
serve_deferred(Request *req, WorkReason why, Answer *ans, char *etag, bool *gz)
{
	etag[0] = '\0';
	*gz = false;
	if (why != WORK_RUN)
	{
		ans->status = 503;
		ans->retry_after = 1;
		ans->body = error_json("unavailable", why == WORK_STOPPING
							   ? "The gateway is stopping; try another instance or again shortly."
							   : "Every database connection was busy for longer than this route's timeout; "
							   "try again shortly.", NULL, &ans->len);
		return true;
	}
	db_set_timeout(route_timeout_ms(req->route));
	serve_request(req, ans, true, etag, gz);
	return !req->submit;
}

/*
 * The largest body the route of a POST takes: --max-body, times the
 * route's body_factor. Routed here, on the first call, to refuse an
 * over-long declared body before reading it; dispatch routes again.
 */
size_t
serve_body_max(const char *uri, const char *method)
{
	Target		t;
	const char *err;
	const char *caps[GW_MAX_CAPS];
	char		allow[64];
	bool		known;
	const Route *route;
	size_t		max = gw_settings.max_body;

	if (strcmp(method, "POST") != 0 || strlen(uri) > GW_TARGET_MAX || !target_parse(uri, &t, &err))
		return max;
	route = route_find(gw_routes, gw_nroutes, method, &t, caps, allow, sizeof(allow), &known);
	if (route && route->body_factor > 1)
		max *= (size_t) route->body_factor;
	target_free(&t);
	return max;
}
