/*-------------------------------------------------------------------------
 *
 * cron.c
 *	  Cron schedules: parsing and computation of the next run.
 *
 * CronParse() turns the five fields of a schedule (or a macro) into bit
 * sets, one bit per allowed value, and rejects a schedule that fires never
 * or less often than once every LEADGEN_CRON_SEARCH_YEARS years, so that
 * CronNextRun() always finds a run within its search window.
 *
 * CronNextRun() walks the wall-clock calendar of the zone forward from the
 * minute after the current local time, field by field: a month that is not
 * in the schedule is skipped whole, then a day, then an hour, and minutes
 * are looked up in their bit set.  So the cost depends on the number of
 * months and days visited, never on the number of minutes between two runs
 * ("0 0 29 2 *" visits at most a few hundred days).  Every matching
 * wall-clock minute found is mapped to the instant at which it fires, as
 * cron.h documents for gaps and overlaps; that mapping never decreases as
 * the wall-clock minute increases, so the first minute whose instant is
 * after the starting point is the answer.
 *
 * Time zones are known only through the caller's CronZone.  The UTC offset
 * the zone reports for a wall-clock time is used as a first guess only:
 * the offsets in force one day before and after are sampled too, and each
 * candidate instant is confirmed by converting it back with to_local.  This
 * finds both occurrences of a repeated minute and detects a minute that
 * does not exist, whichever side of a transition local_offset picks.
 *
 * Plain C99 without PostgreSQL headers, allocation-free and stateless: see
 * cron.h.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *	  src/cron.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "cron.h"

#if defined(__GNUC__)
#define CRON_PRINTF(f, a) __attribute__((format(printf, f, a)))
#else
#define CRON_PRINTF(f, a)
#endif

#define SECS_PER_MINUTE		INT64_C(60)
#define SECS_PER_DAY		INT64_C(86400)

/* 0001-01-01 00:00:00 and 9999-12-31 23:59:59 UTC */
#define MIN_UTC				INT64_C(-62135596800)
#define MAX_UTC				INT64_C(253402300799)

/*
 * Upper bound on the wall-clock minutes CronNextRun() maps to instants.
 * With a consistent zone only the minutes of one repeated period can be
 * mapped without giving the answer, so this is never reached; it only
 * keeps a broken zone from costing more than a few milliseconds.
 */
#define MAX_CANDIDATES		10000

/* Masks of the valid bits of each set of a CronSchedule */
#define MINUTE_MASK			((UINT64_C(1) << 60) - 1)
#define HOUR_MASK			((UINT32_C(1) << 24) - 1)
#define MONTH_MASK			(((UINT32_C(1) << 12) - 1) << 1)

#define FIELD_MINUTE		0
#define FIELD_HOUR			1
#define FIELD_DOM			2
#define FIELD_MONTH			3
#define FIELD_DOW			4
#define N_FIELDS			5

#define lengthof(array) (sizeof(array) / sizeof((array)[0]))

static const char *const month_names[] = {
	"jan", "feb", "mar", "apr", "may", "jun",
	"jul", "aug", "sep", "oct", "nov", "dec"
};

static const char *const weekday_names[] = {
	"sun", "mon", "tue", "wed", "thu", "fri", "sat"
};

/*
 * One field of a schedule.  Values from min to max may be written; "*" and
 * "a/n" run to star_max, which differs from max for the day of the week
 * only (7 is an alias of Sunday, not a day of its own).  names[i] stands
 * for value name_base + i.
 */
typedef struct CronFieldInfo
{
	const char *name;
	int			min;
	int			max;
	int			star_max;
	const char *const *names;
	int			n_names;
	int			name_base;
} CronFieldInfo;

static const CronFieldInfo field_info[N_FIELDS] =
{
	{"minute", 0, 59, 59, NULL, 0, 0},
	{"hour", 0, 23, 23, NULL, 0, 0},
	{"day-of-month", 1, 31, 31, NULL, 0, 0},
	{"month", 1, 12, 12, month_names, (int) lengthof(month_names), 1},
	{"day-of-week", 0, 7, 6, weekday_names, (int) lengthof(weekday_names), 0}
};

