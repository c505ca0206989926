/*
 * auth.c
 *		API keys (verified by the database, remembered a few seconds),
 *		shared rate limits, and the record of recent writes that keeps a
 *		client's reads on the primary.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

#define KEY_SLOTS		1024
#define KEY_TTL			5.0		/* a revoked key dies within this even without a notification */
#define KEY_TTL_UNKNOWN 2.0
#define BLOCK_SLOTS		1024
#define WRITE_SLOTS		4096
#define WRITE_STICKY	5.0		/* seconds a client's reads stay on the primary after a write */

typedef struct KeySlot
{
	uint64_t	h1,
				h2;				/* two hashes of the key; the key itself is not kept */
	double		expires;
	bool		valid;
	Tier		tier;
	int64_t		key_id;
	int64_t		broker;
} KeySlot;

typedef struct BlockSlot
{
	uint64_t	h;
	double		until;
	int			limit;
} BlockSlot;

typedef struct WriteSlot
{
	double		at;				/* when a client of this slot last wrote */
} WriteSlot;

static pthread_mutex_t lock = PTHREAD_MUTEX_INITIALIZER;
static KeySlot keys[KEY_SLOTS];
static BlockSlot blocks[BLOCK_SLOTS];
static WriteSlot writes[WRITE_SLOTS];

void
auth_forget_keys(void)
{
	pthread_mutex_lock(&lock);
	memset(keys, 0, sizeof(keys));
	pthread_mutex_unlock(&lock);
}

static uint64_t
hash2(const char *s)
{
	Buf			b = {0};
	uint64_t	h;

	buf_puts(&b, "pg_leadgen:");
	buf_puts(&b, s);
	h = fnv1a(b.data, b.len);
	buf_free(&b);
	return h;
}

static Tier
tier_of(const char *s)
{
	if (strcmp(s, "admin") == 0)
		return TIER_ADMIN;
	if (strcmp(s, "internal") == 0)
		return TIER_INTERNAL;
	return TIER_PARTNER;
}

/*
 * Who the caller is: anonymous without a key; otherwise the key's tier and
 * broker. Returns 0, or an HTTP status (401, 503, 504) with ans filled;
 * or AUTH_NEEDS_DB, with nothing filled, when the key is not remembered
 * and may_block is false (the caller is an HTTP thread, which never waits
 * on the database).
 */
int
auth_check(Request *req, const char *key, Answer *ans, bool may_block)
{
	uint64_t	h1,
				h2;
	KeySlot    *slot;
	KeySlot		k;
	double		now = now_seconds();
	bool		known = false;

	req->tier = TIER_ANONYMOUS;
	req->key_id = 0;
	req->broker = 0;
	if (key == NULL)
		return 0;
	h1 = fnv1a(key, strlen(key));
	h2 = hash2(key);
	slot = &keys[h1 % KEY_SLOTS];
	pthread_mutex_lock(&lock);
	if (slot->h1 == h1 && slot->h2 == h2 && slot->expires > now)
	{
		known = true;
		k = *slot;
	}
	pthread_mutex_unlock(&lock);
	if (!known && !may_block && strlen(key) <= 200)
		return AUTH_NEEDS_DB;
	if (!known)
	{
		memset(&k, 0, sizeof(k));
		k.h1 = h1;
		k.h2 = h2;
		if (strlen(key) <= 200)
		{
			const char *p[1] = {key};
			PGresult   *r = db_exec(DB_PRIMARY, "SELECT key_id, tier, broker_id FROM leadgen.api_key_verify($1)",
									1, p, ans, true);

			if (r == NULL)
				return ans->status;
			k.valid = PQntuples(r) == 1;
			if (k.valid)
			{
				k.key_id = atoll(PQgetvalue(r, 0, 0));
				k.tier = tier_of(PQgetvalue(r, 0, 1));
				k.broker = PQgetisnull(r, 0, 2) ? 0 : atoll(PQgetvalue(r, 0, 2));
			}
			PQclear(r);
		}
		k.expires = now + (k.valid ? KEY_TTL : KEY_TTL_UNKNOWN);
		pthread_mutex_lock(&lock);
		*slot = k;
		pthread_mutex_unlock(&lock);
	}
	if (!k.valid)
	{
		ans->status = 401;
		ans->body = error_json("unauthorized", "The API key is not valid (unknown or revoked).", NULL, &ans->len);
		return 401;
	}
	req->tier = k.tier;
	req->key_id = k.key_id;
	req->broker = k.broker;
	return 0;
}

/*
 * The bucket of a client without a valid key (its address) in bucket;
 * returns its limit a minute.
 */
static int
anonymous_bucket(const Request *req, char *bucket, size_t len)
{
	snprintf(bucket, len, "ip:%s", req->client);
	return 100;
}

/*
 * Take one request from the caller's shared window. Fills the three
 * X-RateLimit values; RATE_OK, or RATE_REFUSED with a 429 in ans when
 * over the limit (or the database's status when it cannot be asked); or
 * RATE_NEEDS_DB, with nothing filled, when the database must be asked and
 * may_block is false.
 */
static RateResult take(const char *bucket, int limit, Answer *ans, char *hdr_limit, char *hdr_remaining,
						char *hdr_reset, bool may_block);

