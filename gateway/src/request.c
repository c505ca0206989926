/*
 * request.c
 *		The request target: path and query parsing, route lookup, small
 *		validators. No I/O here: the fuzz target drives these directly.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <ctype.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "gateway.h"

static int
hexval(int c)
{
	if (c >= '0' && c <= '9')
		return c - '0';
	if (c >= 'a' && c <= 'f')
		return c - 'a' + 10;
	if (c >= 'A' && c <= 'F')
		return c - 'A' + 10;
	return -1;
}

/*
 * Percent-decode src[0..len) into dst (which has room for len + 1 bytes);
 * plus signs become spaces when form is set. Refuses bad escapes and NUL.
 */
static bool
decode(const char *src, size_t len, char *dst, bool form)
{
	size_t		o = 0;

	for (size_t i = 0; i < len; i++)
	{
		int			c = (unsigned char) src[i];

		if (c == '%')
		{
			int			h,
						l;

			if (i + 2 >= len)
				return false;
			h = hexval((unsigned char) src[i + 1]);
			l = hexval((unsigned char) src[i + 2]);
			if (h < 0 || l < 0)
				return false;
			c = h * 16 + l;
			i += 2;
		}
		else if (c == '+' && form)
			c = ' ';
		if (c == 0)
			return false;
		dst[o++] = (char) c;
	}
	dst[o] = '\0';
	return true;
}

/*
 * Split a request target ("/path?query") into decoded path segments and
 * decoded query arguments. On failure *err says why (for a 400).
 */
bool
target_parse(const char *uri, Target *t, const char **err)
{
	size_t		n = strlen(uri);
	const char *q = strchr(uri, '?');
	size_t		plen = q ? (size_t) (q - uri) : n;
	size_t		qlen = q ? n - plen - 1 : 0;
	char	   *p;
	char	   *path;

	memset(t, 0, sizeof(*t));
	*err = NULL;
	if (n > GW_TARGET_MAX)
	{
		*err = "The request target is too long.";
		return false;
	}
	/* path + NUL, query copy + NUL, decoded query (at most its size) + NULs */
	t->storage = malloc(2 * n + 8 + GW_MAX_ARGS * 2);
	if (t->storage == NULL)
	{
		*err = "Out of memory.";
		return false;
	}
	p = t->storage;
	path = p;
	if (plen == 0 || uri[0] != '/' || !decode(uri, plen, path, false))
	{
		*err = "The request path is not valid.";
		return false;
	}
	p += strlen(path) + 1;
	t->path = path;
	memcpy(p, q ? q + 1 : "", qlen);
	p[qlen] = '\0';
	t->query = p;
	p += qlen + 1;

	/* segments: split a copy of the path on '/' (empty segments skipped) */
	{
		char	   *segcopy = p;
		char	   *s;

		memcpy(segcopy, path, strlen(path) + 1);
		p += strlen(path) + 1;
		s = segcopy;
		while (*s)
		{
			char	   *e;

			while (*s == '/')
				s++;
			if (*s == '\0')
				break;
			e = strchr(s, '/');
			if (t->nsegs == GW_MAX_SEGS)
			{
				*err = "The request path has too many segments.";
				return false;
			}
			t->segs[t->nsegs++] = s;
			if (e == NULL)
				break;
			*e = '\0';
			s = e + 1;
		}
	}

	/* arguments: k=v separated by '&' */
	{
		const char *s = t->query;

		while (*s)
		{
			const char *amp = strchr(s, '&');
			size_t		len = amp ? (size_t) (amp - s) : strlen(s);
			const char *eq = memchr(s, '=', len);
			size_t		klen = eq ? (size_t) (eq - s) : len;
			size_t		vlen = eq ? len - klen - 1 : 0;

			if (len > 0)
			{
				if (t->nargs == GW_MAX_ARGS)
				{
					*err = "Too many query parameters.";
					return false;
				}
				if (!decode(s, klen, p, true) || p[0] == '\0')
				{
					*err = "A query parameter is not validly encoded.";
					return false;
				}
				t->keys[t->nargs] = p;
				p += strlen(p) + 1;
				if (!decode(eq ? eq + 1 : "", vlen, p, true))
				{
					*err = "A query parameter is not validly encoded.";
					return false;
				}
				t->vals[t->nargs] = p;
				p += strlen(p) + 1;
				for (int i = 0; i < t->nargs; i++)
					if (strcmp(t->keys[i], t->keys[t->nargs]) == 0)
					{
						*err = "A query parameter is given twice.";
						return false;
					}
				t->nargs++;
			}
			if (amp == NULL)
				break;
			s = amp + 1;
		}
	}
	return true;
}