static const struct
{
	const char *name;
	const char *fields;
}			macros[] =
{
	{"@yearly", "0 0 1 1 *"},
	{"@annually", "0 0 1 1 *"},
	{"@monthly", "0 0 1 * *"},
	{"@weekly", "0 0 * * 0"},
	{"@daily", "0 0 * * *"},
	{"@midnight", "0 0 * * *"},
	{"@hourly", "0 * * * *"}
};

/* What the parser of one field needs to know and to report errors */
typedef struct CronFieldContext
{
	const CronFieldInfo *info;
	const char *field;			/* the whole field, for messages */
	size_t		field_len;
	const char *item;			/* the item being parsed */
	size_t		item_len;
	char	   *errbuf;
	size_t		errlen;
} CronFieldContext;

static bool report(char *errbuf, size_t errlen, const char *fmt,...) CRON_PRINTF(3, 4);
static bool is_space(char c);
static bool is_digit(char c);
static bool is_alpha(char c);
static char to_lower(char c);
static bool parse_schedule(const char *expr, CronSchedule *out,
						   char *errbuf, size_t errlen);
static bool parse_field(const char *field, size_t len, int fieldno,
						uint64_t *bits, char *errbuf, size_t errlen);
static bool parse_item(CronFieldContext *cxt, uint64_t *bits);
static bool parse_value(CronFieldContext *cxt, size_t *pos, int *value);
static bool check_fires(const CronSchedule *s, char *errbuf, size_t errlen);
static bool year_type_matches(const CronSchedule *s, bool leap, int jan1_wday);
static bool day_matches(const CronSchedule *s, int day, int wday);
static int	next_bit(uint64_t set, int from, int max);
static bool is_leap(int64_t year);
static int	days_in_month(int64_t year, int month);
static int64_t floor_div(int64_t a, int64_t b);
static int64_t days_from_civil(int64_t year, int month, int day);
static void civil_from_days(int64_t days, int64_t *year, int *month,
							int *day);
static int	weekday_of_days(int64_t days);
static void wall_to_local(int64_t wall, CronLocalTime *out);
static void zone_to_local(const CronZone *zone, int64_t utc,
						  CronLocalTime *out);
static int64_t wall_at(const CronZone *zone, int64_t utc);
static bool fire_time(const CronZone *zone, int64_t wall, int64_t *fire);

/*
 * report
 *		Format a message into errbuf and return false, for "return report()".
 */
static bool
report(char *errbuf, size_t errlen, const char *fmt,...)
{
	va_list		ap;

	if (errbuf != NULL && errlen > 0)
	{
		va_start(ap, fmt);
		vsnprintf(errbuf, errlen, fmt, ap);
		va_end(ap);
	}
	return false;
}

