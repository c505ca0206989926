/*
 * cache.c
 *		The response cache: a hash table with an LRU list, bounded in bytes.
 *		An entry remembers the generation of the resources it was built
 *		from, read before its query ran; a change notification raises the
 *		generation, so an entry built from older data is never served, even
 *		one stored after the notification arrived.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define NBUCKETS	4096
#define NRES		4

typedef struct Entry
{
	struct Entry *next;			/* bucket chain */
	struct Entry *lru_prev;
	struct Entry *lru_next;
	uint64_t	hash;
	char	   *key;
	unsigned	deps;
	uint64_t	gen;
	double		expires;
	char	   *body;
	size_t		len;
	char	   *gz;				/* gzipped body, when worth it */
	size_t		gzlen;
	char		etag[32];
	size_t		size;
} Entry;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static Entry *buckets[NBUCKETS];
static Entry *lru_head;			/* most recently used */
static Entry *lru_tail;
static size_t used_bytes;
static size_t max_bytes;
static size_t n_entries;
static atomic_uint_fast64_t gens[NRES];
static atomic_uint_fast64_t n_hits;
static atomic_uint_fast64_t n_misses;
static atomic_uint_fast64_t n_evictions;
static atomic_uint_fast64_t n_invalidations;

void
cache_init(size_t bytes)
{
	max_bytes = bytes;
}

bool
cache_enabled(void)
{
	return max_bytes > 0;
}

/* The key of a GET answer: its path and query, and the caller's scope. */
void
cache_key(Buf *b, const char *path, const char *query, int64_t broker)
{
	buf_puts(b, path);
	buf_puts(b, "?");
	buf_puts(b, query);
	if (broker)
		buf_printf(b, "\x1f" "broker:%lld", (long long) broker);
	else
		buf_puts(b, "\x1f" "all");
}

/* The generation of a set of resources: a sum that only grows. */
uint64_t
cache_generation(unsigned deps)
{
	uint64_t	g = 0;

	for (int i = 0; i < NRES; i++)
		if (deps & (1u << i))
			g += atomic_load(&gens[i]);
	return g;
}

void
cache_bump(unsigned deps)
{
	for (int i = 0; i < NRES; i++)
		if (deps & (1u << i))
			atomic_fetch_add(&gens[i], 1);
	atomic_fetch_add(&n_invalidations, 1);
}

static void
lru_unlink(Entry *e)
{
	if (e->lru_prev)
		e->lru_prev->lru_next = e->lru_next;
	else
		lru_head = e->lru_next;
	if (e->lru_next)
		e->lru_next->lru_prev = e->lru_prev;
	else
		lru_tail = e->lru_prev;
	e->lru_prev = e->lru_next = NULL;
}

static void
lru_push(Entry *e)
{
	e->lru_next = lru_head;
	e->lru_prev = NULL;
	if (lru_head)
		lru_head->lru_prev = e;
	lru_head = e;
	if (lru_tail == NULL)
		lru_tail = e;
}

static void
entry_remove(Entry *e)
{
	Entry	  **pp = &buckets[e->hash % NBUCKETS];

	while (*pp && *pp != e)
		pp = &(*pp)->next;
	if (*pp)
		*pp = e->next;
	lru_unlink(e);
	used_bytes -= e->size;
	n_entries--;
	free(e->key);
	free(e->body);
	free(e->gz);
	free(e);
}

static Entry *
lookup(const char *key, uint64_t h)
{
	for (Entry *e = buckets[h % NBUCKETS]; e; e = e->next)
		if (e->hash == h && strcmp(e->key, key) == 0)
			return e;
	return NULL;
}

/*
 * A fresh entry for key: a malloc'd copy of its body (gzipped when asked
 * and worth it) and its ETag.
 */
bool
cache_get(const char *key, unsigned deps, bool want_gzip, char **body, size_t *len, bool *gz, char *etag)
{
	uint64_t	h = fnv1a(key, strlen(key));
	uint64_t	gen = cache_generation(deps);
	double		now = now_seconds();
	Entry	   *e;
	bool		hit = false;

	if (max_bytes == 0)
		return false;
	pthread_mutex_lock(&lock);
	e = lookup(key, h);
	if (e && (e->gen != gen || e->expires < now))
	{
		entry_remove(e);
		e = NULL;
	}
	if (e)
	{
		const char *src = (want_gzip && e->gz) ? e->gz : e->body;
		size_t		n = (want_gzip && e->gz) ? e->gzlen : e->len;

		*body = malloc(n + 1);
		if (*body)
		{
			memcpy(*body, src, n);
			*len = n;
			*gz = want_gzip && e->gz;
			memcpy(etag, e->etag, sizeof(e->etag));
			lru_unlink(e);
			lru_push(e);
			hit = true;
		}
	}
	pthread_mutex_unlock(&lock);
	atomic_fetch_add(hit ? &n_hits : &n_misses, 1);
	return hit;
}