void
target_free(Target *t)
{
	free(t->storage);
	t->storage = NULL;
}

const char *
target_arg(const Target *t, const char *key)
{
	for (int i = 0; i < t->nargs; i++)
		if (strcmp(t->keys[i], key) == 0)
			return t->vals[i];
	return NULL;
}

/* Whether the path segments match a pattern; {} captures one segment. */
static bool
pattern_match(const char *pattern, const Target *t, const char **caps)
{
	const char *p = pattern;
	int			seg = 0;
	int			ncap = 0;

	while (*p)
	{
		const char *e;
		size_t		len;

		while (*p == '/')
			p++;
		if (*p == '\0')
			break;
		e = strchr(p, '/');
		len = e ? (size_t) (e - p) : strlen(p);
		if (seg >= t->nsegs)
			return false;
		if (len == 2 && p[0] == '{' && p[1] == '}')
		{
			if (ncap < GW_MAX_CAPS)
				caps[ncap++] = t->segs[seg];
		}
		else if (strlen(t->segs[seg]) != len || strncmp(p, t->segs[seg], len) != 0)
			return false;
		seg++;
		p += len;
	}
	return seg == t->nsegs;
}

/*
 * The route of routes (nroutes rows) for a method and target. When the path is known but not the
 * method, returns NULL with *path_known set and the allowed methods in
 * allow ("GET, POST").
 */
const Route *
route_find(const Route *routes, int nroutes, const char *method, const Target *t, const char **caps,
		   char *allow, size_t allowlen, bool *path_known)
{
	const Route *found = NULL;

	*path_known = false;
	if (allowlen > 0)
		allow[0] = '\0';
	for (int i = 0; i < nroutes; i++)
	{
		const char *c[GW_MAX_CAPS] = {NULL, NULL};

		if (!pattern_match(routes[i].pattern, t, c))
			continue;
		*path_known = true;
		if (strcmp(routes[i].method, method) == 0 ||
			(strcmp(method, "HEAD") == 0 && strcmp(routes[i].method, "GET") == 0))
		{
			if (found == NULL)
			{
				found = &routes[i];
				caps[0] = c[0];
				caps[1] = c[1];
			}
		}
		else if (allowlen > 0 && strstr(allow, routes[i].method) == NULL)
		{
			size_t		used = strlen(allow);

			if (used + strlen(routes[i].method) + 3 < allowlen)
			{
				if (used > 0)
					strcat(allow, ", ");
				strcat(allow, routes[i].method);
			}
		}
	}
	return found;
}

/*
 * The name of the first query argument (or "path" for a path segment) of
 * the request that is longer than the route accepts, with that maximum in
 * *max; NULL when every one fits.
 */
const char *
arg_too_long(const Route *route, const Target *t, const char *const *caps, size_t *max)
{
	for (int i = 0; i < t->nargs; i++)
	{
		size_t		lim = GW_ARG_MAX;

		for (const ArgLimit *a = route->args; a && a->name; a++)
			if (strcmp(a->name, t->keys[i]) == 0)
			{
				lim = a->max;
				break;
			}
		if (strlen(t->vals[i]) > lim)
		{
			*max = lim;
			return t->keys[i];
		}
	}
	for (int i = 0; i < GW_MAX_CAPS && caps[i]; i++)
		if (strlen(caps[i]) > GW_ARG_MAX)
		{
			*max = GW_ARG_MAX;
			return "path";
		}
	return NULL;
}