static bool
is_space(char c)
{
	return c == ' ' || c == '\t';
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static char
to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

/*
 * CronParse
 *		Parse a schedule or a macro; see cron.h.
 */
bool
CronParse(const char *expr, CronSchedule *out, char *errbuf, size_t errlen)
{
	const char *p;

	if (errbuf != NULL && errlen > 0)
		errbuf[0] = '\0';
	if (expr == NULL)
		return report(errbuf, errlen, "cron schedule is empty");

	/*
	 * Refuse control characters and non-ASCII bytes up front, so that every
	 * later message can quote the schedule's text as it is.
	 */
	for (p = expr; *p != '\0'; p++)
	{
		unsigned char c = (unsigned char) *p;

		if (!is_space(*p) && (c < 0x21 || c > 0x7e))
			return report(errbuf, errlen,
						  "cron schedule contains invalid byte 0x%02x", c);
	}

	while (is_space(*expr))
		expr++;
	if (*expr == '@')
	{
		size_t		len = 0;
		size_t		i;

		while (expr[len] != '\0' && !is_space(expr[len]))
			len++;
		for (p = expr + len; is_space(*p); p++)
			;
		if (*p != '\0')
			return report(errbuf, errlen,
						  "cron macro \"%.*s\" must be the whole schedule",
						  (int) len, expr);
		for (i = 0; i < lengthof(macros); i++)
		{
			const char *name = macros[i].name;
			size_t		j;

			if (strlen(name) != len)
				continue;
			for (j = 0; j < len; j++)
				if (to_lower(expr[j]) != name[j])
					break;
			if (j == len)
				return parse_schedule(macros[i].fields, out, errbuf, errlen);
		}
		return report(errbuf, errlen, "unknown cron macro \"%.*s\"",
					  (int) len, expr);
	}
	return parse_schedule(expr, out, errbuf, errlen);
}

/*
 * parse_schedule
 *		Parse the five fields of expr (no macro) into *out.
 *
 * expr holds only printable ASCII, spaces and tabs.  *out is written only
 * on success.
 */
static bool
parse_schedule(const char *expr, CronSchedule *out, char *errbuf,
			   size_t errlen)
{
	const char *start[N_FIELDS];
	size_t		len[N_FIELDS];
	uint64_t	bits[N_FIELDS];
	int			n_fields = 0;
	const char *p = expr;
	CronSchedule s;
	int			i;

	for (;;)
	{
		const char *tok;

		while (is_space(*p))
			p++;
		if (*p == '\0')
			break;
		tok = p;
		while (*p != '\0' && !is_space(*p))
			p++;
		if (n_fields < N_FIELDS)
		{
			start[n_fields] = tok;
			len[n_fields] = (size_t) (p - tok);
		}
		n_fields++;
	}

	if (n_fields == 0)
		return report(errbuf, errlen, "cron schedule is empty");
	if (n_fields != N_FIELDS)
		return report(errbuf, errlen,
					  "cron schedule must have 5 fields (minute hour day-of-month month day-of-week), found %d",
					  n_fields);

	for (i = 0; i < N_FIELDS; i++)
		if (!parse_field(start[i], len[i], i, &bits[i], errbuf, errlen))
			return false;

	memset(&s, 0, sizeof(s));
	s.minutes = bits[FIELD_MINUTE];
	s.hours = (uint32_t) bits[FIELD_HOUR];
	s.days = (uint32_t) bits[FIELD_DOM];
	s.months = (uint16_t) bits[FIELD_MONTH];
	s.weekdays = (uint8_t) bits[FIELD_DOW];

	/*
	 * The traditional rule: a day field is unrestricted when it begins with
	 * "*", even "*" followed by a step.  Existing crontabs rely on it.
	 */
	s.dom_star = (start[FIELD_DOM][0] == '*');
	s.dow_star = (start[FIELD_DOW][0] == '*');

	if (!check_fires(&s, errbuf, errlen))
		return false;

	*out = s;
	return true;
}

/*
 * parse_field
 *		Parse one field (a comma-separated list of items) into *bits.
 */
static bool
parse_field(const char *field, size_t len, int fieldno, uint64_t *bits,
			char *errbuf, size_t errlen)
{
	CronFieldContext cxt;
	size_t		pos = 0;
	size_t		i;

	cxt.info = &field_info[fieldno];
	cxt.field = field;
	cxt.field_len = len;
	cxt.errbuf = errbuf;
	cxt.errlen = errlen;

	for (i = 0; i < len; i++)
	{
		char		c = field[i];

		if (!is_digit(c) && !is_alpha(c) &&
			c != '*' && c != ',' && c != '-' && c != '/')
			return report(errbuf, errlen,
						  "invalid character \"%c\" in %s field \"%.*s\"",
						  c, cxt.info->name, (int) len, field);
	}

	*bits = 0;
	for (;;)
	{
		size_t		end = pos;

		while (end < len && field[end] != ',')
			end++;
		if (end == pos)
			return report(errbuf, errlen, "empty item in %s field \"%.*s\"",
						  cxt.info->name, (int) len, field);
		cxt.item = field + pos;
		cxt.item_len = end - pos;
		if (!parse_item(&cxt, bits))
			return false;
		if (end == len)
			break;
		pos = end + 1;			/* past the comma; "1," has an empty item */
	}
	return true;
}

/*
 * parse_item
 *		Parse one item ("*", "a", "a-b", each with an optional "/n") and add
 *		its values to *bits.
 */
static bool
parse_item(CronFieldContext *cxt, uint64_t *bits)
{
	const CronFieldInfo *f = cxt->info;
	const char *s = cxt->item;
	size_t		n = cxt->item_len;
	size_t		pos = 0;
	int			lo;
	int			hi;
	int			step = 1;
	bool		single = false;
	int			v;

	if (s[0] == '*')
	{
		lo = f->min;
		hi = f->star_max;
		pos = 1;
	}
	else
	{
		if (!parse_value(cxt, &pos, &lo))
			return false;
		if (pos < n && s[pos] == '-')
		{
			pos++;
			if (!parse_value(cxt, &pos, &hi))
				return false;
			if (hi < lo)
				return report(cxt->errbuf, cxt->errlen,
							  "%s range %.*s has its start after its end",
							  f->name, (int) pos, s);
		}
		else
		{
			hi = lo;
			single = true;
		}
	}

	if (pos < n && s[pos] == '/')
	{
		size_t		start = ++pos;
		int			nvalues = f->star_max - f->min + 1;
		long		num = 0;

		while (pos < n && (is_digit(s[pos]) || is_alpha(s[pos])))
		{
			if (!is_digit(s[pos]))
				num = -1;
			else if (num >= 0 && num < 1000000)
				num = num * 10 + (s[pos] - '0');
			pos++;
		}
		if (pos == start)
			return report(cxt->errbuf, cxt->errlen,
						  "missing step in %s item \"%.*s\"",
						  f->name, (int) n, s);
		if (num < 0)
			return report(cxt->errbuf, cxt->errlen,
						  "invalid %s step \"%.*s\"",
						  f->name, (int) (pos - start), s + start);
		if (num < 1 || num > nvalues)
			return report(cxt->errbuf, cxt->errlen,
						  "%s step %.*s is out of range 1-%d",
						  f->name, (int) (pos - start), s + start, nvalues);
		step = (int) num;
		if (single)
			hi = f->star_max;	/* "a/n" is "a-max/n" */
	}

	if (pos != n)
		return report(cxt->errbuf, cxt->errlen, "invalid %s item \"%.*s\"",
					  f->name, (int) n, s);

	/* "a/n" with a = 7 on the day of the week: just Sunday */
	if (hi < lo)
		hi = lo;
	for (v = lo; v <= hi; v += step)
		*bits |= UINT64_C(1) << (v == 7 && f->max == 7 ? 0 : v);
	return true;
}

/*
 * parse_value
 *		Parse the number or name at item[*pos] and advance *pos past it.
 */
static bool
parse_value(CronFieldContext *cxt, size_t *pos, int *value)
{
	const CronFieldInfo *f = cxt->info;
	const char *s = cxt->item;
	size_t		start = *pos;
	size_t		end = start;
	bool		all_digits = true;
	bool		all_letters = true;
	long		num = 0;
	int			len;

	while (end < cxt->item_len && (is_digit(s[end]) || is_alpha(s[end])))
	{
		if (is_digit(s[end]))
		{
			all_letters = false;
			if (num < 1000000)
				num = num * 10 + (s[end] - '0');
		}
		else
			all_digits = false;
		end++;
	}
	len = (int) (end - start);
	if (len == 0)
		return report(cxt->errbuf, cxt->errlen, "invalid %s item \"%.*s\"",
					  f->name, (int) cxt->item_len, s);

	if (all_digits)
	{
		if (num < f->min || num > f->max)
			return report(cxt->errbuf, cxt->errlen,
						  "%s value %.*s is out of range %d-%d",
						  f->name, len, s + start, f->min, f->max);
		*value = (int) num;
	}
	else if (all_letters && f->names != NULL)
	{
		int			i;

		for (i = 0; i < f->n_names; i++)
		{
			const char *name = f->names[i];

			if (len == 3 &&
				to_lower(s[start]) == name[0] &&
				to_lower(s[start + 1]) == name[1] &&
				to_lower(s[start + 2]) == name[2])
				break;
		}
		if (i == f->n_names)
			return report(cxt->errbuf, cxt->errlen,
						  "invalid %s name \"%.*s\"",
						  f->name, len, s + start);
		*value = f->name_base + i;
	}
	else
		return report(cxt->errbuf, cxt->errlen, "invalid %s value \"%.*s\"",
					  f->name, len, s + start);

	*pos = end;
	return true;
}

/*
 * check_fires
 *		Reject a schedule that never fires or fires less often than once
 *		every LEADGEN_CRON_SEARCH_YEARS years.
 *
 * Whether a year holds a matching date depends only on whether it is a
 * leap year and on the weekday of January 1, so the 14 kinds of year are
 * checked once each.  The Gregorian calendar repeats every 400 years, so
 * the longest run of years without a matching date, found over one cycle
 * taken twice (runs may wrap around), is the longest there is.  A run of
 * at most SEARCH_YEARS - 1 years guarantees a matching date in the
 * SEARCH_YEARS whole years CronNextRun() searches after the current one.
 */
static bool
check_fires(const CronSchedule *s, char *errbuf, size_t errlen)
{
	bool		has[2][7];
	bool		any = false;
	int			leap;
	int			wday;
	int			run = 0;
	int			max_run = 0;
	int			i;

	for (leap = 0; leap < 2; leap++)
		for (wday = 0; wday < 7; wday++)
		{
			has[leap][wday] = year_type_matches(s, leap != 0, wday);
			any = any || has[leap][wday];
		}
	if (!any)
		return report(errbuf, errlen,
					  "cron schedule never fires: no calendar date matches its day-of-month, month and day-of-week fields");

	wday = 6;					/* 2000-01-01 was a Saturday */
	for (i = 0; i < 800; i++)
	{
		int64_t		year = 2000 + i % 400;
		int			l = is_leap(year) ? 1 : 0;

		if (has[l][wday])
			run = 0;
		else if (++run > max_run)
			max_run = run;
		wday = (wday + 365 + l) % 7;
	}
	if (max_run > LEADGEN_CRON_SEARCH_YEARS - 1)
		return report(errbuf, errlen,
					  "cron schedule fires less often than once every %d years",
					  LEADGEN_CRON_SEARCH_YEARS);
	return true;
}

/*
 * year_type_matches
 *		Does a year of this kind hold a date that s matches?
 */
static bool
year_type_matches(const CronSchedule *s, bool leap, int jan1_wday)
{
	int			wday = jan1_wday;
	int			month;

	for (month = 1; month <= 12; month++)
	{
		int			ndays = days_in_month(leap ? 2000 : 2001, month);
		int			day;

		if (s->months & (1u << month))
			for (day = 1; day <= ndays; day++)
				if (day_matches(s, day, (wday + day - 1) % 7))
					return true;
		wday = (wday + ndays) % 7;
	}
	return false;
}

/*
 * day_matches
 *		The day rule: does day of month day, weekday wday, match s?
 */
static bool
day_matches(const CronSchedule *s, int day, int wday)
{
	bool		dom = ((s->days >> day) & 1) != 0;
	bool		dow = ((s->weekdays >> wday) & 1) != 0;

	if (s->dom_star || s->dow_star)
		return dom && dow;
	return dom || dow;
}

/*
 * next_bit
 *		The lowest value from from to max whose bit is set, or -1.
 */
static int
next_bit(uint64_t set, int from, int max)
{
	int			v;

	for (v = from; v <= max; v++)
		if ((set >> v) & 1)
			return v;
	return -1;
}

static bool
is_leap(int64_t year)
{
	return (year % 4 == 0 && year % 100 != 0) || year % 400 == 0;
}

static int
days_in_month(int64_t year, int month)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31};

	if (month == 2 && is_leap(year))
		return 29;
	return mdays[month - 1];
}

