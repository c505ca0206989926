/*-------------------------------------------------------------------------
 *
 * cron.h
 *	  Cron schedules: parsing and computation of the next run.
 *
 * Everything declared here is plain C99: no PostgreSQL header and no fmgr
 * type, so that the same code runs inside the backend module and in the
 * standalone unit tests (test/unit).  Nothing allocates memory and nothing
 * keeps state between calls; time zones are supplied by the caller through
 * a CronZone.  No function depends on the C locale.
 *
 * Syntax
 * ------
 * A schedule has the five standard fields, separated by one or more spaces
 * or tabs (white space before the first and after the last field is
 * ignored):
 *
 *		minute			0-59
 *		hour			0-23
 *		day-of-month	1-31
 *		month			1-12 or JAN-DEC
 *		day-of-week		0-7 or SUN-SAT (0 and 7 are both Sunday)
 *
 * (In this file "*\/" stands for the two characters "*" and "/", which
 * cannot appear together in a C comment.)  Names are three letters and
 * case-insensitive.  Each field is a list of items separated by commas; an
 * item is "*", a value "a", or a range "a-b" (a <= b), optionally followed
 * by a step "/n": "*\/n" takes every n-th value of the whole field, "a-b/n"
 * every n-th value from a to b, and "a/n" every n-th value from a to the
 * end of the field.  A step is 1 to the number of values of its field
 * (1-60 for minutes, 1-7 for days of the week).  For the day of the week,
 * "*" and "a/n" end at 6 (Saturday); 7 is only an alias for Sunday when
 * written.  Instead of the five fields the schedule may be one of the
 * macros (case-insensitive):
 *
 *		@yearly, @annually	0 0 1 1 *
 *		@monthly			0 0 1 * *
 *		@weekly				0 0 * * 0
 *		@daily, @midnight	0 0 * * *
 *		@hourly				0 * * * *
 *
 * The day rule is the traditional one: a day-of-month or day-of-week field
 * that begins with "*" (such as "*" or "*\/2") is unrestricted.  When both
 * fields are restricted, a day matches when either of them matches
 * ("0 0 1 * MON" runs on the 1st of every month and on every Monday);
 * otherwise a day must match both, so that with one field "*" only the
 * other counts.
 *
 * A schedule is rejected when no calendar date matches it ("0 0 31 2 *")
 * and when it matches dates less often than once every 8 years (such as
 * "0 0 29 2 *\/7", February 29 falling on a Sunday), so that every
 * accepted schedule has a next run within the search window of
 * CronNextRun().
 *
 * Next run, time zones and daylight saving time
 * ---------------------------------------------
 * A schedule names wall-clock minutes in its time zone.  The next run after
 * an instant is the earliest instant strictly after it at which a matching
 * wall-clock minute fires, where a wall-clock minute fires:
 *
 *	- when it occurs once: at that instant;
 *
 *	- when it does not exist because the clocks jump forward (a gap, such as
 *	  02:00-02:59 on the day daylight saving time starts): once, at the
 *	  first instant after the gap.  A job scheduled every day at 02:30 runs
 *	  at 03:00 on that day and at 02:30 again the next day; it is never
 *	  skipped.  The rule is the same for every schedule: "30 * * * *" runs
 *	  at 01:30, 03:00 and 03:30 on that day.  Minutes of the gap and a
 *	  matching minute right after it that fire at the same instant make one
 *	  run, so "0 * * * *" runs at 01:00, 03:00 and 04:00;
 *
 *	- when it occurs twice because the clocks jump back (an overlap, such as
 *	  01:00-01:59 on the day daylight saving time ends in New York): once,
 *	  at its first occurrence (the earlier instant).  The second pass
 *	  through the repeated minutes fires nothing.  So every wall-clock
 *	  minute fires at most once: "30 1 * * *" runs at 01:30 daylight time
 *	  only, "*\/15 * * * *" runs at 01:00, 01:15, 01:30 and 01:45 daylight
 *	  time and next at 02:00 standard time, 75 minutes later, and
 *	  "0 * * * *" runs at 01:00 daylight time and next at 02:00 standard
 *	  time, two hours later.
 *
 * In one sentence: a run happens at the first instant at which the zone's
 * wall clock reaches or jumps past a matching minute that it has not shown
 * before.  Runs are on whole minutes of wall-clock time, and so on whole
 * minutes of UTC, as every UTC offset in use today is a whole number of
 * minutes.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *	  src/cron.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_CRON_H
#define LEADGEN_CRON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CronNextRun() looks at most this many whole years past the current one */
#define LEADGEN_CRON_SEARCH_YEARS	8