/* A decimal integer within [lo, hi], nothing else. */
bool
parse_int(const char *s, long long lo, long long hi, long long *out)
{
	long long	v = 0;
	bool		neg = false;
	int			digits = 0;

	if (s == NULL)
		return false;
	if (*s == '-')
	{
		neg = true;
		s++;
	}
	for (; *s; s++)
	{
		if (!isdigit((unsigned char) *s) || ++digits > 18)
			return false;
		v = v * 10 + (*s - '0');
	}
	if (digits == 0)
		return false;
	if (neg)
		v = -v;
	if (v < lo || v > hi)
		return false;
	*out = v;
	return true;
}

/* A short token of letters, digits, '.', '_' and '-' (request ids). */
bool
token_ok(const char *s, size_t maxlen)
{
	size_t		n = 0;

	for (; *s; s++, n++)
		if (n >= maxlen || !(isalnum((unsigned char) *s) || *s == '.' || *s == '_' || *s == '-'))
			return false;
	return n > 0;
}

/* Glob with '*' (any run of characters) and '?' (one character). */
bool
glob_match(const char *pat, const char *s)
{
	const char *star = NULL;
	const char *mark = NULL;

	while (*s)
	{
		if (*pat == '*')
		{
			star = pat++;
			mark = s;
		}
		else if (*pat == '?' || *pat == *s)
		{
			pat++;
			s++;
		}
		else if (star)
		{
			pat = star + 1;
			s = ++mark;
		}
		else
			return false;
	}
	while (*pat == '*')
		pat++;
	return *pat == '\0';
}

/*---- Accept-Encoding (RFC 9110, 12.5.3) ----*/

static bool
is_tchar(int c)
{
	return isalnum(c) || (c != '\0' && strchr("!#$%&'*+-.^_`|~", c) != NULL);
}

static const char *
skip_ows(const char *s)
{
	while (*s == ' ' || *s == '\t')
		s++;
	return s;
}

/*
 * A qvalue at *sp ("0", "0.5", "1.000": at most three decimals, at most
 * 1) in thousandths, *sp moved past it; -1 when it is none.
 */
static int
qvalue(const char **sp)
{
	const char *s = *sp;
	int			q;
	int			scale = 100;

	if (*s != '0' && *s != '1')
		return -1;
	q = (*s++ - '0') * 1000;
	if (*s == '.')
	{
		s++;
		for (int i = 0; i < 3 && isdigit((unsigned char) *s); i++, s++, scale /= 10)
			q += (*s - '0') * scale;
	}
	if (isdigit((unsigned char) *s) || q > 1000)
		return -1;
	*sp = s;
	return q;
}

/*
 * Whether an Accept-Encoding value lets the answer be gzipped: a list of
 * codings (names case-insensitive: gzip, x-gzip, identity, * for any
 * other), each with an optional weight "; q=" (whitespace allowed around
 * ";" and "="). gzip is acceptable when the list names it (or x-gzip)
 * with q above 0, or does not name it and gives * q above 0. An element
 * that does not parse is left out, as if it were not there.
 */
bool
accepts_gzip_value(const char *v)
{
	int			gzip_q = -1;	/* thousandths; -1 not named */
	int			star_q = -1;

	if (v == NULL)
		return false;
	while (*v)
	{
		const char *name;
		size_t		len;
		int			q = 1000;
		bool		ok = true;

		v = skip_ows(v);
		name = v;
		while (is_tchar((unsigned char) *v))
			v++;
		len = (size_t) (v - name);
		v = skip_ows(v);
		while (ok && *v == ';')
		{
			/* a parameter: only the weight is defined */
			v = skip_ows(v + 1);
			if ((*v == 'q' || *v == 'Q') && *(v = skip_ows(v + 1)) == '=')
			{
				v = skip_ows(v + 1);
				if ((q = qvalue(&v)) < 0)
					ok = false;
				v = skip_ows(v);
			}
			else
				ok = false;
		}
		if (*v != ',' && *v != '\0')
			ok = false;
		/* the rest of a malformed element is skipped to the next comma */
		while (*v && *v != ',')
			v++;
		if (*v == ',')
			v++;
		if (!ok || len == 0)
			continue;
		if ((len == 4 && strncasecmp(name, "gzip", 4) == 0) || (len == 6 && strncasecmp(name, "x-gzip", 6) == 0))
		{
			if (gzip_q < 0)
				gzip_q = q;
		}
		else if (len == 1 && *name == '*')
		{
			if (star_q < 0)
				star_q = q;
		}
	}
	return gzip_q >= 0 ? gzip_q > 0 : star_q > 0;
}

