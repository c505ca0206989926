/*
 * util.c
 *		Buffers, JSON string escaping, hashing, time and gzip.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include <zlib.h>

#include "gateway.h"

static void
buf_reserve(Buf *b, size_t extra)
{
	size_t		need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	if (b->cap == 0)
		b->cap = 256;
	while (b->cap < need)
		b->cap *= 2;
	b->data = realloc(b->data, b->cap);
	if (b->data == NULL)
		abort();
}

void
buf_append(Buf *b, const void *data, size_t len)
{
	buf_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void
buf_puts(Buf *b, const char *s)
{
	buf_append(b, s, strlen(s));
}

void
buf_printf(Buf *b, const char *fmt,...)
{
	va_list		ap;
	int			n;

	va_start(ap, fmt);
	n = vsnprintf(NULL, 0, fmt, ap);
	va_end(ap);
	if (n < 0)
		return;
	buf_reserve(b, (size_t) n);
	va_start(ap, fmt);
	vsnprintf(b->data + b->len, (size_t) n + 1, fmt, ap);
	va_end(ap);
	b->len += (size_t) n;
}

/*
 * The length of the well-formed UTF-8 sequence at s (1 to 4 bytes), or 0
 * when s does not start one; then *bad is the length of its maximal
 * subpart (the bytes that a well-formed sequence could have begun with),
 * which one U+FFFD replaces (Unicode's "substitution of maximal subparts",
 * as browsers decode). Overlong forms, surrogates and code points above
 * U+10FFFF are not well-formed. s is NUL-terminated; NUL is never a
 * continuation byte, so nothing past it is read.
 */
size_t
utf8_sequence(const unsigned char *s, size_t *bad)
{
	unsigned char c = s[0];
	unsigned char lo = 0x80,
				hi = 0xBF;
	size_t		n;

	*bad = 1;
	if (c < 0x80)
		return 1;
	if (c >= 0xC2 && c <= 0xDF)
		n = 2;
	else if (c >= 0xE0 && c <= 0xEF)
	{
		n = 3;
		if (c == 0xE0)
			lo = 0xA0;			/* overlong below */
		else if (c == 0xED)
			hi = 0x9F;			/* surrogates above */
	}
	else if (c >= 0xF0 && c <= 0xF4)
	{
		n = 4;
		if (c == 0xF0)
			lo = 0x90;			/* overlong below */
		else if (c == 0xF4)
			hi = 0x8F;			/* above U+10FFFF */
	}
	else
		return 0;				/* a continuation byte, C0, C1, F5-FF */
	for (size_t i = 1; i < n; i++)
	{
		if (s[i] < lo || s[i] > hi)
		{
			*bad = i;
			return 0;
		}
		lo = 0x80;
		hi = 0xBF;
	}
	return n;
}

/*
 * A JSON string literal of s. Well-formed UTF-8 is written as it is;
 * quotes, backslashes, control characters and DEL are escaped; each
 * ill-formed part of s becomes U+FFFD, so that the literal is always
 * valid UTF-8 JSON whatever s holds.
 */
void
buf_json_string(Buf *b, const char *s)
{
	const unsigned char *p = (const unsigned char *) s;
	const unsigned char *run = p;	/* bytes to copy as they are */

	buf_reserve(b, strlen(s) + 2);
	buf_append(b, "\"", 1);
	while (*p)
	{
		size_t		bad;
		size_t		n = utf8_sequence(p, &bad);
		char		esc[8];

		if (n > 0 && *p >= 0x20 && *p != '"' && *p != '\\' && *p != 0x7f)
		{
			p += n;
			continue;
		}
		buf_append(b, run, (size_t) (p - run));
		if (n == 0)
		{
			buf_append(b, "\xEF\xBF\xBD", 3);	/* U+FFFD */
			p += bad;
		}
		else
		{
			switch (*p)
			{
				case '"':
					buf_append(b, "\\\"", 2);
					break;
				case '\\':
					buf_append(b, "\\\\", 2);
					break;
				case '\n':
					buf_append(b, "\\n", 2);
					break;
				case '\r':
					buf_append(b, "\\r", 2);
					break;
				case '\t':
					buf_append(b, "\\t", 2);
					break;
				default:
					snprintf(esc, sizeof(esc), "\\u%04x", *p);
					buf_append(b, esc, 6);
			}
			p++;
		}
		run = p;
	}
	buf_append(b, run, (size_t) (p - run));
	buf_append(b, "\"", 1);
}

void
buf_free(Buf *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}

uint64_t
fnv1a(const void *data, size_t len)
{
	const unsigned char *p = data;
	uint64_t	h = 14695981039346656037ULL;

	for (size_t i = 0; i < len; i++)
	{
		h ^= p[i];
		h *= 1099511628211ULL;
	}
	return h;
}

static inline uint64_t
rotl64(uint64_t x, int r)
{
	return (x << (r & 63)) | (x >> ((64 - r) & 63));
}

/* One 8-byte word into a lane: multiplied and rotated, every input bit reaches the lane. */
static inline uint64_t
mix_word(uint64_t acc, uint64_t w)
{
	acc += w * 0x87c37b91114253d5ULL;
	acc = rotl64(acc, 31);
	return acc * 0x4cf5ad432745937fULL;
}

/*
 * A 64-bit hash of a body, for ETags. Byte-at-a-time FNV-1a cost 12 us for
 * a page of 20 leads (10 KiB), 5% of an uncached answer; this reads four
 * independent lanes of 8-byte words (the multiplications overlap), then
 * folds in the rest and the length and mixes the result (the finalizer
 * constants of MurmurHash3), so that a change of any byte changes it.
 */