/* Holds any message of CronParse() that quotes no field over 150 bytes */
#define LEADGEN_CRON_ERRBUF_SIZE	256

/*
 * A parsed schedule.  Bit n of a set stands for value n: minutes 0-59,
 * hours 0-23, days 1-31 (bit 0 unused), months 1-12 (bit 0 unused),
 * weekdays 0-6 with Sunday = 0 (a written 7 is stored as 0).  dom_star and
 * dow_star say whether the day-of-month and the day-of-week field began
 * with "*", which selects the day rule described above.
 */
typedef struct CronSchedule
{
	uint64_t	minutes;
	uint32_t	hours;
	uint32_t	days;
	uint16_t	months;
	uint8_t		weekdays;
	bool		dom_star;
	bool		dow_star;
} CronSchedule;

/* A wall-clock time: month 1-12, day 1-31, wday 0-6 with Sunday = 0 */
typedef struct CronLocalTime
{
	int			year;
	int			month;
	int			day;
	int			hour;
	int			minute;
	int			second;
	int			wday;
} CronLocalTime;

/*
 * A time zone as CronNextRun() sees it; arg is passed through.
 *
 * to_local converts an instant (seconds since the Unix epoch, UTC) into the
 * wall-clock time of the zone at that instant.  It must be exact: the
 * computation relies on it alone to find out whether a wall-clock minute
 * exists once, twice or not at all.
 *
 * local_offset returns the UTC offset, in seconds east of Greenwich, in
 * force at a wall-clock time.  For a time in a gap or an overlap it may
 * return the offset of either side of the transition (PostgreSQL's
 * DetermineTimeZoneOffset() returns the offset before the transition for a
 * gap and the one after it for an overlap): the result is only the first
 * guess, which to_local confirms or corrects.
 */
typedef struct CronZone
{
	void	   *arg;
	void		(*to_local) (void *arg, int64_t utc, CronLocalTime *out);
	int			(*local_offset) (void *arg, const CronLocalTime *local);
} CronZone;

/*
 * CronParse
 *		Parse expr into *out.
 *
 * On success returns true.  On failure returns false, leaves *out
 * unchanged and writes a message into errbuf (at most errlen bytes,
 * always terminated; errbuf may be NULL when errlen is 0).  The message is
 * lower-case without a trailing period, fit to be the primary message of
 * an error, e.g. "minute value 61 is out of range 0-59".
 */
extern bool CronParse(const char *expr, CronSchedule *out,
					  char *errbuf, size_t errlen);

/*
 * CronNextRun
 *		The next run of s strictly after after_utc, in zone.
 *
 * s comes from CronParse(); zone may be NULL for UTC.  Times are seconds
 * since the Unix epoch, UTC.  Returns the first instant strictly after
 * after_utc at which s fires (see "Next run" above), or -1 when s does not
 * fire before January 1 of the ninth year after the year of after_utc in
 * zone (which cannot happen for a schedule accepted by CronParse() and a
 * consistent zone) or when after_utc is outside the years 1-9999.
 */
extern int64_t CronNextRun(const CronSchedule *s, const CronZone *zone,
						   int64_t after_utc);

#endif							/* LEADGEN_CRON_H */