/* Division rounding towards minus infinity */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if ((a % b != 0) && ((a < 0) != (b < 0)))
		q--;
	return q;
}

/*
 * days_from_civil
 *		Days since 1970-01-01 of a date of the proleptic Gregorian calendar.
 */
static int64_t
days_from_civil(int64_t year, int month, int day)
{
	int64_t		y = year - (month <= 2 ? 1 : 0);
	int64_t		era = floor_div(y, 400);
	int64_t		yoe = y - era * 400;
	int64_t		doy = (153 * (month + (month > 2 ? -3 : 9)) + 2) / 5 + day - 1;
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;

	return era * 146097 + doe - 719468;
}

/*
 * civil_from_days
 *		The date of a day counted since 1970-01-01; the inverse of
 *		days_from_civil().
 */
static void
civil_from_days(int64_t days, int64_t *year, int *month, int *day)
{
	int64_t		z = days + 719468;
	int64_t		era = floor_div(z, 146097);
	int64_t		doe = z - era * 146097;
	int64_t		yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	int64_t		doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	int64_t		mp = (5 * doy + 2) / 153;
	int			m = (int) (mp < 10 ? mp + 3 : mp - 9);

	*day = (int) (doy - (153 * mp + 2) / 5 + 1);
	*month = m;
	*year = yoe + era * 400 + (m <= 2 ? 1 : 0);
}