RateResult
rate_take(Request *req, const Route *route, Answer *ans, char *hdr_limit, char *hdr_remaining, char *hdr_reset,
		  bool may_block)
{
	char		bucket[96];
	int			limit;

	if (route->exempt || req->tier == TIER_INTERNAL)
	{
		/* numbers, as clients parse them: no quota is taken */
		strcpy(hdr_limit, GW_UNLIMITED);
		strcpy(hdr_remaining, GW_UNLIMITED);
		strcpy(hdr_reset, "0");
		return RATE_OK;
	}
	if (route->rate_bucket)
	{
		/* a bucket of its own: queue control is never held up by other admin calls */
		snprintf(bucket, sizeof(bucket), "%s:%lld", route->rate_bucket, (long long) req->key_id);
		limit = route->rate_limit;
	}
	else if (route->access == ACCESS_ADMIN)
	{
		snprintf(bucket, sizeof(bucket), "admin:%lld", (long long) req->key_id);
		limit = 10;
	}
	else if (req->tier == TIER_ANONYMOUS)
		limit = anonymous_bucket(req, bucket, sizeof(bucket));
	else
	{
		snprintf(bucket, sizeof(bucket), "key:%lld", (long long) req->key_id);
		limit = 1000;
	}
	return take(bucket, limit, ans, hdr_limit, hdr_remaining, hdr_reset, may_block);
}

/*
 * A request refused for its credentials (401: no key where one is
 * needed, or an unknown or revoked key) is taken from its client
 * address's anonymous bucket, on every route, so that guessing keys is
 * limited like anonymous traffic (429 past it). A valid key is never
 * held up by that bucket: only failures count in it.
 */
RateResult
rate_take_unauthenticated(Request *req, Answer *ans, char *hdr_limit, char *hdr_remaining, char *hdr_reset,
						  bool may_block)
{
	char		bucket[96];
	int			limit = anonymous_bucket(req, bucket, sizeof(bucket));

	return take(bucket, limit, ans, hdr_limit, hdr_remaining, hdr_reset, may_block);
}

/* Take one request from a bucket of limit a minute (see rate_take). */
static RateResult
take(const char *bucket, int limit, Answer *ans, char *hdr_limit, char *hdr_remaining, char *hdr_reset,
	 bool may_block)
{
	uint64_t	h;
	BlockSlot  *b;
	double		now = now_seconds();
	char		limtxt[16];
	const char *p[2];
	PGresult   *r;
	bool		allowed;

	snprintf(hdr_limit, 16, "%d", limit);

	/* known to be over the limit: answer here, without asking the database */
	h = fnv1a(bucket, strlen(bucket));
	b = &blocks[h % BLOCK_SLOTS];
	pthread_mutex_lock(&lock);
	if (b->h == h && b->until > now)
	{
		int			wait = (int) (b->until - now) + 1;

		pthread_mutex_unlock(&lock);
		strcpy(hdr_remaining, "0");
		snprintf(hdr_reset, 16, "%d", wait);
		ans->status = 429;
		ans->retry_after = wait;
		ans->body = error_json("rate_limited", "Too many requests; wait for Retry-After seconds.", NULL, &ans->len);
		metrics_rate_limited();
		return RATE_REFUSED;
	}
	pthread_mutex_unlock(&lock);
	if (!may_block)
		return RATE_NEEDS_DB;

	snprintf(limtxt, sizeof(limtxt), "%d", limit);
	p[0] = bucket;
	p[1] = limtxt;
	r = db_exec(DB_PRIMARY, "SELECT allowed, remaining, reset_seconds, retry_after FROM leadgen.api_rate_take($1, $2::integer, 60)",
				2, p, ans, true);
	if (r == NULL)
	{
		strcpy(hdr_remaining, "0");
		strcpy(hdr_reset, "0");
		return RATE_REFUSED;
	}
	allowed = PQgetvalue(r, 0, 0)[0] == 't';
	snprintf(hdr_remaining, 16, "%s", PQgetvalue(r, 0, 1));
	snprintf(hdr_reset, 16, "%s", PQgetvalue(r, 0, 2));
	if (!allowed)
	{
		int			wait = atoi(PQgetvalue(r, 0, 3));

		/* refused: the quota comes back when the next request is taken */
		snprintf(hdr_reset, 16, "%d", wait);

		pthread_mutex_lock(&lock);
		b->h = h;
		b->until = now + wait;
		b->limit = limit;
		pthread_mutex_unlock(&lock);
		ans->status = 429;
		ans->retry_after = wait;
		ans->body = error_json("rate_limited", "Too many requests; wait for Retry-After seconds.", NULL, &ans->len);
		metrics_rate_limited();
	}
	PQclear(r);
	return allowed ? RATE_OK : RATE_REFUSED;
}

static uint64_t
client_hash(const Request *req)
{
	char		id[96];

	if (req->key_id)
		snprintf(id, sizeof(id), "key:%lld", (long long) req->key_id);
	else
		snprintf(id, sizeof(id), "ip:%s", req->client);
	return fnv1a(id, strlen(id));
}

void
writes_note(const Request *req)
{
	uint64_t	h = client_hash(req);

	pthread_mutex_lock(&lock);
	writes[h % WRITE_SLOTS].at = now_seconds();
	pthread_mutex_unlock(&lock);
}

/*
 * Whether this client wrote in the last few seconds (its reads then go to
 * the primary). A slot holds the last writer of its hash: another client
 * that wrote since shares it, and is taken for this one (the read goes to
 * the primary, which has every write), never the other way round.
 */
bool
writes_recent(const Request *req)
{
	uint64_t	h = client_hash(req);
	bool		recent;

	pthread_mutex_lock(&lock);
	recent = writes[h % WRITE_SLOTS].at + WRITE_STICKY > now_seconds();
	pthread_mutex_unlock(&lock);
	return recent;
}