/*---- a JSON body's top-level members ----*/

#define JSON_MAX_DEPTH	256

typedef struct JsonScan
{
	const char *p;
	const char *end;
} JsonScan;

static void
json_ws(JsonScan *j)
{
	while (j->p < j->end && (*j->p == ' ' || *j->p == '\t' || *j->p == '\n' || *j->p == '\r'))
		j->p++;
}

static int
hex4(const char *s)
{
	int			v = 0;

	for (int i = 0; i < 4; i++)
	{
		int			h = hexval((unsigned char) s[i]);

		if (h < 0)
			return -1;
		v = v * 16 + h;
	}
	return v;
}

/*
 * A string at j->p (its opening quote), j->p moved past it. With key, its
 * value is written there (at most keylen - 1 bytes, NUL-terminated; a
 * longer value, or a character outside ASCII, is written as "\x01" so that
 * it matches no name). False when it is not a valid JSON string, or one
 * PostgreSQL's jsonb refuses (\u0000, an unpaired surrogate).
 */
static bool
json_string(JsonScan *j, char *key, size_t keylen)
{
	size_t		n = 0;
	bool		odd = false;

	j->p++;
	while (j->p < j->end && *j->p != '"')
	{
		unsigned char c = (unsigned char) *j->p;
		int			ch = c;

		if (c < 0x20)
			return false;
		if (c == '\\')
		{
			if (j->end - j->p < 2)
				return false;
			c = (unsigned char) j->p[1];
			j->p += 2;
			switch (c)
			{
				case '"':
				case '\\':
				case '/':
					ch = c;
					break;
				case 'b':
				case 'f':
				case 'n':
				case 'r':
				case 't':
					ch = ' ';	/* none of the names has one */
					break;
				case 'u':
					if (j->end - j->p < 4 || (ch = hex4(j->p)) <= 0)
						return false;
					j->p += 4;
					if (ch >= 0xDC00 && ch <= 0xDFFF)
						return false;
					if (ch >= 0xD800 && ch <= 0xDBFF)
					{
						int			lo;

						if (j->end - j->p < 6 || j->p[0] != '\\' || j->p[1] != 'u' ||
							(lo = hex4(j->p + 2)) < 0xDC00 || lo > 0xDFFF)
							return false;
						j->p += 6;
					}
					break;
				default:
					return false;
			}
		}
		else
			j->p++;
		if (ch >= 0x80)
			odd = true;
		if (key && n + 1 < keylen)
			key[n++] = (char) ch;
		else
			odd = true;
	}
	if (j->p >= j->end)
		return false;
	j->p++;
	if (key)
	{
		if (odd)
		{
			key[0] = '\x01';
			n = 1;
		}
		key[n] = '\0';
	}
	return true;
}

static bool json_value(JsonScan *j, int depth);

static bool
json_number(JsonScan *j)
{
	const char *p = j->p;

	if (p < j->end && *p == '-')
		p++;
	if (p < j->end && *p == '0')
		p++;
	else if (p < j->end && *p >= '1' && *p <= '9')
		while (p < j->end && isdigit((unsigned char) *p))
			p++;
	else
		return false;
	if (p < j->end && *p == '.')
	{
		if (++p >= j->end || !isdigit((unsigned char) *p))
			return false;
		while (p < j->end && isdigit((unsigned char) *p))
			p++;
	}
	if (p < j->end && (*p == 'e' || *p == 'E'))
	{
		p++;
		if (p < j->end && (*p == '+' || *p == '-'))
			p++;
		if (p >= j->end || !isdigit((unsigned char) *p))
			return false;
		while (p < j->end && isdigit((unsigned char) *p))
			p++;
	}
	j->p = p;
	return true;
}