/* Weekday, Sunday = 0, of a day counted since 1970-01-01 (a Thursday) */
static int
weekday_of_days(int64_t days)
{
	return (int) (days - floor_div(days + 4, 7) * 7 + 4);
}

/*
 * zone_to_local
 *		to_local of zone, or UTC when zone is NULL.
 */
static void
zone_to_local(const CronZone *zone, int64_t utc, CronLocalTime *out)
{
	if (zone != NULL)
		zone->to_local(zone->arg, utc, out);
	else
		wall_to_local(utc, out);
}

/*
 * wall_to_local
 *		Split a wall-clock time counted as in wall_at() into its fields.
 *
 * The year must fit in an int, which the callers ensure by keeping to the
 * years 1-9999 and a few years past them.
 */
static void
wall_to_local(int64_t wall, CronLocalTime *out)
{
	int64_t		days = floor_div(wall, SECS_PER_DAY);
	int64_t		secs = wall - days * SECS_PER_DAY;
	int64_t		year;

	civil_from_days(days, &year, &out->month, &out->day);
	out->year = (int) year;
	out->hour = (int) (secs / 3600);
	out->minute = (int) (secs / 60 % 60);
	out->second = (int) (secs % 60);
	out->wday = weekday_of_days(days);
}

/*
 * wall_at
 *		The wall-clock time of zone at instant utc, as seconds since
 *		1970-01-01 00:00:00 of the zone's calendar.
 *
 * The difference wall_at(utc) - utc is the UTC offset in force at utc.
 */
