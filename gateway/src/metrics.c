/*
 * metrics.c
 *		Request counts by route and status, latency histograms by route, the
 *		requests in flight, and the Prometheus text rendering of them with
 *		the gauges the caller gathers from the other modules (metrics.c
 *		calls none of them).
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <stdatomic.h>
#include <string.h>

#include "gateway.h"

#define MAX_ROUTES	64
#define NBOUNDS		14

static const int codes[] = {200, 202, 304, 400, 401, 403, 404, 405, 409, 413, 415, 422, 429, 500, 503, 504};
#define NCODES ((int) (sizeof(codes) / sizeof(codes[0])))
/* 0.2 and 0.5: the alert rules' P95 thresholds fall on bucket bounds */
static const double bounds[NBOUNDS] = {0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.2, 0.25, 0.5, 1, 2.5, 5};

/* route index MAX_ROUTES - 1 collects requests that matched no route */
static atomic_uint_fast64_t counts[MAX_ROUTES][NCODES + 1];
static atomic_uint_fast64_t buckets[MAX_ROUTES][NBOUNDS + 1];
static atomic_uint_fast64_t sum_us[MAX_ROUTES];
static atomic_uint_fast64_t rate_limited;
static atomic_uint_fast64_t not_replicated;
static atomic_int inflight;

/* A request was received (1) or answered (-1). */
void
metrics_inflight_add(int delta)
{
	atomic_fetch_add(&inflight, delta);
}

/* Requests received and not yet answered. */
int
metrics_inflight(void)
{
	return atomic_load(&inflight);
}

void
metrics_observe(int route, int status, double seconds)
{
	int			c = NCODES;
	int			b = NBOUNDS;

	if (route < 0 || route >= MAX_ROUTES - 1)
		route = MAX_ROUTES - 1;
	for (int i = 0; i < NCODES; i++)
		if (codes[i] == status)
			c = i;
	for (int i = 0; i < NBOUNDS; i++)
		if (seconds <= bounds[i])
		{
			b = i;
			break;
		}
	atomic_fetch_add_explicit(&counts[route][c], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&buckets[route][b], 1, memory_order_relaxed);
	atomic_fetch_add_explicit(&sum_us[route], (uint64_t) (seconds * 1e6), memory_order_relaxed);
}

void
metrics_rate_limited(void)
{
	atomic_fetch_add_explicit(&rate_limited, 1, memory_order_relaxed);
}

/* A lead submission was answered 503 not_replicated (--ack-standby-ms). */
void
metrics_not_replicated(void)
{
	atomic_fetch_add_explicit(&not_replicated, 1, memory_order_relaxed);
}

static void
route_label(Buf *b, const Route *routes, int r)
{
	if (r == MAX_ROUTES - 1)
		buf_puts(b, "route=\"unmatched\"");
	else
		buf_printf(b, "route=\"%s %s\"", routes[r].method, routes[r].pattern);
}

