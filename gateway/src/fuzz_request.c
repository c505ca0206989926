/*
 * fuzz_request.c
 *		libFuzzer target over what a client controls before any I/O: the
 *		request line (method and target) is parsed, routed and its list
 *		arguments checked, as the gateway does for every request; the same
 *		bytes as a Forwarded and an X-Forwarded-For header (proxy.c): a
 *		client named must be an IP address.
 *
 * Input: "METHOD /path?query" (the first space separates them; without a
 * space the whole input is the target of a GET). Run:
 *   make -C gateway fuzz && gateway/build/fuzz/fuzz_request -max_total_time=60 gateway/tests/corpus
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "gateway.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/*
 * The code point of the UTF-8 sequence at s[0..len), written apart from
 * the gateway's own reader: its length in *n, or -1 when ill-formed.
 */
static long
code_point(const unsigned char *s, size_t len, size_t *n)
{
	long		cp;
	size_t		need;
	static const long min[5] = {0, 0, 0x80, 0x800, 0x10000};

	if (s[0] < 0x80)
	{
		*n = 1;
		return s[0];
	}
	if ((s[0] & 0xE0) == 0xC0)
	{
		need = 2;
		cp = s[0] & 0x1F;
	}
	else if ((s[0] & 0xF0) == 0xE0)
	{
		need = 3;
		cp = s[0] & 0x0F;
	}
	else if ((s[0] & 0xF8) == 0xF0)
	{
		need = 4;
		cp = s[0] & 0x07;
	}
	else
		return -1;
	if (len < need)
		return -1;
	for (size_t i = 1; i < need; i++)
	{
		if ((s[i] & 0xC0) != 0x80)
			return -1;
		cp = (cp << 6) | (s[i] & 0x3F);
	}
	if (cp < min[need] || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF))
		return -1;
	*n = need;
	return cp;
}

static bool
valid_utf8(const unsigned char *s, size_t len)
{
	size_t		n;

	for (size_t i = 0; i < len; i += n)
		if (code_point(s + i, len - i, &n) < 0)
			return false;
	return true;
}

static void
put_utf8(Buf *b, long cp)
{
	unsigned char u[4];
	size_t		n;

	if (cp < 0x80)
	{
		u[0] = (unsigned char) cp;
		n = 1;
	}
	else if (cp < 0x800)
	{
		u[0] = (unsigned char) (0xC0 | (cp >> 6));
		u[1] = (unsigned char) (0x80 | (cp & 0x3F));
		n = 2;
	}
	else if (cp < 0x10000)
	{
		u[0] = (unsigned char) (0xE0 | (cp >> 12));
		u[1] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		u[2] = (unsigned char) (0x80 | (cp & 0x3F));
		n = 3;
	}
	else
	{
		u[0] = (unsigned char) (0xF0 | (cp >> 18));
		u[1] = (unsigned char) (0x80 | ((cp >> 12) & 0x3F));
		u[2] = (unsigned char) (0x80 | ((cp >> 6) & 0x3F));
		u[3] = (unsigned char) (0x80 | (cp & 0x3F));
		n = 4;
	}
	buf_append(b, u, n);
}

static long
hex4(const unsigned char *s)
{
	long		v = 0;

	for (int i = 0; i < 4; i++)
	{
		int			c = s[i];

		v <<= 4;
		if (c >= '0' && c <= '9')
			v |= c - '0';
		else if (c >= 'a' && c <= 'f')
			v |= c - 'a' + 10;
		else if (c >= 'A' && c <= 'F')
			v |= c - 'A' + 10;
		else
			return -1;
	}
	return v;
}

/*
 * Parse j[0..len) as one JSON string (RFC 8259: no raw control
 * characters, only the defined escapes, valid UTF-8) into out; false when
 * it is not one.
 */
static bool
json_string_parse(const unsigned char *j, size_t len, Buf *out)
{
	size_t		i = 1;

	if (len < 2 || j[0] != '"' || j[len - 1] != '"' || !valid_utf8(j, len))
		return false;
	buf_append(out, "", 0);
	while (i < len - 1)
	{
		unsigned char c = j[i];
		long		cp;

		if (c < 0x20 || c == '"')
			return false;
		if (c != '\\')
		{
			buf_append(out, &j[i], 1);
			i++;
			continue;
		}
		if (i + 1 >= len - 1)
			return false;
		c = j[i + 1];
		i += 2;
		switch (c)
		{
			case '"':
			case '\\':
			case '/':
				buf_append(out, &c, 1);
				continue;
			case 'b':
				buf_append(out, "\b", 1);
				continue;
			case 'f':
				buf_append(out, "\f", 1);
				continue;
			case 'n':
				buf_append(out, "\n", 1);
				continue;
			case 'r':
				buf_append(out, "\r", 1);
				continue;
			case 't':
				buf_append(out, "\t", 1);
				continue;
			case 'u':
				break;
			default:
				return false;
		}
		if (i + 4 > len - 1 || (cp = hex4(&j[i])) < 0)
			return false;
		i += 4;
		if (cp >= 0xD800 && cp <= 0xDBFF)
		{
			long		lo;

			if (i + 6 > len - 1 || j[i] != '\\' || j[i + 1] != 'u' || (lo = hex4(&j[i + 2])) < 0xDC00 ||
				lo > 0xDFFF)
				return false;
			cp = 0x10000 + ((cp - 0xD800) << 10) + (lo - 0xDC00);
			i += 6;
		}
		else if (cp >= 0xDC00 && cp <= 0xDFFF)
			return false;
		if (cp == 0)
			return false;		/* the writer takes C strings: never a NUL */
		put_utf8(out, cp);
	}
	return true;
}