static bool
json_word(JsonScan *j, const char *w)
{
	size_t		n = strlen(w);

	if ((size_t) (j->end - j->p) < n || strncmp(j->p, w, n) != 0)
		return false;
	j->p += n;
	return true;
}

/* An array or object's members, j->p at its opening bracket. */
static bool
json_container(JsonScan *j, int depth)
{
	char		close = *j->p == '{' ? '}' : ']';

	if (depth >= JSON_MAX_DEPTH)
		return false;
	j->p++;
	json_ws(j);
	if (j->p < j->end && *j->p == close)
	{
		j->p++;
		return true;
	}
	for (;;)
	{
		if (close == '}')
		{
			if (j->p >= j->end || *j->p != '"' || !json_string(j, NULL, 0))
				return false;
			json_ws(j);
			if (j->p >= j->end || *j->p++ != ':')
				return false;
		}
		if (!json_value(j, depth + 1))
			return false;
		json_ws(j);
		if (j->p >= j->end)
			return false;
		if (*j->p == close)
		{
			j->p++;
			return true;
		}
		if (*j->p++ != ',')
			return false;
		json_ws(j);
	}
}

static bool
json_value(JsonScan *j, int depth)
{
	json_ws(j);
	if (j->p >= j->end)
		return false;
	switch (*j->p)
	{
		case '{':
		case '[':
			return json_container(j, depth);
		case '"':
			return json_string(j, NULL, 0);
		case 't':
			return json_word(j, "true");
		case 'f':
			return json_word(j, "false");
		case 'n':
			return json_word(j, "null");
		default:
			return json_number(j);
	}
}

/*
 * The member name of a JSON body that must be an object: JSON_FOUND with
 * its value's text in *val, *vlen (the last one when the name is given
 * twice, as jsonb keeps it), JSON_ABSENT, JSON_NOT_OBJECT (valid JSON of
 * another type), or JSON_BAD (not JSON, not UTF-8, or nested deeper than
 * JSON_MAX_DEPTH). An empty body is an empty object.
 */
JsonMember
json_member(const char *json, size_t len, const char *name, const char **val, size_t *vlen)
{
	JsonScan	j = {json, json + len};
	JsonMember	found = JSON_ABSENT;
	char		key[64];

	/* UTF-8 and no NUL (json is NUL-terminated, as utf8_sequence wants) */
	for (size_t i = 0, n, bad; i < len; i += n)
		if (json[i] == '\0' || (n = utf8_sequence((const unsigned char *) json + i, &bad)) == 0)
			return JSON_BAD;
	json_ws(&j);
	if (j.p == j.end)
		return JSON_ABSENT;
	if (*j.p != '{')
	{
		if (!json_value(&j, 0))
			return JSON_BAD;
		json_ws(&j);
		return j.p == j.end ? JSON_NOT_OBJECT : JSON_BAD;
	}
	j.p++;
	json_ws(&j);
	if (j.p < j.end && *j.p == '}')
		j.p++;
	else
		for (;;)
		{
			const char *v;
			bool		match;

			if (j.p >= j.end || *j.p != '"' || !json_string(&j, key, sizeof(key)))
				return JSON_BAD;
			match = strcmp(key, name) == 0;
			json_ws(&j);
			if (j.p >= j.end || *j.p++ != ':')
				return JSON_BAD;
			json_ws(&j);
			v = j.p;
			if (!json_value(&j, 1))
				return JSON_BAD;
			if (match)
			{
				found = JSON_FOUND;
				*val = v;
				*vlen = (size_t) (j.p - v);
			}
			json_ws(&j);
			if (j.p >= j.end)
				return JSON_BAD;
			if (*j.p == '}')
			{
				j.p++;
				break;
			}
			if (*j.p++ != ',')
				return JSON_BAD;
			json_ws(&j);
		}
	json_ws(&j);
	return j.p == j.end ? found : JSON_BAD;
}