/* The samples of the route table routes (nroutes rows), then the gauges g. */
void
metrics_render(Buf *b, const Route *routes, int nroutes, const MetricsGauges *g)
{
	int			nr = nroutes < MAX_ROUTES - 1 ? nroutes : MAX_ROUTES - 1;

	buf_puts(b, "# HELP leadgen_gateway_requests_total Requests answered, by route and status.\n"
			 "# TYPE leadgen_gateway_requests_total counter\n");
	for (int r = 0; r < MAX_ROUTES; r++)
	{
		if (r >= nr && r != MAX_ROUTES - 1)
			continue;
		for (int c = 0; c <= NCODES; c++)
		{
			uint64_t	v = atomic_load(&counts[r][c]);

			if (v == 0)
				continue;
			buf_puts(b, "leadgen_gateway_requests_total{");
			route_label(b, routes, r);
			if (c < NCODES)
				buf_printf(b, ",code=\"%d\"} %llu\n", codes[c], (unsigned long long) v);
			else
				buf_printf(b, ",code=\"other\"} %llu\n", (unsigned long long) v);
		}
	}
	buf_puts(b, "# HELP leadgen_gateway_request_duration_seconds Time to answer, by route.\n"
			 "# TYPE leadgen_gateway_request_duration_seconds histogram\n");
	for (int r = 0; r < MAX_ROUTES; r++)
	{
		uint64_t	cum = 0;

		if (r >= nr && r != MAX_ROUTES - 1)
			continue;
		for (int i = 0; i <= NBOUNDS; i++)
			cum += atomic_load(&buckets[r][i]);
		if (cum == 0)
			continue;
		cum = 0;
		for (int i = 0; i <= NBOUNDS; i++)
		{
			cum += atomic_load(&buckets[r][i]);
			buf_puts(b, "leadgen_gateway_request_duration_seconds_bucket{");
			route_label(b, routes, r);
			if (i < NBOUNDS)
				buf_printf(b, ",le=\"%g\"} %llu\n", bounds[i], (unsigned long long) cum);
			else
				buf_printf(b, ",le=\"+Inf\"} %llu\n", (unsigned long long) cum);
		}
		buf_puts(b, "leadgen_gateway_request_duration_seconds_sum{");
		route_label(b, routes, r);
		buf_printf(b, "} %.6f\n", (double) atomic_load(&sum_us[r]) / 1e6);
		buf_puts(b, "leadgen_gateway_request_duration_seconds_count{");
		route_label(b, routes, r);
		buf_printf(b, "} %llu\n", (unsigned long long) cum);
	}
	buf_printf(b,
			   "# HELP leadgen_gateway_cache_hits_total GET answers served from the response cache.\n"
			   "# TYPE leadgen_gateway_cache_hits_total counter\nleadgen_gateway_cache_hits_total %llu\n"
			   "# HELP leadgen_gateway_cache_misses_total Cacheable GET answers the database had to compute.\n"
			   "# TYPE leadgen_gateway_cache_misses_total counter\nleadgen_gateway_cache_misses_total %llu\n"
			   "# HELP leadgen_gateway_cache_evictions_total Cached answers dropped to stay within --cache-mb.\n"
			   "# TYPE leadgen_gateway_cache_evictions_total counter\nleadgen_gateway_cache_evictions_total %llu\n"
			   "# HELP leadgen_gateway_cache_bytes Bytes held by the response cache.\n"
			   "# TYPE leadgen_gateway_cache_bytes gauge\nleadgen_gateway_cache_bytes %zu\n"
			   "# HELP leadgen_gateway_rate_limited_total Requests answered 429 (over their rate limit).\n"
			   "# TYPE leadgen_gateway_rate_limited_total counter\nleadgen_gateway_rate_limited_total %llu\n"
			   "# HELP leadgen_gateway_not_replicated_total Commits of lead submissions no standby confirmed within --ack-standby-ms (every request of one answered 503).\n"
			   "# TYPE leadgen_gateway_not_replicated_total counter\nleadgen_gateway_not_replicated_total %llu\n"
			   "# HELP leadgen_gateway_db_connections Database connections of the database workers and submitters, by state.\n"
			   "# TYPE leadgen_gateway_db_connections gauge\n"
			   "leadgen_gateway_db_connections{state=\"up\"} %d\n"
			   "leadgen_gateway_db_connections{state=\"down\"} %d\n"
			   "# HELP leadgen_gateway_db_workers Database workers of this gateway (--threads): its connection pool.\n"
			   "# TYPE leadgen_gateway_db_workers gauge\nleadgen_gateway_db_workers %d\n"
			   "# HELP leadgen_gateway_db_workers_busy Database workers serving a request now.\n"
			   "# TYPE leadgen_gateway_db_workers_busy gauge\nleadgen_gateway_db_workers_busy %d\n"
			   "# HELP leadgen_gateway_db_queue Requests waiting for a free database worker.\n"
			   "# TYPE leadgen_gateway_db_queue gauge\nleadgen_gateway_db_queue %d\n"
			   "# HELP leadgen_gateway_in_flight_requests Requests received and not yet answered.\n"
			   "# TYPE leadgen_gateway_in_flight_requests gauge\nleadgen_gateway_in_flight_requests %d\n",
			   (unsigned long long) g->cache_hits, (unsigned long long) g->cache_misses,
			   (unsigned long long) g->cache_evictions, g->cache_bytes, (unsigned long long) atomic_load(&rate_limited),
			   (unsigned long long) atomic_load(&not_replicated),
			   g->db_up, g->db_down, g->db_workers, g->db_busy, g->db_queue, atomic_load(&inflight));
}