static uint64_t
body_hash(const void *data, size_t len)
{
	const unsigned char *p = data;
	size_t		n = len;
	uint64_t	a = 0x9e3779b97f4a7c15ULL,
				b = 0xc2b2ae3d27d4eb4fULL,
				c = 0x165667b19e3779f9ULL,
				d = 0x27d4eb2f165667c5ULL;
	uint64_t	h;
	uint64_t	w[4];

	for (; n >= 32; p += 32, n -= 32)
	{
		memcpy(w, p, 32);
		a = mix_word(a, w[0]);
		b = mix_word(b, w[1]);
		c = mix_word(c, w[2]);
		d = mix_word(d, w[3]);
	}
	h = rotl64(a, 1) + rotl64(b, 7) + rotl64(c, 12) + rotl64(d, 18);
	for (; n >= 8; p += 8, n -= 8)
	{
		memcpy(w, p, 8);
		h = mix_word(h, w[0]);
	}
	w[0] = 0;
	if (n > 0)
		memcpy(w, p, n);
	h = mix_word(h, w[0] ^ ((uint64_t) n << 56));
	h ^= (uint64_t) len;
	h ^= h >> 33;
	h *= 0xff51afd7ed558ccdULL;
	h ^= h >> 33;
	h *= 0xc4ceb9fe1a85ec53ULL;
	h ^= h >> 33;
	return h;
}

/* The weak ETag of a body (out holds 32 bytes). */
void
etag_of(const char *body, size_t len, char *out)
{
	snprintf(out, 32, "W/\"%016llx\"", (unsigned long long) body_hash(body, len));
}

double
now_seconds(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double) ts.tv_sec + (double) ts.tv_nsec / 1e9;
}

bool
gzip_buffer(const char *in, size_t len, char **out, size_t *outlen)
{
	z_stream	z;
	size_t		cap = compressBound((uLong) len) + 32;
	char	   *o = malloc(cap);
	int			rc;

	if (o == NULL)
		return false;
	memset(&z, 0, sizeof(z));
	if (deflateInit2(&z, Z_DEFAULT_COMPRESSION, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK)
	{
		free(o);
		return false;
	}
	z.next_in = (Bytef *) in;
	z.avail_in = (uInt) len;
	z.next_out = (Bytef *) o;
	z.avail_out = (uInt) cap;
	rc = deflate(&z, Z_FINISH);
	*outlen = z.total_out;
	deflateEnd(&z);
	if (rc != Z_STREAM_END)
	{
		free(o);
		return false;
	}
	*out = o;
	return true;
}

/* {"error":{"code":...,"message":...,"details":...}}; details is JSON text or NULL. */
char *
error_json(const char *code, const char *message, const char *details_json, size_t *len)
{
	Buf			b = {0};

	buf_puts(&b, "{\"error\":{\"code\":");
	buf_json_string(&b, code);
	buf_puts(&b, ",\"message\":");
	buf_json_string(&b, message);
	if (details_json)
	{
		buf_puts(&b, ",\"details\":");
		buf_puts(&b, details_json);
	}
	buf_puts(&b, "}}");
	*len = b.len;
	return b.data;
}

/*
 * A PostgreSQL array literal of text values: {"a","b\"c",NULL}. Every
 * element is quoted (backslash and double quote escaped); a NULL value is
 * the SQL NULL element.
 */
void
buf_pg_array(Buf *b, const char *const *vals, int n)
{
	buf_puts(b, "{");
	for (int i = 0; i < n; i++)
	{
		if (i > 0)
			buf_puts(b, ",");
		if (vals[i] == NULL)
		{
			buf_puts(b, "NULL");
			continue;
		}
		buf_puts(b, "\"");
		for (const char *c = vals[i]; *c; c++)
		{
			if (*c == '"' || *c == '\\')
				buf_append(b, "\\", 1);
			buf_append(b, c, 1);
		}
		buf_puts(b, "\"");
	}
	buf_puts(b, "}");
}

/*
 * The error code of the contract for an HTTP status (the JSON error's
 * "code"): one table for the gateway's own answers and the database's.
 */
const char *
error_code(int status)
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
		case 409:
			return "conflict";
		case 413:
			return "payload_too_large";
		case 414:
			return "uri_too_long";
		case 415:
			return "unsupported_media_type";
		case 422:
			return "unprocessable";
		case 429:
			return "rate_limited";
		case 431:
			return "header_fields_too_large";
		case 500:
			return "internal";
		case 501:
			return "not_implemented";
		case 503:
			return "unavailable";
		case 504:
			return "timeout";
		case 505:
			return "http_version_not_supported";
		default:
			return status >= 500 ? "internal" : "bad_request";
	}
}

/* Answer status with the contract's JSON error and message. */
void
answer_fail(Answer *ans, int status, const char *message)
{
	ans->status = status;
	ans->body = error_json(error_code(status), message, NULL, &ans->len);
}

/*
 * Whether a Content-Type header names the media type type (given in lower
 * case), parameters aside: media types are case-insensitive (RFC 9110,
 * 8.3.1), so Application/JSON is application/json.
 */
bool
media_type_is(const char *ct, const char *type)
{
	size_t		n = strlen(type);

	if (ct == NULL)
		return false;
	while (*ct == ' ' || *ct == '\t')
		ct++;
	return strncasecmp(ct, type, n) == 0 &&
		(ct[n] == '\0' || ct[n] == ';' || ct[n] == ' ' || ct[n] == '\t');
}
