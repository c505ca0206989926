/*
 * proxy.c
 *		Who the client is behind a reverse proxy. The address a request
 *		came from is the client's, unless it is one of the proxies the
 *		operator trusts (--trusted-proxies): then the client is read from
 *		the Forwarded header (RFC 7239) or, without one, X-Forwarded-For,
 *		walking the chain from the right (the hop nearest to us) past
 *		every trusted proxy. A header from any other peer is ignored, so a
 *		client cannot choose its own rate-limit bucket by sending one.
 *
 * The list is parsed once at start and read only afterwards: no lock.
 *
 * Copyright (c) 2026, pg_leadgen developers
 */
#include <arpa/inet.h>
#include <netinet/in.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "gateway.h"

#define MAX_PROXIES		64
#define MAX_HOPS		32		/* addresses of a chain looked at, from the right */

typedef struct Net
{
	int			family;			/* AF_INET or AF_INET6 */
	unsigned char addr[16];
	int			prefix;			/* bits */
} Net;

static Net	proxies[MAX_PROXIES];
static int	nproxies;

/* An address as text into family and bytes; IPv4-mapped IPv6 becomes IPv4. */
static bool
addr_parse(const char *s, int *family, unsigned char *out)
{
	if (inet_pton(AF_INET, s, out) == 1)
	{
		*family = AF_INET;
		return true;
	}
	if (inet_pton(AF_INET6, s, out) == 1)
	{
		static const unsigned char mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

		*family = AF_INET6;
		if (memcmp(out, mapped, 12) == 0)
		{
			memmove(out, out + 12, 4);
			*family = AF_INET;
		}
		return true;
	}
	return false;
}

static bool
net_contains(const Net *n, int family, const unsigned char *a)
{
	int			full = n->prefix / 8;
	int			rest = n->prefix % 8;

	if (n->family != family || memcmp(n->addr, a, (size_t) full) != 0)
		return false;
	return rest == 0 || ((n->addr[full] ^ a[full]) & (0xff << (8 - rest))) == 0;
}

static bool
trusted(int family, const unsigned char *a)
{
	for (int i = 0; i < nproxies; i++)
		if (net_contains(&proxies[i], family, a))
			return true;
	return false;
}

/*
 * Parse --trusted-proxies: addresses or CIDR ranges, IPv4 or IPv6,
 * separated by commas (spaces allowed). Returns NULL, or what is wrong.
 */
