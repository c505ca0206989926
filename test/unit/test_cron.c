/*-------------------------------------------------------------------------
 *
 * test_cron.c
 *	  Unit tests of the cron schedule parser and of the next-run
 *	  computation, in UTC and across daylight saving time transitions.
 *
 * A plain C program: every check that fails prints one line, and the last
 * line is "N passed, N failed".  The exit status is non-zero when any check
 * failed.
 *
 * Time zones are hand-written rule zones (TestZone below), not the C
 * library's: the results depend neither on the machine's local zone nor on
 * its copy of the time zone database.  America/New_York follows the US rule
 * in force since 2007 and Europe/Berlin the EU rule; two invented zones
 * add a transition at midnight and a half-hour one.  Each zone answers
 * local_offset for an ambiguous time either with the offset before the
 * transition, with the one after it (as PostgreSQL does), or with nonsense,
 * and every result must be the same in all three modes.
 *
 * Besides hand-computed cases, a brute-force reference walks the UTC
 * minutes around each transition and fires whenever the wall clock reaches
 * a matching minute it has not reached before; CronNextRun() must agree
 * with it from every starting point tried.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *	  test/unit/test_cron.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "cron.h"

#define MINUTE		INT64_C(60)
#define HOUR		INT64_C(3600)
#define DAY			INT64_C(86400)

#define lengthof(array) (sizeof(array) / sizeof((array)[0]))


/*
 * Calendar arithmetic of the tests, written differently from cron.c's so
 * that each checks the other.  Years from 1970 on only.
 */
static const int cum_days[13] = {
	0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334, 365
};