void
cache_put(const char *key, unsigned deps, uint64_t gen, int ttl, const char *body, size_t len, const char *etag)
{
	uint64_t	h = fnv1a(key, strlen(key));
	Entry	   *e;
	Entry	   *old;

	if (max_bytes == 0 || len > max_bytes / 8 || gen != cache_generation(deps))
		return;					/* too big, or already out of date */
	e = calloc(1, sizeof(Entry));
	if (e == NULL)
		return;
	e->hash = h;
	e->key = strdup(key);
	e->deps = deps;
	e->gen = gen;
	e->expires = now_seconds() + ttl;
	e->body = malloc(len + 1);
	if (e->key == NULL || e->body == NULL)
	{
		free(e->key);
		free(e->body);
		free(e);
		return;
	}
	memcpy(e->body, body, len);
	e->len = len;
	if (len > 1024)
		gzip_buffer(body, len, &e->gz, &e->gzlen);
	snprintf(e->etag, sizeof(e->etag), "%s", etag);
	e->size = sizeof(Entry) + strlen(key) + len + e->gzlen;

	pthread_mutex_lock(&lock);
	old = lookup(key, h);
	if (old)
		entry_remove(old);
	while (used_bytes + e->size > max_bytes && lru_tail)
	{
		entry_remove(lru_tail);
		atomic_fetch_add(&n_evictions, 1);
	}
	e->next = buckets[h % NBUCKETS];
	buckets[h % NBUCKETS] = e;
	lru_push(e);
	used_bytes += e->size;
	n_entries++;
	pthread_mutex_unlock(&lock);
}

/* Drop the entries whose path (the key up to '?') matches a glob; returns how many. */
int
cache_invalidate(const char *pattern)
{
	int			n = 0;
	Entry	   *e;
	Entry	   *next;

	pthread_mutex_lock(&lock);
	for (e = lru_head; e; e = next)
	{
		char	   *q = strchr(e->key, '?');
		char		save = 0;
		bool		match;

		next = e->lru_next;
		if (q)
		{
			save = *q;
			*q = '\0';
		}
		match = glob_match(pattern, e->key);
		if (!match && q)
		{
			/* also try the path with its query ("...?status=x") */
			char	   *sep = strchr(q + 1, '\x1f');

			*q = save;
			if (sep)
				*sep = '\0';
			match = glob_match(pattern, e->key);
			if (sep)
				*sep = '\x1f';
		}
		else if (q)
			*q = save;
		if (match)
		{
			entry_remove(e);
			n++;
		}
	}
	pthread_mutex_unlock(&lock);
	atomic_fetch_add(&n_invalidations, 1);
	return n;
}

double
cache_hit_rate(void)
{
	uint64_t	h = atomic_load(&n_hits);
	uint64_t	m = atomic_load(&n_misses);

	return h + m ? (double) h / (double) (h + m) : 0.0;
}

void
cache_stats_json(Buf *b)
{
	size_t		entries,
				bytes;

	pthread_mutex_lock(&lock);
	entries = n_entries;
	bytes = used_bytes;
	pthread_mutex_unlock(&lock);
	buf_printf(b, "{\"enabled\":%s,\"entries\":%zu,\"bytes\":%zu,\"max_bytes\":%zu,"
			   "\"hits\":%llu,\"misses\":%llu,\"hit_rate\":%.4f,\"evictions\":%llu,\"invalidations\":%llu}",
			   max_bytes > 0 ? "true" : "false", entries, bytes, max_bytes,
			   (unsigned long long) atomic_load(&n_hits), (unsigned long long) atomic_load(&n_misses),
			   cache_hit_rate(), (unsigned long long) atomic_load(&n_evictions),
			   (unsigned long long) atomic_load(&n_invalidations));
}

void
cache_counters(uint64_t *hits, uint64_t *misses, uint64_t *evictions, size_t *bytes)
{
	*hits = atomic_load(&n_hits);
	*misses = atomic_load(&n_misses);
	*evictions = atomic_load(&n_evictions);
	pthread_mutex_lock(&lock);
	*bytes = used_bytes;
	pthread_mutex_unlock(&lock);
}