const char *
proxy_config(const char *list)
{
	static char err[160];
	char	   *copy = strdup(list);
	char	   *save = NULL;

	if (copy == NULL)
		abort();
	nproxies = 0;
	for (char *tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
	{
		Net			n = {0};
		char	   *slash = strchr(tok, '/');
		int			max;
		long long	bits;

		if (nproxies == MAX_PROXIES)
		{
			snprintf(err, sizeof(err), "more than %d entries", MAX_PROXIES);
			free(copy);
			return err;
		}
		if (slash)
			*slash = '\0';
		if (!addr_parse(tok, &n.family, n.addr))
		{
			snprintf(err, sizeof(err), "\"%.60s\" is not an IPv4 or IPv6 address", tok);
			free(copy);
			return err;
		}
		max = n.family == AF_INET ? 32 : 128;
		n.prefix = max;
		if (slash)
		{
			if (!parse_int(slash + 1, 0, max, &bits))
			{
				snprintf(err, sizeof(err), "\"/%.20s\" is not a prefix length from 0 to %d", slash + 1, max);
				free(copy);
				return err;
			}
			n.prefix = (int) bits;
		}
		proxies[nproxies++] = n;
	}
	free(copy);
	return NULL;
}

/* Whether a peer is a trusted proxy. */
bool
proxy_trusted(const struct sockaddr *peer)
{
	unsigned char a[16];
	int			family;
	char		txt[INET6_ADDRSTRLEN];

	if (nproxies == 0 || peer == NULL)
		return false;
	if (peer->sa_family == AF_INET)
		inet_ntop(AF_INET, &((const struct sockaddr_in *) peer)->sin_addr, txt, sizeof(txt));
	else if (peer->sa_family == AF_INET6)
		inet_ntop(AF_INET6, &((const struct sockaddr_in6 *) peer)->sin6_addr, txt, sizeof(txt));
	else
		return false;
	return addr_parse(txt, &family, a) && trusted(family, a);
}

/*
 * Open connections by peer address, so that one address cannot hold every
 * connection the gateway takes (4096): a client that sends its request a
 * byte at a time is never idle for the 15 s timeout. Counted in slots by a
 * hash of the address (addresses sharing a slot share its count); trusted
 * proxies, which carry many clients, are not counted.
 */
#define CONN_SLOTS 4096
static atomic_int conn_open[CONN_SLOTS];

static int
conn_slot(const struct sockaddr *peer)
{
	const void *p;
	size_t		n;

	if (peer == NULL || proxy_trusted(peer))
		return -1;
	if (peer->sa_family == AF_INET)
	{
		p = &((const struct sockaddr_in *) peer)->sin_addr;
		n = 4;
	}
	else if (peer->sa_family == AF_INET6)
	{
		p = &((const struct sockaddr_in6 *) peer)->sin6_addr;
		n = 16;
	}
	else
		return -1;
	return (int) (fnv1a(p, n) % CONN_SLOTS);
}

/*
 * Whether a new connection from peer is taken (fewer than
 * GW_CONN_PER_ADDRESS open): its place is taken here, at once, so that
 * connections accepted at the same time on several threads cannot pass
 * the cap together (counted when they started, 257 were held once).
 * conn_closed gives it back.
 */
bool
conn_admit(const struct sockaddr *peer)
{
	int			slot = conn_slot(peer);

	if (slot < 0 || atomic_fetch_add(&conn_open[slot], 1) < GW_CONN_PER_ADDRESS)
		return true;
	atomic_fetch_sub(&conn_open[slot], 1);
	return false;
}

/* A connection conn_admit took has closed. */
void
conn_closed(const struct sockaddr *peer)
{
	int			slot = conn_slot(peer);

	if (slot >= 0)
		atomic_fetch_sub(&conn_open[slot], 1);
}

/*
 * One node of a Forwarded "for=" or X-Forwarded-For list, [start, end),
 * as a bare address in out (quotes, brackets and a port removed). False
 * when it is not an IP address ("unknown", an obfuscated name).
 */
static bool
node_address(const char *start, const char *end, char *out, size_t len, int *family, unsigned char *a)
{
	size_t		n;

	while (start < end && (*start == ' ' || *start == '\t' || *start == '"'))
		start++;
	while (end > start && (end[-1] == ' ' || end[-1] == '\t' || end[-1] == '"'))
		end--;
	if (start < end && *start == '[')
	{
		/* [IPv6] or [IPv6]:port */
		const char *close = memchr(start, ']', (size_t) (end - start));

		if (close == NULL)
			return false;
		start++;
		end = close;
	}
	else
	{
		/* IPv4:port (an IPv6 address without brackets has several colons) */
		const char *colon = memchr(start, ':', (size_t) (end - start));

		if (colon && memchr(colon + 1, ':', (size_t) (end - colon - 1)) == NULL)
			end = colon;
	}
	n = (size_t) (end - start);
	if (n == 0 || n >= len || n >= INET6_ADDRSTRLEN)
		return false;
	memcpy(out, start, n);
	out[n] = '\0';
	return addr_parse(out, family, a);
}

/*
 * The "for=" value of each element of a Forwarded header, as [start, end)
 * pairs in order, the last MAX_HOPS of them kept (index n % MAX_HOPS);
 * returns how many there were.
 */
static int
forwarded_nodes(const char *h, const char **starts, const char **ends)
{
	int			n = 0;
	const char *p = h;

	while (*p)
	{
		const char *elem_end = p;
		bool		quoted = false;

		/* one element: up to a comma outside quotes */
		while (*elem_end && (quoted || *elem_end != ','))
		{
			if (*elem_end == '"')
				quoted = !quoted;
			elem_end++;
		}
		for (const char *q = p; q < elem_end;)
		{
			const char *pair_end = q;

			while (pair_end < elem_end && *pair_end != ';')
			{
				if (*pair_end == '"')
				{
					pair_end++;
					while (pair_end < elem_end && *pair_end != '"')
						pair_end++;
				}
				if (pair_end < elem_end)
					pair_end++;
			}
			while (q < pair_end && (*q == ' ' || *q == '\t'))
				q++;
			if (pair_end - q > 4 && strncasecmp(q, "for=", 4) == 0)
			{
				starts[n % MAX_HOPS] = q + 4;
				ends[n++ % MAX_HOPS] = pair_end;
				break;
			}
			q = pair_end < elem_end ? pair_end + 1 : elem_end;
		}
		p = *elem_end ? elem_end + 1 : elem_end;
	}
	return n;
}

/* The comma-separated nodes of X-Forwarded-For, kept as forwarded_nodes does. */
static int
xff_nodes(const char *h, const char **starts, const char **ends)
{
	int			n = 0;
	const char *p = h;

	for (;;)
	{
		const char *e = strchr(p, ',');

		starts[n % MAX_HOPS] = p;
		ends[n++ % MAX_HOPS] = e ? e : p + strlen(p);
		if (e == NULL)
			break;
		p = e + 1;
	}
	return n;
}

/*
 * The client behind a trusted proxy: from forwarded (preferred) or
 * x_forwarded_for (either may be NULL), the rightmost address that is not
 * a trusted proxy (or the leftmost, when all are). False, with out
 * unchanged, when neither header names an address to take.
 */
bool
proxy_client(const char *forwarded, const char *x_forwarded_for, char *out, size_t len)
{
	const char *starts[MAX_HOPS];
	const char *ends[MAX_HOPS];
	int			n;
	char		txt[INET6_ADDRSTRLEN];
	unsigned char a[16];
	int			family;

	if (forwarded && *forwarded)
		n = forwarded_nodes(forwarded, starts, ends);
	else if (x_forwarded_for && *x_forwarded_for)
		n = xff_nodes(x_forwarded_for, starts, ends);
	else
		return false;
	/* from the right: the hop nearest to us first; no further than MAX_HOPS */
	for (int i = n - 1; i >= 0 && i >= n - MAX_HOPS; i--)
	{
		if (!node_address(starts[i % MAX_HOPS], ends[i % MAX_HOPS], txt, sizeof(txt), &family, a))
			return false;		/* not an address: the peer stands for the client */
		if (i == 0 || !trusted(family, a))
		{
			inet_ntop(family, a, out, (socklen_t) len);
			return true;
		}
	}
	return false;
}