/*
 * The JSON writer's round trip: its literal of s parses, and decodes to s
 * when s is well-formed UTF-8; otherwise to well-formed UTF-8 holding
 * U+FFFD, and never longer than three bytes per byte of s.
 */
static void
json_round_trip(const char *s)
{
	Buf			lit = {0};
	Buf			back = {0};
	size_t		n = strlen(s);

	buf_json_string(&lit, s);
	if (!json_string_parse((const unsigned char *) lit.data, lit.len, &back))
		abort();				/* not a JSON string */
	if (valid_utf8((const unsigned char *) s, n))
	{
		if (back.len != n || memcmp(back.data, s, n) != 0)
			abort();			/* valid input not kept as it was */
	}
	else if (!valid_utf8((const unsigned char *) back.data, back.len) || back.len > 3 * n ||
			 memmem(back.data, back.len, "\xEF\xBF\xBD", 3) == NULL)
		abort();				/* ill-formed input not replaced */
	buf_free(&lit);
	buf_free(&back);
}

/*
 * The input as a Forwarded header and as X-Forwarded-For behind trusted
 * proxies: whatever it holds, a client taken from it is an IP address.
 * (And the input as a --trusted-proxies list is parsed without harm.)
 */
static void
forwarded_client(const char *in)
{
	static bool configured;
	char		out[64];
	unsigned char a[16];

	if (!configured)
	{
		if (proxy_config("127.0.0.1, 10.0.0.0/8, ::1, 2001:db8::/32") != NULL)
			abort();
		configured = true;
	}
	for (int h = 0; h < 2; h++)
	{
		strcpy(out, "peer");
		if (proxy_client(h == 0 ? in : NULL, h == 1 ? in : NULL, out, sizeof(out)) &&
			inet_pton(AF_INET, out, a) != 1 && inet_pton(AF_INET6, out, a) != 1)
			abort();			/* a client named is an address */
	}
	(void) proxy_config(in);
	if (proxy_config("127.0.0.1, 10.0.0.0/8, ::1, 2001:db8::/32") != NULL)
		abort();
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *in = malloc(size + 1);
	char	   *sp;
	const char *method = "GET";
	const char *uri;
	Target		t;
	const char *err;
	const char *caps[GW_MAX_CAPS] = {NULL, NULL};
	char		allow[64];
	bool		known;
	const Route *r;
	long long	v;
	Buf			b = {0};

	if (in == NULL)
		return 0;
	memcpy(in, data, size);
	in[size] = '\0';
	json_round_trip(in);
	forwarded_client(in);
	(void) accepts_gzip_value(in);
	{
		const char *v;
		size_t		n;

		if (json_member(in, size, "wait", &v, &n) == JSON_FOUND && (v < in || v + n > in + size))
			abort();			/* a member's value lies within the body */
	}
	uri = in;
	if ((sp = strchr(in, ' ')) != NULL)
	{
		*sp = '\0';
		method = in;
		uri = sp + 1;
	}
	if (target_parse(uri, &t, &err))
	{
		r = route_find(gw_routes, gw_nroutes, method, &t, caps, allow, sizeof(allow), &known);
		if (r == NULL && known && allow[0] == '\0')
			abort();			/* a known path always names its methods */
		for (int i = 0; i < t.nargs; i++)
		{
			buf_json_string(&b, t.keys[i]);
			buf_json_string(&b, t.vals[i]);
			(void) parse_int(t.vals[i], 0, 1000000000000LL, &v);
			(void) glob_match(t.vals[i], t.path);
		}
		for (int i = 0; i < GW_MAX_CAPS; i++)
			if (caps[i])
				buf_json_string(&b, caps[i]);
		(void) target_arg(&t, "limit");
		(void) token_ok(t.path, 64);
	}
	else if (err == NULL)
		abort();				/* a refusal always says why */
	target_free(&t);
	buf_free(&b);
	free(in);
	return 0;
}