static int64_t
wall_at(const CronZone *zone, int64_t utc)
{
	CronLocalTime lt;

	zone_to_local(zone, utc, &lt);
	return days_from_civil(lt.year, lt.month, lt.day) * SECS_PER_DAY +
		lt.hour * INT64_C(3600) + lt.minute * SECS_PER_MINUTE + lt.second;
}

/*
 * fire_time
 *		The instant at which the wall-clock minute wall fires in zone.
 *
 * wall is counted as in wall_at().  A minute that occurs once fires then; a
 * minute that occurs twice fires at its first occurrence; a minute in a
 * gap fires at the first instant after the gap, moved up to the next whole
 * minute of wall-clock time should the transition fall within a minute.
 * Returns false, for the caller to go on with the next minute, only when
 * the zone is so inconsistent that none of this can be established.
 */
static bool
fire_time(const CronZone *zone, int64_t wall, int64_t *fire)
{
	CronLocalTime lt;
	int64_t		sample_at[3];
	int64_t		sample_off[3];
	int64_t		offs[4];
	int			n_offs = 0;
	int64_t		guess;
	int64_t		best = 0;
	bool		found = false;
	int64_t		lo;
	int64_t		hi;
	int			i;
	int			j;

	if (zone == NULL)
	{
		*fire = wall;
		return true;
	}

	/*
	 * The zone's own guess, and the offsets in force at that instant and a
	 * day before and after it: the latter two are the offsets on both
	 * sides of any transition near wall.
	 */
	wall_to_local(wall, &lt);
	offs[n_offs++] = zone->local_offset(zone->arg, &lt);
	guess = wall - offs[0];
	sample_at[0] = guess;
	sample_at[1] = guess - SECS_PER_DAY;
	sample_at[2] = guess + SECS_PER_DAY;
	for (i = 0; i < 3; i++)
	{
		sample_off[i] = wall_at(zone, sample_at[i]) - sample_at[i];
		for (j = 0; j < n_offs; j++)
			if (offs[j] == sample_off[i])
				break;
		if (j == n_offs)
			offs[n_offs++] = sample_off[i];
	}

	/* Each offset gives a candidate instant; keep the earliest that holds */
	for (j = 0; j < n_offs; j++)
	{
		int64_t		cand = wall - offs[j];
		bool		holds;

		if (cand == guess)
			holds = (sample_off[0] == offs[j]);
		else
			holds = (wall_at(zone, cand) == wall);
		if (holds && (!found || cand < best))
		{
			best = cand;
			found = true;
		}
	}
	if (found)
	{
		*fire = best;
		return true;
	}

	/*
	 * A gap.  Before the transition the smallest offset is in force and
	 * after it the largest, so wall - max(offs) lies before the gap and
	 * wall - min(offs) after it.  Bisect for the first instant whose wall
	 * clock is past wall: the end of the gap.
	 */
	lo = hi = wall - offs[0];
	for (j = 1; j < n_offs; j++)
	{
		if (wall - offs[j] < lo)
			lo = wall - offs[j];
		if (wall - offs[j] > hi)
			hi = wall - offs[j];
	}
	if (!(wall_at(zone, lo) < wall && wall_at(zone, hi) > wall))
		return false;
	while (hi - lo > 1)
	{
		int64_t		mid = lo + (hi - lo) / 2;

		if (wall_at(zone, mid) > wall)
			hi = mid;
		else
			lo = mid;
	}
	wall_to_local(wall_at(zone, hi), &lt);
	if (lt.second != 0)
		hi += SECS_PER_MINUTE - lt.second;
	*fire = hi;
	return true;
}

