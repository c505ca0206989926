/*-------------------------------------------------------------------------
 *
 * test_agentrank.c
 *	  Unit tests of the agent ranking (src/agentrank.c): load ratio first,
 *	  compared exactly, then rating, then id.
 *
 * A plain C program: every check that fails prints one line, and the last
 * line is "N passed, N failed".
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *	  test/unit/test_agentrank.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>

#include "agentrank.h"
#include "check.h"

static LeadgenAgentRank
agent(int64_t id, int32_t count, int32_t max, double rating)
{
	LeadgenAgentRank a;

	a.id = id;
	a.count = count;
	a.max = max;
	a.rating = rating;
	return a;
}

/* Both orders: a before b, and not b before a. */
static void
before(LeadgenAgentRank a, LeadgenAgentRank b, const char *why)
{
	check(LeadgenAgentBetter(&a, &b), "%s: agent %lld ranks before agent %lld", why, (long long) a.id, (long long) b.id);
	check(!LeadgenAgentBetter(&b, &a), "%s: agent %lld does not rank before agent %lld", why, (long long) b.id,
		  (long long) a.id);
}

int
main(void)
{
	LeadgenAgentRank x;

	/* the load ratio decides first */
	before(agent(2, 1, 10, 1.0), agent(1, 2, 10, 5.0), "lower load, lower rating and higher id");
	before(agent(9, 5, 100, 0.0), agent(1, 1, 10, 5.0), "5/100 before 1/10");
	before(agent(3, 0, 1, 0.0), agent(1, 1, 1000000, 5.0), "an empty agent before any other");
	/* equal ratios (not equal counts): rating, then id */
	before(agent(7, 1, 2, 4.5), agent(3, 5, 10, 4.0), "1/2 = 5/10: the higher rating");
	before(agent(3, 5, 10, 4.0), agent(7, 1, 2, 4.0), "1/2 = 5/10 and the same rating: the lower id");
	/* exact: ratios a double would round to the same value */
	before(agent(8, 999999998, 999999999, 0.0), agent(4, 999999999, 1000000000, 5.0),
		   "999999998/999999999 < 999999999/1000000000 (differing by 1e-18)");
	before(agent(5, 2147483646, 2147483647, 0.0), agent(6, 2147483647, 2147483647, 5.0),
		   "the largest counts do not overflow");
	/* an agent is not better than itself */
	x = agent(1, 3, 10, 2.0);
	check(!LeadgenAgentBetter(&x, &x), "an agent does not rank before itself");
	/* room */
	check(LeadgenAgentHasRoom(&x), "3 of 10 has room");
	x = agent(1, 10, 10, 2.0);
	check(!LeadgenAgentHasRoom(&x), "10 of 10 has no room");
	x = agent(1, 0, 0, 2.0);
	check(!LeadgenAgentHasRoom(&x), "0 of 0 has no room");
	return check_summary();
}