static int
leap(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

/* Leap years before year y (from year 1) */
static int64_t
leaps_before(int y)
{
	return (y - 1) / 4 - (y - 1) / 100 + (y - 1) / 400;
}

static int64_t
days_of(int y, int m, int d)
{
	return INT64_C(365) * (y - 1970) + leaps_before(y) - leaps_before(1970) +
		cum_days[m - 1] + (m > 2 && leap(y) ? 1 : 0) + d - 1;
}

static int
month_len(int y, int m)
{
	return cum_days[m] - cum_days[m - 1] + (m == 2 && leap(y) ? 1 : 0);
}

/* Weekday, Sunday = 0, of a date */
static int
wday_of(int y, int m, int d)
{
	return (int) ((days_of(y, m, d) + 4) % 7);
}

/* Seconds since the epoch of a UTC (or wall-clock) time */
static int64_t
ts(int y, int mo, int d, int h, int mi)
{
	return days_of(y, mo, d) * DAY + h * HOUR + mi * MINUTE;
}

/* Split seconds since the epoch (>= 0) into a CronLocalTime */
static void
split(int64_t secs, CronLocalTime *out)
{
	int64_t		days = secs / DAY;
	int64_t		rem = secs % DAY;
	int			y = 1970 + (int) (days / 366);
	int			m = 1;

	while (days_of(y + 1, 1, 1) <= days)
		y++;
	while (m < 12 && days_of(y, m + 1, 1) <= days)
		m++;
	out->year = y;
	out->month = m;
	out->day = (int) (days - days_of(y, m, 1)) + 1;
	out->hour = (int) (rem / HOUR);
	out->minute = (int) (rem / MINUTE % 60);
	out->second = (int) (rem % 60);
	out->wday = (int) ((days + 4) % 7);
}

/*
 * fmt_utc
 *		Format seconds since the epoch as UTC with the C library's calendar,
 *		for messages; -1 prints as "-1".
 */
static const char *
fmt_utc(int64_t secs, char *buf, size_t size)
{
	time_t		t = (time_t) secs;
	struct tm  *tm;

	if (secs == -1)
	{
		snprintf(buf, size, "-1");
		return buf;
	}
	tm = gmtime(&t);
	if (tm == NULL)
		snprintf(buf, size, "%lld", (long long) secs);
	else
		snprintf(buf, size, "%04d-%02d-%02d %02d:%02d:%02dZ",
				 tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
				 tm->tm_hour, tm->tm_min, tm->tm_sec);
	return buf;
}

/*
 * A rule zone: standard time std_off, and daylight saving time dst_off
 * from the start rule to the end rule of each year (northern hemisphere).
 * A rule names a Sunday (week 1-4 = first to fourth, -1 = last) of a month
 * and a time of day, taken as UTC or as the local time in force before the
 * transition.
 */
typedef struct TestRule
{
	int			month;
	int			week;
	int			minutes;
	int			utc;
} TestRule;

/* How local_offset answers for an ambiguous (repeated) wall-clock time */
typedef enum HintMode
{
	HINT_BEFORE,				/* the offset before the transition */
	HINT_AFTER,					/* the offset after it, as PostgreSQL */
	HINT_NONSENSE				/* always 12345 seconds, for any time */
} HintMode;

typedef struct TestZone
{
	const char *name;
	int			std_off;
	int			dst_off;
	int			has_dst;
	TestRule	start;
	TestRule	end;
	HintMode	mode;
	long		calls;			/* callbacks made, for the efficiency tests */
} TestZone;

static TestZone zone_utc = {"UTC", 0, 0, 0, {0, 0, 0, 0}, {0, 0, 0, 0}, HINT_BEFORE, 0};
static TestZone zone_ny = {"America/New_York", -5 * 3600, -4 * 3600, 1,
{3, 2, 120, 0}, {11, 1, 120, 0}, HINT_BEFORE, 0};
static TestZone zone_berlin = {"Europe/Berlin", 3600, 7200, 1,
{3, -1, 60, 1}, {10, -1, 60, 1}, HINT_BEFORE, 0};
/* Invented: clocks change at midnight, so gaps and overlaps cross days */
static TestZone zone_midnight = {"Test/Midnight", -3 * 3600, -2 * 3600, 1,
{3, 2, 0, 0}, {11, 1, 0, 0}, HINT_BEFORE, 0};
/* Invented: a half-hour shift, +10:30 / +11:00 */
static TestZone zone_half = {"Test/HalfHour", 37800, 39600, 1,
{3, -1, 120, 0}, {10, -1, 120, 0}, HINT_BEFORE, 0};

/* The instant of a transition in year y; off_before is in force before */
static int64_t
rule_instant(const TestRule *r, int y, int off_before)
{
	int			d;

	if (r->week > 0)
		d = 1 + (7 - wday_of(y, r->month, 1)) % 7 + 7 * (r->week - 1);
	else
	{
		int			last = month_len(y, r->month);

		d = last - wday_of(y, r->month, last);
	}
	return days_of(y, r->month, d) * DAY + r->minutes * MINUTE -
		(r->utc ? 0 : off_before);
}

static int
zone_offset_at(const TestZone *z, int64_t utc)
{
	CronLocalTime lt;

	if (!z->has_dst)
		return z->std_off;
	split(utc + z->std_off, &lt);
	if (utc >= rule_instant(&z->start, lt.year, z->std_off) &&
		utc < rule_instant(&z->end, lt.year, z->dst_off))
		return z->dst_off;
	return z->std_off;
}

static void
zone_to_local(void *arg, int64_t utc, CronLocalTime *out)
{
	TestZone   *z = (TestZone *) arg;

	z->calls++;
	split(utc + zone_offset_at(z, utc), out);
}

static int
zone_local_offset(void *arg, const CronLocalTime *local)
{
	TestZone   *z = (TestZone *) arg;
	int64_t		wall = ts(local->year, local->month, local->day,
						  local->hour, local->minute) + local->second;
	int			std_ok;
	int			dst_ok;

	z->calls++;
	if (z->mode == HINT_NONSENSE)
		return 12345;
	std_ok = zone_offset_at(z, wall - z->std_off) == z->std_off;
	dst_ok = z->has_dst && zone_offset_at(z, wall - z->dst_off) == z->dst_off;
	if (std_ok && dst_ok)		/* repeated: daylight time came first */
		return z->mode == HINT_AFTER ? z->std_off : z->dst_off;
	if (dst_ok)
		return z->dst_off;
	return z->std_off;			/* standard time, or a gap: the one before */
}

static CronZone
make_zone(TestZone *z)
{
	CronZone	zone;

	zone.arg = z;
	zone.to_local = zone_to_local;
	zone.local_offset = zone_local_offset;
	return zone;
}

/* Parse a schedule that the test knows to be valid */
static CronSchedule
parse_ok(const char *expr)
{
	CronSchedule s;
	char		err[LEADGEN_CRON_ERRBUF_SIZE];

	memset(&s, 0, sizeof(s));
	check(CronParse(expr, &s, err, sizeof(err)),
		  "\"%s\" parses (got \"%s\")", expr, err);
	return s;
}

/* Check that expr is rejected with exactly the message expected */
static void
parse_fails(const char *expr, const char *expected)
{
	CronSchedule s;
	char		err[LEADGEN_CRON_ERRBUF_SIZE];
	bool		ok;

	memset(&s, 0, sizeof(s));
	strcpy(err, "(no message)");
	ok = CronParse(expr, &s, err, sizeof(err));
	check(!ok && strcmp(err, expected) == 0,
		  "\"%s\" fails with \"%s\" (got %s, \"%s\")",
		  expr ? expr : "NULL", expected, ok ? "success" : "failure", err);
}

/*
 * expect_runs
 *		From after, the next n runs of expr in zone (NULL for UTC) are
 *		expected[0 .. n-1], each computed from the previous one.
 */
static void
expect_runs(const char *expr, TestZone *tz, int64_t after,
			const int64_t *expected, int n)
{
	CronSchedule s = parse_ok(expr);
	CronZone	zone;
	int			i;

	if (tz != NULL)
		zone = make_zone(tz);
	for (i = 0; i < n; i++)
	{
		int64_t		got = CronNextRun(&s, tz ? &zone : NULL, after);
		char		b1[40];
		char		b2[40];
		char		b3[40];

		check(got == expected[i],
			  "\"%s\" in %s (hint mode %d) after %s: run %d is %s, got %s",
			  expr, tz ? tz->name : "NULL zone", tz ? (int) tz->mode : 0,
			  fmt_utc(after, b1, sizeof(b1)), i + 1,
			  fmt_utc(expected[i], b2, sizeof(b2)),
			  fmt_utc(got, b3, sizeof(b3)));
		if (got != expected[i])
			return;
		after = got;
	}
}

/* The one next run of expr after after */
static void
expect_next(const char *expr, TestZone *tz, int64_t after, int64_t expected)
{
	expect_runs(expr, tz, after, &expected, 1);
}

static void
test_parse_errors(void)
{
	CronSchedule s;
	CronSchedule before;
	char		small[10];

	/* empty and field count */
	parse_fails(NULL, "cron schedule is empty");
	parse_fails("", "cron schedule is empty");
	parse_fails(" \t  ", "cron schedule is empty");
	parse_fails("* * * *", "cron schedule must have 5 fields (minute hour day-of-month month day-of-week), found 4");
	parse_fails("* * * * * *", "cron schedule must have 5 fields (minute hour day-of-month month day-of-week), found 6");
	parse_fails("0", "cron schedule must have 5 fields (minute hour day-of-month month day-of-week), found 1");
	parse_fails("0 0 * * * /bin/true", "cron schedule must have 5 fields (minute hour day-of-month month day-of-week), found 6");

	/* values out of range, in every field */
	parse_fails("61 * * * *", "minute value 61 is out of range 0-59");
	parse_fails("60 * * * *", "minute value 60 is out of range 0-59");
	parse_fails("* 24 * * *", "hour value 24 is out of range 0-23");
	parse_fails("* * 0 * *", "day-of-month value 0 is out of range 1-31");
	parse_fails("* * 32 * *", "day-of-month value 32 is out of range 1-31");
	parse_fails("* * * 0 *", "month value 0 is out of range 1-12");
	parse_fails("* * * 13 *", "month value 13 is out of range 1-12");
	parse_fails("* * * * 8", "day-of-week value 8 is out of range 0-7");
	parse_fails("1-60 * * * *", "minute value 60 is out of range 0-59");
	parse_fails("0 0 1,2,40 * *", "day-of-month value 40 is out of range 1-31");
	parse_fails("99999999999999999999 * * * *",
				"minute value 99999999999999999999 is out of range 0-59");

	/* reversed ranges */
	parse_fails("5-3 * * * *", "minute range 5-3 has its start after its end");
	parse_fails("* 23-0 * * *", "hour range 23-0 has its start after its end");
	parse_fails("* * * DEC-JAN *", "month range DEC-JAN has its start after its end");
	parse_fails("* * * * FRI-MON", "day-of-week range FRI-MON has its start after its end");
	parse_fails("* * * * 7-1/2", "day-of-week range 7-1 has its start after its end");

	/* steps */
	parse_fails("*/0 * * * *", "minute step 0 is out of range 1-60");
	parse_fails("1-10/0 * * * *", "minute step 0 is out of range 1-60");
	parse_fails("*/61 * * * *", "minute step 61 is out of range 1-60");
	parse_fails("* */25 * * *", "hour step 25 is out of range 1-24");
	parse_fails("* * */32 * *", "day-of-month step 32 is out of range 1-31");
	parse_fails("* * * */13 *", "month step 13 is out of range 1-12");
	parse_fails("* * * * */8", "day-of-week step 8 is out of range 1-7");
	parse_fails("*/ * * * *", "missing step in minute item \"*/\"");
	parse_fails("*/x * * * *", "invalid minute step \"x\"");
	parse_fails("*/5x * * * *", "invalid minute step \"5x\"");
	parse_fails("5/2/3 * * * *", "invalid minute item \"5/2/3\"");

	/* empty list items */
	parse_fails("1,,2 * * * *", "empty item in minute field \"1,,2\"");
	parse_fails(",1 * * * *", "empty item in minute field \",1\"");
	parse_fails("* 1, * * *", "empty item in hour field \"1,\"");
	parse_fails("* * * , *", "empty item in month field \",\"");

	/* garbage */
	parse_fails("5# * * * *", "invalid character \"#\" in minute field \"5#\"");
	parse_fails("* * ? * *", "invalid character \"?\" in day-of-month field \"?\"");
	parse_fails("* * * * 1;2", "invalid character \";\" in day-of-week field \"1;2\"");
	parse_fails("* * L * *", "invalid day-of-month value \"L\"");
	parse_fails("abc * * * *", "invalid minute value \"abc\"");
	parse_fails("5x * * * *", "invalid minute value \"5x\"");
	parse_fails("* * * 1a *", "invalid month value \"1a\"");
	parse_fails("* * * FOO *", "invalid month name \"FOO\"");
	parse_fails("* * * JANUARY *", "invalid month name \"JANUARY\"");
	parse_fails("* * * * MONDAY", "invalid day-of-week name \"MONDAY\"");
	parse_fails("* * * * MON-FOO", "invalid day-of-week name \"FOO\"");
	parse_fails("*-5 * * * *", "invalid minute item \"*-5\"");
	parse_fails("5- * * * *", "invalid minute item \"5-\"");
	parse_fails("-5 * * * *", "invalid minute item \"-5\"");
	parse_fails("1-2-3 * * * *", "invalid minute item \"1-2-3\"");
	parse_fails("** * * * *", "invalid minute item \"**\"");
	parse_fails("*5 * * * *", "invalid minute item \"*5\"");
	parse_fails("/5 * * * *", "invalid minute item \"/5\"");
	parse_fails("0 0 * * *\n", "cron schedule contains invalid byte 0x0a");
	parse_fails("0\r0 * * *", "cron schedule contains invalid byte 0x0d");
	parse_fails("0 0 * * \xc3\xa9", "cron schedule contains invalid byte 0xc3");

	/* macros */
	parse_fails("@reboot", "unknown cron macro \"@reboot\"");
	parse_fails("@", "unknown cron macro \"@\"");
	parse_fails("@dailyx", "unknown cron macro \"@dailyx\"");
	parse_fails("@daily 5", "cron macro \"@daily\" must be the whole schedule");
	parse_fails("0 @daily * * *", "invalid character \"@\" in hour field \"@daily\"");

	/* schedules that never fire, or too rarely */
	parse_fails("0 0 31 2 *", "cron schedule never fires: no calendar date matches its day-of-month, month and day-of-week fields");
	parse_fails("0 0 30,31 2 *", "cron schedule never fires: no calendar date matches its day-of-month, month and day-of-week fields");
	parse_fails("0 0 31 4,6,9,11 *", "cron schedule never fires: no calendar date matches its day-of-month, month and day-of-week fields");
	parse_fails("0 0 30 FEB */2", "cron schedule never fires: no calendar date matches its day-of-month, month and day-of-week fields");
	parse_fails("0 0 29 2 */7", "cron schedule fires less often than once every 8 years");

	/* the message buffer: truncated, or absent */
	check(!CronParse("61 * * * *", &s, small, sizeof(small)) &&
		  strcmp(small, "minute va") == 0,
		  "a short error buffer is truncated and terminated (got \"%s\")",
		  small);
	check(!CronParse("61 * * * *", &s, NULL, 0),
		  "no error buffer: still fails");

	/* a failed parse leaves *out alone */
	memset(&s, 0xa5, sizeof(s));
	before = s;
	check(!CronParse("0 0 31 2 *", &s, NULL, 0) &&
		  memcmp(&s, &before, sizeof(s)) == 0,
		  "a failed parse leaves *out unchanged");
}

static uint64_t
bits(int from, int to, int step)
{
	uint64_t	b = 0;
	int			v;

	for (v = from; v <= to; v += step)
		b |= UINT64_C(1) << v;
	return b;
}

static int
same_schedule(const CronSchedule *a, const CronSchedule *b)
{
	return a->minutes == b->minutes && a->hours == b->hours &&
		a->days == b->days && a->months == b->months &&
		a->weekdays == b->weekdays && a->dom_star == b->dom_star &&
		a->dow_star == b->dow_star;
}

static void
expect_same(const char *a, const char *b)
{
	CronSchedule sa = parse_ok(a);
	CronSchedule sb = parse_ok(b);

	check(same_schedule(&sa, &sb), "\"%s\" means \"%s\"", a, b);
}

static void
test_parse_valid(void)
{
	CronSchedule s;

	s = parse_ok("* * * * *");
	check(s.minutes == bits(0, 59, 1) && s.hours == bits(0, 23, 1) &&
		  s.days == bits(1, 31, 1) && s.months == bits(1, 12, 1) &&
		  s.weekdays == bits(0, 6, 1) && s.dom_star && s.dow_star,
		  "\"* * * * *\": every bit set, both day fields unrestricted");

	s = parse_ok("*/15 9-17 * * MON-FRI");
	check(s.minutes == bits(0, 45, 15) && s.hours == bits(9, 17, 1) &&
		  s.weekdays == bits(1, 5, 1) && s.dom_star && !s.dow_star,
		  "\"*/15 9-17 * * MON-FRI\"");

	s = parse_ok("5/20 */6 1-31/10 */5 *");
	check(s.minutes == bits(5, 45, 20) && s.hours == bits(0, 18, 6) &&
		  s.days == bits(1, 31, 10) && s.months == bits(1, 11, 5),
		  "\"a/n\" runs to the end of the field; \"*/n\" and \"a-b/n\"");

	s = parse_ok("10-30/7,59 0,12 * * *");
	check(s.minutes == (bits(10, 30, 7) | bits(59, 59, 1)) &&
		  s.hours == (bits(0, 0, 1) | bits(12, 12, 1)),
		  "lists of ranges with steps");

	s = parse_ok("00 05 07 09 *");
	check(s.minutes == 1 && s.hours == bits(5, 5, 1) &&
		  s.days == bits(7, 7, 1) && s.months == bits(9, 9, 1),
		  "leading zeros");

	/* the day of the week: 7 is Sunday; "*" and "a/n" end at Saturday */
	s = parse_ok("0 0 * * 7");
	check(s.weekdays == 1, "day-of-week 7 is Sunday");
	expect_same("0 0 * * 0,7", "0 0 * * 0");
	expect_same("0 0 * * sun", "0 0 * * 7");
	s = parse_ok("0 0 * * 5-7");
	check(s.weekdays == (bits(5, 6, 1) | 1), "5-7 is Friday to Sunday");
	s = parse_ok("0 0 * * 1/2");
	check(s.weekdays == bits(1, 5, 2), "1/2 is Monday, Wednesday, Friday");
	s = parse_ok("0 0 * * 0-7/2");
	check(s.weekdays == bits(0, 6, 2), "0-7/2 is 0, 2, 4, 6");
	s = parse_ok("0 0 * * 1-7/2");
	check(s.weekdays == (bits(1, 5, 2) | 1), "1-7/2 is 1, 3, 5 and Sunday");
	s = parse_ok("0 0 * * 7/3");
	check(s.weekdays == 1, "7/3 is Sunday alone");

	/* names, case-insensitive */
	s = parse_ok("0 0 * jan,Mar,DEC *");
	check(s.months == (bits(1, 1, 1) | bits(3, 3, 1) | bits(12, 12, 1)),
		  "month names");
	s = parse_ok("0 0 * Jan-MAR/2 *");
	check(s.months == (bits(1, 3, 2)), "month name ranges with a step");
	s = parse_ok("0 0 * * sun,Sat");
	check(s.weekdays == (bits(0, 0, 1) | bits(6, 6, 1)), "weekday names");
	expect_same("0 0 * * Mon-Fri", "0 0 * * 1-5");
	expect_same("0 0 * feb-apr *", "0 0 * 2-4 *");
	expect_same("0 0 * JAN/4 *", "0 0 * 1,5,9 *");

	/* white space */
	expect_same(" \t0\t\t0  *  * *  \t", "0 0 * * *");

	/* the day-field flags: unrestricted when the field begins with "*" */
	s = parse_ok("0 0 1 * MON");
	check(!s.dom_star && !s.dow_star, "\"0 0 1 * MON\": both restricted");
	s = parse_ok("0 0 */2 * 1");
	check(s.dom_star && !s.dow_star && s.days == bits(1, 31, 2),
		  "\"*/2\" in day-of-month counts as unrestricted");
	s = parse_ok("0 0 *,5 * *");
	check(s.dom_star, "\"*,5\" counts as unrestricted");
	s = parse_ok("0 0 1-31 * 1");
	check(!s.dom_star, "\"1-31\" counts as restricted");

	/* macros */
	expect_same("@yearly", "0 0 1 1 *");
	expect_same("@annually", "0 0 1 1 *");
	expect_same("@monthly", "0 0 1 * *");
	expect_same("@weekly", "0 0 * * 0");
	expect_same("@daily", "0 0 * * *");
	expect_same("@midnight", "0 0 * * *");
	expect_same("@hourly", "0 * * * *");
	expect_same("  @Daily\t", "0 0 * * *");
	expect_same("@HOURLY", "0 * * * *");

	/* rare but accepted */
	parse_ok("0 0 29 2 *");
	parse_ok("0 0 29 2 1");
	parse_ok("0 0 31 1-12/2 *");
	parse_ok("0 0 13 * FRI");
	parse_ok("0 0 */31 2 *");
}

static void
test_next_utc(void)
{
	int64_t		noon = ts(2026, 6, 15, 12, 0);	/* a Monday */
	CronSchedule s;
	CronSchedule none;

	/* basics, with the NULL zone and with a UTC callback zone */
	expect_next("* * * * *", NULL, noon, noon + MINUTE);
	expect_next("* * * * *", NULL, noon + 30, noon + MINUTE);
	expect_next("* * * * *", NULL, noon - 1, noon);
	expect_next("* * * * *", &zone_utc, noon, noon + MINUTE);
	expect_next("* * * * *", &zone_utc, noon - 1, noon);
	expect_next("0 * * * *", NULL, noon, noon + HOUR);
	expect_next("0 * * * *", &zone_utc, noon + 59, noon + HOUR);
	expect_next("30 2 * * *", NULL, noon, ts(2026, 6, 16, 2, 30));
	expect_next("30 2 * * *", &zone_utc, noon, ts(2026, 6, 16, 2, 30));
	{
		int64_t		q[] = {noon + 15 * MINUTE, noon + 30 * MINUTE,
		noon + 45 * MINUTE, noon + HOUR};

		expect_runs("*/15 * * * *", NULL, noon, q, 4);
	}

	/* across the end of the year */
	expect_next("0 0 1 1 *", NULL, ts(2026, 12, 31, 23, 59) + 30,
				ts(2027, 1, 1, 0, 0));
	expect_next("0 0 1 1 *", NULL, ts(2027, 1, 1, 0, 0), ts(2028, 1, 1, 0, 0));
	expect_next("@yearly", &zone_utc, ts(2026, 12, 31, 23, 59),
				ts(2027, 1, 1, 0, 0));
	expect_next("59 23 31 12 *", NULL, ts(2026, 12, 31, 23, 59),
				ts(2027, 12, 31, 23, 59));
	expect_next("* * * * *", NULL, ts(2026, 12, 31, 23, 59),
				ts(2027, 1, 1, 0, 0));

	/* February 29 */
	{
		int64_t		feb29[] = {ts(2028, 2, 29, 0, 0), ts(2032, 2, 29, 0, 0),
		ts(2036, 2, 29, 0, 0)};

		expect_runs("0 0 29 2 *", NULL, ts(2026, 1, 1, 0, 0), feb29, 3);
	}
	/* 2100 is no leap year: eight years from 2096 to 2104 */
	expect_next("0 0 29 2 *", NULL, ts(2096, 2, 29, 0, 0) + 30,
				ts(2104, 2, 29, 0, 0));
	expect_next("0 0 29 2 *", &zone_ny, ts(2096, 3, 1, 0, 0),
				ts(2104, 2, 29, 5, 0));
	expect_next("0 12 29 2 *", NULL, ts(2028, 2, 29, 11, 59),
				ts(2028, 2, 29, 12, 0));
	/* February 29, or any Monday of February (both fields restricted) */
	expect_next("0 0 29 2 1", NULL, ts(2026, 1, 1, 0, 0), ts(2026, 2, 2, 0, 0));

	/* ends of months */
	{
		int64_t		d31[] = {ts(2026, 5, 31, 0, 0), ts(2026, 7, 31, 0, 0),
		ts(2026, 8, 31, 0, 0), ts(2026, 10, 31, 0, 0),
		ts(2026, 12, 31, 0, 0), ts(2027, 1, 31, 0, 0)};
		int64_t		d30[] = {ts(2026, 3, 30, 0, 0), ts(2026, 4, 30, 0, 0)};

		expect_runs("0 0 31 * *", NULL, ts(2026, 4, 1, 0, 0), d31, 6);
		expect_runs("0 0 30 * *", NULL, ts(2026, 1, 30, 0, 0), d30, 2);
	}
	expect_next("0 0 28-31 2 *", NULL, ts(2026, 2, 28, 0, 0),
				ts(2027, 2, 28, 0, 0));

	/* the day rule */
	{
		/* the 13th or a Friday */
		int64_t		or_rule[] = {ts(2026, 6, 19, 0, 0), ts(2026, 6, 26, 0, 0),
		ts(2026, 7, 3, 0, 0), ts(2026, 7, 10, 0, 0),
		ts(2026, 7, 13, 0, 0), ts(2026, 7, 17, 0, 0)};
		/* the 1st or a Monday */
		int64_t		first_or_mon[] = {ts(2026, 6, 22, 0, 0),
			ts(2026, 6, 29, 0, 0), ts(2026, 7, 1, 0, 0), ts(2026, 7, 6, 0, 0)};
		/* an odd day that is a Monday ("*\/2" is unrestricted) */
		int64_t		and_rule[] = {ts(2026, 6, 29, 0, 0), ts(2026, 7, 13, 0, 0),
		ts(2026, 7, 27, 0, 0), ts(2026, 8, 3, 0, 0)};

		expect_runs("0 0 13 * 5", NULL, ts(2026, 6, 13, 0, 0), or_rule, 6);
		expect_runs("0 0 1 * MON", NULL, ts(2026, 6, 15, 0, 0), first_or_mon, 4);
		expect_runs("0 0 */2 * 1", NULL, ts(2026, 6, 15, 0, 0), and_rule, 4);
	}
	expect_next("0 0 13 * *", NULL, noon, ts(2026, 7, 13, 0, 0));
	expect_next("0 0 * * 5", NULL, noon, ts(2026, 6, 19, 0, 0));
	expect_next("0 0 * * 7", NULL, noon, ts(2026, 6, 21, 0, 0));
	expect_next("0 0 * * 1", NULL, noon, ts(2026, 6, 22, 0, 0));

	/* steps, ranges, names and macros */
	expect_next("*/15 9-17 * * MON-FRI", NULL, ts(2026, 6, 19, 17, 45),
				ts(2026, 6, 22, 9, 0));
	expect_next("*/15 9-17 * * MON-FRI", NULL, ts(2026, 6, 19, 8, 59),
				ts(2026, 6, 19, 9, 0));
	expect_next("0 9 * jan,jul *", NULL, noon, ts(2026, 7, 1, 9, 0));
	expect_next("0 9 * JAN *", NULL, noon, ts(2027, 1, 1, 9, 0));
	expect_next("@weekly", NULL, noon, ts(2026, 6, 21, 0, 0));
	expect_next("@monthly", NULL, noon, ts(2026, 7, 1, 0, 0));
	expect_next("@daily", NULL, noon, ts(2026, 6, 16, 0, 0));
	expect_next("@hourly", NULL, noon, noon + HOUR);

	/* the edges of the supported years */
	s = parse_ok("* * * * *");
	check(CronNextRun(&s, NULL, INT64_C(253402300800)) == -1,
		  "after the year 9999: -1");
	check(CronNextRun(&s, NULL, INT64_C(-62135596801)) == -1,
		  "before the year 1: -1");
	check(CronNextRun(&s, NULL, INT64_C(-62135596800)) ==
		  INT64_C(-62135596800) + MINUTE, "in the year 1");
	check(CronNextRun(&s, NULL, INT64_C(253402300680)) ==
		  INT64_C(253402300740), "in the year 9999");

	/* a hand-made schedule that can never fire: -1, quickly */
	none = parse_ok("* * * * *");
	none.months = 0;
	check(CronNextRun(&none, NULL, noon) == -1, "no month: -1");
	none = parse_ok("* * * * *");
	none.hours = 0;
	check(CronNextRun(&none, NULL, noon) == -1, "no hour: -1");
	none = parse_ok("* * * * *");
	none.minutes = UINT64_C(1) << 60;	/* only an invalid bit */
	check(CronNextRun(&none, NULL, noon) == -1, "no valid minute: -1");
	none = parse_ok("0 0 31 1 *");
	none.months = 1 << 2;		/* February 31 */
	check(CronNextRun(&none, NULL, noon) == -1, "February 31: -1");
}

/*
 * The wall clock of NYC on the days daylight saving time starts and ends
 * in 2026, and the same for Berlin, in every mode of local_offset.
 */
static void
test_dst(void)
{
	int			mode;

	for (mode = HINT_BEFORE; mode <= HINT_NONSENSE; mode++)
	{
		zone_ny.mode = (HintMode) mode;
		zone_berlin.mode = (HintMode) mode;
		zone_midnight.mode = (HintMode) mode;
		zone_half.mode = (HintMode) mode;

		/*
		 * New York, 2026-03-08: 02:00 EST (07:00Z) becomes 03:00 EDT.
		 */
		{
			/* 02:30 runs at 03:00 EDT (07:00Z), then at 02:30 EDT again */
			int64_t		daily[] = {INT64_C(1772953200), INT64_C(1773037800)};
			int64_t		hourly0[] = {ts(2026, 3, 8, 6, 0), ts(2026, 3, 8, 7, 0),
			ts(2026, 3, 8, 8, 0)};
			int64_t		hourly30[] = {ts(2026, 3, 8, 6, 30), ts(2026, 3, 8, 7, 0),
			ts(2026, 3, 8, 7, 30), ts(2026, 3, 8, 8, 30)};
			int64_t		quarter[] = {ts(2026, 3, 8, 6, 45), ts(2026, 3, 8, 7, 0),
			ts(2026, 3, 8, 7, 15)};
			int64_t		two_three[] = {ts(2026, 3, 8, 7, 0), ts(2026, 3, 9, 6, 0)};
			int64_t		two_three30[] = {ts(2026, 3, 8, 7, 0), ts(2026, 3, 8, 7, 30),
			ts(2026, 3, 9, 6, 30)};
			int64_t		every[] = {ts(2026, 3, 8, 6, 59), ts(2026, 3, 8, 7, 0),
			ts(2026, 3, 8, 7, 1)};

			check(ts(2026, 3, 8, 7, 0) == INT64_C(1772953200) &&
				  ts(2026, 3, 9, 6, 30) == INT64_C(1773037800),
				  "test calendar: 2026-03-08 07:00Z and 2026-03-09 06:30Z");
			expect_runs("30 2 * * *", &zone_ny, ts(2026, 3, 7, 7, 30), daily, 2);
			expect_next("30 2 * * *", &zone_ny, ts(2026, 3, 8, 6, 59) + 30,
						ts(2026, 3, 8, 7, 0));
			expect_next("0 2 * * *", &zone_ny, ts(2026, 3, 7, 12, 0),
						ts(2026, 3, 8, 7, 0));
			expect_next("59 2 * * *", &zone_ny, ts(2026, 3, 7, 12, 0),
						ts(2026, 3, 8, 7, 0));
			expect_next("0 3 * * *", &zone_ny, ts(2026, 3, 7, 12, 0),
						ts(2026, 3, 8, 7, 0));
			expect_next("59 1 * * *", &zone_ny, ts(2026, 3, 7, 12, 0),
						ts(2026, 3, 8, 6, 59));
			expect_runs("0 2,3 * * *", &zone_ny, ts(2026, 3, 8, 6, 0), two_three, 2);
			expect_runs("30 2,3 * * *", &zone_ny, ts(2026, 3, 8, 6, 0), two_three30, 3);
			expect_runs("0 * * * *", &zone_ny, ts(2026, 3, 8, 5, 30), hourly0, 3);
			expect_runs("30 * * * *", &zone_ny, ts(2026, 3, 8, 5, 45), hourly30, 4);
			expect_runs("*/15 * * * *", &zone_ny, ts(2026, 3, 8, 6, 40), quarter, 3);
			expect_runs("* * * * *", &zone_ny, ts(2026, 3, 8, 6, 58), every, 3);
			/* a one-off in the gap, on a date given in full */
			expect_next("30 2 8 3 *", &zone_ny, ts(2026, 1, 1, 0, 0),
						ts(2026, 3, 8, 7, 0));
		}

		/*
		 * New York, 2026-11-01: 02:00 EDT (06:00Z) becomes 01:00 EST, so
		 * 01:00-01:59 happens twice, at 05:00Z-05:59Z and 06:00Z-06:59Z.
		 */
		{
			int64_t		daily[] = {INT64_C(1793511000), INT64_C(1793601000)};
			int64_t		quarter[] = {ts(2026, 11, 1, 5, 0), ts(2026, 11, 1, 5, 15),
				ts(2026, 11, 1, 5, 30), ts(2026, 11, 1, 5, 45),
			ts(2026, 11, 1, 7, 0), ts(2026, 11, 1, 7, 15)};
			int64_t		hourly0[] = {ts(2026, 11, 1, 4, 0), ts(2026, 11, 1, 5, 0),
			ts(2026, 11, 1, 7, 0), ts(2026, 11, 1, 8, 0)};
			int64_t		hourly30[] = {ts(2026, 11, 1, 4, 30), ts(2026, 11, 1, 5, 30),
			ts(2026, 11, 1, 7, 30)};
			int64_t		every[] = {ts(2026, 11, 1, 5, 59), ts(2026, 11, 1, 7, 0)};

			check(ts(2026, 11, 1, 5, 30) == INT64_C(1793511000) &&
				  ts(2026, 11, 2, 6, 30) == INT64_C(1793601000),
				  "test calendar: 2026-11-01 05:30Z and 2026-11-02 06:30Z");
			/* 01:30 runs at 01:30 EDT (05:30Z) only, not at 06:30Z */
			expect_runs("30 1 * * *", &zone_ny, ts(2026, 10, 31, 5, 30), daily, 2);
			expect_next("30 1 * * *", &zone_ny, ts(2026, 11, 1, 5, 30),
						ts(2026, 11, 2, 6, 30));
			/* from within the second pass */
			expect_next("30 1 * * *", &zone_ny, ts(2026, 11, 1, 6, 10),
						ts(2026, 11, 2, 6, 30));
			expect_next("* * * * *", &zone_ny, ts(2026, 11, 1, 6, 10),
						ts(2026, 11, 1, 7, 0));
			expect_next("0 2 * * *", &zone_ny, ts(2026, 10, 31, 12, 0),
						ts(2026, 11, 1, 7, 0));
			expect_next("59 0 * * *", &zone_ny, ts(2026, 10, 31, 12, 0),
						ts(2026, 11, 1, 4, 59));
			expect_runs("*/15 * * * *", &zone_ny, ts(2026, 11, 1, 4, 50), quarter, 6);
			expect_runs("0 * * * *", &zone_ny, ts(2026, 11, 1, 3, 30), hourly0, 4);
			expect_runs("30 * * * *", &zone_ny, ts(2026, 11, 1, 3, 45), hourly30, 3);
			expect_runs("* * * * *", &zone_ny, ts(2026, 11, 1, 5, 58), every, 2);
		}

		/*
		 * Berlin, 2026-03-29: 02:00 CET (01:00Z) becomes 03:00 CEST.
		 */
		{
			int64_t		daily[] = {INT64_C(1774746000), INT64_C(1774830600)};
			int64_t		hourly0[] = {ts(2026, 3, 29, 0, 0), ts(2026, 3, 29, 1, 0),
			ts(2026, 3, 29, 2, 0)};

			check(ts(2026, 3, 29, 1, 0) == INT64_C(1774746000) &&
				  ts(2026, 3, 30, 0, 30) == INT64_C(1774830600),
				  "test calendar: 2026-03-29 01:00Z and 2026-03-30 00:30Z");
			expect_runs("30 2 * * *", &zone_berlin, ts(2026, 3, 28, 1, 30), daily, 2);
			expect_runs("0 * * * *", &zone_berlin, ts(2026, 3, 28, 23, 30), hourly0, 3);
		}

		/*
		 * Berlin, 2026-10-25: 03:00 CEST (01:00Z) becomes 02:00 CET, so
		 * 02:00-02:59 happens at 00:00Z-00:59Z and at 01:00Z-01:59Z.
		 */
		{
			int64_t		daily[] = {INT64_C(1792888200), INT64_C(1792978200)};
			int64_t		quarter[] = {ts(2026, 10, 25, 0, 0), ts(2026, 10, 25, 0, 15),
				ts(2026, 10, 25, 0, 30), ts(2026, 10, 25, 0, 45),
			ts(2026, 10, 25, 2, 0), ts(2026, 10, 25, 2, 15)};
			int64_t		hourly0[] = {ts(2026, 10, 24, 23, 0), ts(2026, 10, 25, 0, 0),
			ts(2026, 10, 25, 2, 0)};

			check(ts(2026, 10, 25, 0, 30) == INT64_C(1792888200) &&
				  ts(2026, 10, 26, 1, 30) == INT64_C(1792978200),
				  "test calendar: 2026-10-25 00:30Z and 2026-10-26 01:30Z");
			expect_runs("30 2 * * *", &zone_berlin, ts(2026, 10, 24, 1, 0), daily, 2);
			expect_next("30 2 * * *", &zone_berlin, ts(2026, 10, 25, 1, 10),
						ts(2026, 10, 26, 1, 30));
			expect_runs("*/15 * * * *", &zone_berlin, ts(2026, 10, 24, 23, 50), quarter, 6);
			expect_runs("0 * * * *", &zone_berlin, ts(2026, 10, 24, 22, 30), hourly0, 3);
		}

		/*
		 * Transitions at midnight (-03 / -02): 2026-03-08 00:00 -03
		 * (03:00Z) becomes 01:00 -02; 2026-11-01 00:00 -02 (02:00Z) becomes
		 * 2026-10-31 23:00 -03.
		 */
		{
			int64_t		midnight[] = {ts(2026, 3, 8, 3, 0), ts(2026, 3, 9, 2, 0)};
			int64_t		late[] = {ts(2026, 11, 1, 1, 30), ts(2026, 11, 2, 2, 30)};
			int64_t		fall_midnight[] = {ts(2026, 10, 31, 2, 0),
			ts(2026, 11, 1, 3, 0)};

			expect_runs("0 0 * * *", &zone_midnight, ts(2026, 3, 7, 4, 0), midnight, 2);
			expect_next("30 0 8 3 *", &zone_midnight, ts(2026, 1, 1, 0, 0),
						ts(2026, 3, 8, 3, 0));
			expect_next("0 0 * * 0", &zone_midnight, ts(2026, 3, 2, 0, 0),
						ts(2026, 3, 8, 3, 0));
			expect_runs("30 23 * * *", &zone_midnight, ts(2026, 10, 31, 2, 0), late, 2);
			expect_runs("0 0 * * *", &zone_midnight, ts(2026, 10, 30, 12, 0),
						fall_midnight, 2);
		}

		/*
		 * A half-hour shift (+10:30 / +11): 2026-03-29 02:00 +10:30
		 * (2026-03-28 15:30Z) becomes 02:30; 2026-10-25 02:00 +11
		 * (2026-10-24 15:00Z) becomes 01:30.
		 */
		{
			int64_t		gap[] = {ts(2026, 3, 28, 15, 30), ts(2026, 3, 29, 15, 15)};
			int64_t		overlap[] = {ts(2026, 10, 24, 14, 45),
			ts(2026, 10, 25, 15, 15)};

			expect_runs("15 2 * * *", &zone_half, ts(2026, 3, 28, 12, 0), gap, 2);
			expect_runs("45 1 * * *", &zone_half, ts(2026, 10, 24, 12, 0), overlap, 2);
		}
	}
	zone_ny.mode = HINT_BEFORE;
	zone_berlin.mode = HINT_BEFORE;
	zone_midnight.mode = HINT_BEFORE;
	zone_half.mode = HINT_BEFORE;
}

/* The test's own reading of a schedule, for the brute-force reference */
static int
matches_wall(const CronSchedule *s, int64_t wall)
{
	CronLocalTime lt;
	int			dom;
	int			dow;
	int			day_ok;

	split(wall, &lt);
	dom = (s->days >> lt.day) & 1;
	dow = (s->weekdays >> lt.wday) & 1;
	day_ok = (s->dom_star || s->dow_star) ? (dom && dow) : (dom || dow);
	return ((s->minutes >> lt.minute) & 1) && ((s->hours >> lt.hour) & 1) &&
		((s->months >> lt.month) & 1) && day_ok;
}

#define MAX_FIRES	(4 * 24 * 60 + 1)

/*
 * test_brute_force
 *		Compare CronNextRun() with the documented rule, applied literally.
 *
 * The rule: a matching wall-clock minute fires at the first instant at
 * which the zone's wall clock reaches or passes it.  The reference walks
 * UTC minute by minute over the four days around a transition, remembers
 * the latest wall-clock minute reached so far, and fires whenever the
 * clock moves past it onto (or over) a matching minute.  CronNextRun() is
 * then asked for the next run from starting points spread over the middle
 * two days, at whole minutes and in between.
 */
static void
test_brute_force(void)
{
	static const char *const schedules[] = {
		"* * * * *", "*/15 * * * *", "0 * * * *", "30 * * * *",
		"30 2 * * *", "30 1 * * *", "0 0 * * *", "45 23 * * *",
		"15 2,3 * * *", "*/7 1-3 * * *", "59 1 * * *", "0 3 * * *",
		"20,40 0-2 * * *", "0 0 * * 0,1"
	};
	TestZone   *zones[] = {&zone_ny, &zone_berlin, &zone_midnight, &zone_half};
	static int64_t fires[MAX_FIRES];
	int			zi;
	int			si;
	int			mode;
	int			tr;

	for (zi = 0; zi < (int) lengthof(zones); zi++)
		for (tr = 0; tr < 2; tr++)
			for (si = 0; si < (int) lengthof(schedules); si++)
				for (mode = HINT_BEFORE; mode <= HINT_NONSENSE; mode++)
				{
					TestZone   *z = zones[zi];
					const TestRule *rule = tr == 0 ? &z->start : &z->end;
					int64_t		transition = rule_instant(rule, 2026,
														  tr == 0 ? z->std_off : z->dst_off);
					int64_t		from = transition / MINUTE * MINUTE - 2 * DAY;
					int64_t		to = from + 4 * DAY;
					CronSchedule s = parse_ok(schedules[si]);
					CronZone	zone = make_zone(z);
					int64_t		reached;
					int64_t		t;
					int64_t		after;
					int			n_fires = 0;
					int			k = 0;
					int			bad = 0;
					char		b1[40];
					char		b2[40];
					char		b3[40];

					z->mode = (HintMode) mode;
					reached = from + zone_offset_at(z, from);
					for (t = from + MINUTE; t <= to; t += MINUTE)
					{
						int64_t		wall = t + zone_offset_at(z, t);
						int64_t		w;
						int			fire = 0;

						for (w = reached + MINUTE; w <= wall; w += MINUTE)
							if (matches_wall(&s, w))
								fire = 1;
						if (wall > reached)
							reached = wall;
						if (fire && n_fires < MAX_FIRES)
							fires[n_fires++] = t;
					}

					for (after = from + DAY; after < to - DAY && !bad;
						 after += 7 * MINUTE + (after % 2 == 0 ? 23 : -23))
					{
						int64_t		got = CronNextRun(&s, &zone, after);

						while (k < n_fires && fires[k] <= after)
							k++;
						if (k == n_fires)
							break;
						if (got != fires[k])
						{
							bad = 1;
							check(0, "brute force: \"%s\" in %s (hint mode %d) after %s: expected %s, got %s",
								  schedules[si], z->name, mode,
								  fmt_utc(after, b1, sizeof(b1)),
								  fmt_utc(fires[k], b2, sizeof(b2)),
								  fmt_utc(got, b3, sizeof(b3)));
						}
					}
					if (!bad)
						check(1, "brute force");
					z->mode = HINT_BEFORE;
				}
}

/* A zone that answers nonsense: constant time, constant offset */
static void
broken_to_local(void *arg, int64_t utc, CronLocalTime *out)
{
	(void) arg;
	(void) utc;
	split(ts(2026, 1, 1, 0, 0), out);
}

static int
broken_local_offset(void *arg, const CronLocalTime *local)
{
	(void) arg;
	(void) local;
	return 0;
}

static void
test_robustness(void)
{
	CronSchedule s;
	CronZone	broken;
	CronZone	zone;
	int64_t		got;

	/* a zone whose clock stands still: the search must give up */
	broken.arg = NULL;
	broken.to_local = broken_to_local;
	broken.local_offset = broken_local_offset;
	s = parse_ok("* * * * *");
	check(CronNextRun(&s, &broken, ts(2026, 6, 1, 0, 0)) == -1,
		  "a stopped clock: -1");
	s = parse_ok("0 0 29 2 *");
	check(CronNextRun(&s, &broken, ts(2026, 6, 1, 0, 0)) == -1,
		  "a stopped clock, rare schedule: -1");

	/*
	 * Cost: a few callbacks per call, however far away the next run is;
	 * minute-by-minute stepping would take millions.
	 */
	zone = make_zone(&zone_ny);
	s = parse_ok("0 0 29 2 *");
	zone_ny.calls = 0;
	got = CronNextRun(&s, &zone, ts(2096, 3, 1, 0, 0));
	check(got == ts(2104, 2, 29, 5, 0) && zone_ny.calls <= 20,
		  "\"0 0 29 2 *\" eight years ahead in %ld callbacks", zone_ny.calls);
	s = parse_ok("* * * * *");
	zone_ny.calls = 0;
	CronNextRun(&s, &zone, ts(2026, 6, 1, 0, 0));
	check(zone_ny.calls <= 10, "\"* * * * *\" in %ld callbacks",
		  zone_ny.calls);
	s = parse_ok("30 2 * * *");
	zone_ny.calls = 0;
	CronNextRun(&s, &zone, ts(2026, 3, 7, 12, 0));
	check(zone_ny.calls <= 60, "a run moved out of a gap in %ld callbacks",
		  zone_ny.calls);
	s = parse_ok("* * * * *");
	zone_ny.calls = 0;
	CronNextRun(&s, &zone, ts(2026, 11, 1, 6, 0));
	check(zone_ny.calls <= 60 * 8, "the whole second pass in %ld callbacks",
		  zone_ny.calls);

	/* every result is a whole minute, strictly after the start */
	{
		int64_t		after;
		int			ok = 1;

		s = parse_ok("*/7 * * * *");
		for (after = ts(2026, 11, 1, 4, 0); after < ts(2026, 11, 1, 8, 0);
			 after += 37)
		{
			got = CronNextRun(&s, &zone, after);
			if (got <= after || got % MINUTE != 0)
				ok = 0;
		}
		check(ok, "results are whole minutes after the start");
	}
}

int
main(void)
{
	test_parse_errors();
	test_parse_valid();
	test_next_utc();
	test_dst();
	test_brute_force();
	test_robustness();

	return check_summary();
}