/*
 * CronNextRun
 *		The next run of s strictly after after_utc in zone; see cron.h.
 */
int64_t
CronNextRun(const CronSchedule *s, const CronZone *zone, int64_t after_utc)
{
	uint64_t	minutes = s->minutes & MINUTE_MASK;
	uint32_t	hours = s->hours & HOUR_MASK;
	uint32_t	months = (uint32_t) s->months & MONTH_MASK;
	CronLocalTime lt;
	int64_t		wall;
	int64_t		year;
	int64_t		limit_year;
	int			month;
	int			day;
	int			hour;
	int			minute;
	int			candidates = 0;

	if (after_utc < MIN_UTC || after_utc > MAX_UTC)
		return -1;

	/*
	 * Start at the wall-clock minute after the one holding after_utc.  No
	 * earlier minute can fire after after_utc: the minute holding it fired
	 * (or will, at its first occurrence) no later than after_utc, and
	 * instants never decrease with wall-clock minutes.
	 */
	zone_to_local(zone, after_utc, &lt);
	if (lt.year < 1 || lt.year > 9999)
		return -1;
	wall = days_from_civil(lt.year, lt.month, lt.day) * SECS_PER_DAY +
		lt.hour * INT64_C(3600) + lt.minute * SECS_PER_MINUTE +
		SECS_PER_MINUTE;
	wall_to_local(wall, &lt);
	year = lt.year;
	month = lt.month;
	day = lt.day;
	hour = lt.hour;
	minute = lt.minute;
	limit_year = year + LEADGEN_CRON_SEARCH_YEARS;

	for (;;)
	{
		int64_t		days;
		int64_t		fire;
		int			next;

		if (year > limit_year)
			return -1;
		if (month > 12)
		{
			year++;
			month = 1;
			continue;
		}
		if (!((months >> month) & 1))
		{
			next = next_bit(months, month + 1, 12);
			month = (next < 0) ? 13 : next;
			day = 1;
			hour = 0;
			minute = 0;
			continue;
		}
		if (day > days_in_month(year, month))
		{
			month++;
			day = 1;
			hour = 0;
			minute = 0;
			continue;
		}
		days = days_from_civil(year, month, day);
		if (!day_matches(s, day, weekday_of_days(days)))
		{
			day++;
			hour = 0;
			minute = 0;
			continue;
		}
		next = next_bit(hours, hour, 23);
		if (next < 0)
		{
			day++;
			hour = 0;
			minute = 0;
			continue;
		}
		if (next != hour)
		{
			hour = next;
			minute = 0;
		}
		next = next_bit(minutes, minute, 59);
		if (next < 0)
		{
			hour++;
			minute = 0;
			if (hour > 23)
			{
				day++;
				hour = 0;
			}
			continue;
		}
		minute = next;

		/* A matching wall-clock minute: when does it fire? */
		wall = days * SECS_PER_DAY + hour * INT64_C(3600) +
			minute * SECS_PER_MINUTE;
		if (fire_time(zone, wall, &fire) && fire > after_utc)
			return fire;
		if (++candidates >= MAX_CANDIDATES)
			return -1;
		minute++;
		if (minute > 59)
		{
			minute = 0;
			hour++;
			if (hour > 23)
			{
				hour = 0;
				day++;
			}
		}
	}
}
