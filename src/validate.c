/*-------------------------------------------------------------------------
 *
 * validate.c
 *	  Eligibility rules and quality score of a lead.
 *
 * LeadgenValidate() applies every rule of the lead domain contract to one
 * lead and reports all failing reason codes, each once, in checking order.
 * A rule runs only when the fields it reads are present and valid: a missing
 * ZIP is MISSING_FIELD and not INVALID_ZIP, ZIP_STATE_MISMATCH needs a valid
 * ZIP and a valid state, AGE_OUT_OF_RANGE needs a parseable date of birth and
 * a supported insurance type, STATE_NOT_SERVED a valid state and a supported
 * type.  Two rules fail on absence instead: a type-specific detail
 * (vehicles, property, coverage_amount, business) that is absent fails that
 * type's INVALID_* rule, and a missing or unparseable consent_at is
 * NO_CONSENT.
 *
 * "Absent" means NULL (key missing, JSON null, wrong JSON type) or a string
 * that is empty or only ASCII white space.  Present values are checked as
 * they are: nothing is trimmed, so " 94103" is an invalid ZIP.
 *
 * All dates and times are taken in UTC.  now is given by the caller in
 * microseconds since the Unix epoch, so that the consent edges ("older than
 * 90 days", "in the future", "within 24 hours") are exact to the microsecond
 * that consent_at can carry.
 *
 * The module is plain C99 without PostgreSQL headers, allocation-free and
 * stateless: see validate.h.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *	  src/validate.c
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>
#include <string.h>

#include "validate.h"

/* Insurance types; LEADGEN_TYPE_NONE and _UNSUPPORTED are not in the list */
typedef enum LeadgenType
{
	LEADGEN_TYPE_NONE = 0,		/* absent */
	LEADGEN_TYPE_UNSUPPORTED,
	LEADGEN_TYPE_AUTO,
	LEADGEN_TYPE_HOME,
	LEADGEN_TYPE_RENTERS,
	LEADGEN_TYPE_LIFE,
	LEADGEN_TYPE_HEALTH,
	LEADGEN_TYPE_COMMERCIAL
} LeadgenType;

static const struct
{
	const char *name;
	LeadgenType type;
}			insurance_types[] =
{
	{"auto", LEADGEN_TYPE_AUTO},
	{"home", LEADGEN_TYPE_HOME},
	{"renters", LEADGEN_TYPE_RENTERS},
	{"life", LEADGEN_TYPE_LIFE},
	{"health", LEADGEN_TYPE_HEALTH},
	{"commercial", LEADGEN_TYPE_COMMERCIAL}
};

/*
 * LeadgenInsuranceTypeIndex
 *		The position (0 to LEADGEN_N_INSURANCE_TYPES - 1) of a supported
 *		insurance type named as normalized (lower-case), or -1. The one list
 *		of the types in C; the SQL one is leadgen.insurance_types().
 */
int
LeadgenInsuranceTypeIndex(const char *name)
{
	for (int i = 0; i < (int) (sizeof(insurance_types) / sizeof(insurance_types[0])); i++)
		if (strcmp(name, insurance_types[i].name) == 0)
			return i;
	return -1;
}

/* Indexed by LeadgenReason */
static const char *const reason_codes[LEADGEN_N_REASONS] =
{
	"MISSING_FIELD",
	"UNSUPPORTED_INSURANCE_TYPE",
	"INVALID_EMAIL",
	"INVALID_PHONE",
	"INVALID_ZIP",
	"INVALID_STATE",
	"ZIP_STATE_MISMATCH",
	"AGE_OUT_OF_RANGE",
	"INVALID_VEHICLE",
	"INVALID_PROPERTY",
	"INVALID_COVERAGE",
	"INVALID_BUSINESS",
	"NO_CONSENT",
	"STATE_NOT_SERVED"
};

/* The 50 states and DC, the only valid values of "state" */
static const char *const us_states[] =
{
	"AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL",
	"GA", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA",
	"MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE",
	"NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI",
	"SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV",
	"WY"
};

/* Default quality score weights of the domain contract */
static const char *const default_source_names[] = {
	"referral", "web_form", "partner_api"
};
static const int default_source_points[] = {15, 10, 5};

#define lengthof(array) (sizeof(array) / sizeof((array)[0]))

/* Bounds of the domain rules */
#define AUTO_MIN_AGE			16
#define HOME_MIN_AGE			18
#define LIFE_MIN_AGE			18
#define LIFE_MAX_AGE			85
#define HEALTH_AGE_LIMIT		65	/* health: age must be under this */
#define VEHICLE_MIN_YEAR		1981
#define PROPERTY_MIN_YEAR		1800
#define PROPERTY_MIN_VALUE		10000.0
#define PROPERTY_MAX_VALUE		50000000.0
#define COVERAGE_MIN			10000.0
#define COVERAGE_MAX			10000000.0
#define CONSENT_MAX_AGE_DAYS	90
#define CONSENT_FRESH_USECS		(INT64_C(24) * 3600 * LEADGEN_USECS_PER_SEC)
#define CONSENT_RECENT_DAYS		30

/* ASCII character classes, independent of the C locale */
static bool
is_space(char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' ||
		c == '\v' || c == '\f';
}

/*
 * The length in bytes of the white-space character s starts with, 0 when
 * it starts with another: Unicode's White_Space (the ASCII ones, U+0085,
 * U+00A0, U+1680, U+2000 to U+200A, U+2028, U+2029, U+202F, U+205F,
 * U+3000), in UTF-8. A name of a no-break space alone is no name.
 */
static int
space_len(const char *s)
{
	const unsigned char *u = (const unsigned char *) s;

	if (is_space(s[0]))
		return 1;
	if (u[0] == 0xC2 && (u[1] == 0x85 || u[1] == 0xA0))
		return 2;
	if (u[0] == 0xE1 && u[1] == 0x9A && u[2] == 0x80)
		return 3;
	if (u[0] == 0xE2 && u[1] == 0x80 &&
		((u[2] >= 0x80 && u[2] <= 0x8A) || u[2] == 0xA8 || u[2] == 0xA9 || u[2] == 0xAF))
		return 3;
	if (u[0] == 0xE2 && u[1] == 0x81 && u[2] == 0x9F)
		return 3;
	if (u[0] == 0xE3 && u[1] == 0x80 && u[2] == 0x80)
		return 3;
	return 0;
}

static bool
is_digit(char c)
{
	return c >= '0' && c <= '9';
}

static char
to_lower(char c)
{
	return (c >= 'A' && c <= 'Z') ? (char) (c - 'A' + 'a') : c;
}

static char
to_upper(char c)
{
	return (c >= 'a' && c <= 'z') ? (char) (c - 'a' + 'A') : c;
}

/*
 * equal_ignore_case
 *		Does s equal lower (a lower-case ASCII word) ignoring ASCII case?
 */
static bool
equal_ignore_case(const char *s, const char *lower)
{
	while (*s != '\0' && *lower != '\0')
	{
		if (to_lower(*s) != *lower)
			return false;
		s++;
		lower++;
	}
	return *s == '\0' && *lower == '\0';
}

/*
 * LeadgenReasonCode
 *		The text of a reason code ("MISSING_FIELD"), or NULL if out of range.
 */
const char *
LeadgenReasonCode(LeadgenReason reason)
{
	if ((int) reason < 0 || (int) reason >= LEADGEN_N_REASONS)
		return NULL;
	return reason_codes[reason];
}

/*
 * LeadgenIsAbsent
 *		Is this string field absent: NULL, empty or only white space
 *		(Unicode's, space_len)?
 */
bool
LeadgenIsAbsent(const char *s)
{
	int			n;

	if (s == NULL)
		return true;
	while (*s != '\0')
	{
		if ((n = space_len(s)) == 0)
			return false;
		s += n;
	}
	return true;
}

/*
 * LeadgenDefaultWeights
 *		The default quality score weights of the domain contract.
 *
 * The returned struct points into static constant arrays, which the caller
 * must not modify.
 */
LeadgenWeights
LeadgenDefaultWeights(void)
{
	LeadgenWeights w;

	w.base = 40;
	w.contact_both = 20;
	w.contact_one = 10;
	w.consent_24h = 15;
	w.consent_30d = 5;
	w.completeness = 10;
	w.n_sources = (int) lengthof(default_source_names);
	w.source_names = default_source_names;
	w.source_points = default_source_points;
	w.cap = 100;
	return w;
}

/*
 * LeadgenNormalizeEmail
 *		Check that s is a plausible email address and lower-case it.
 *
 * Plausible means: exactly one '@', a non-empty local part, a dotted domain
 * (at least one '.', and no empty label: no leading, trailing or doubled
 * dot), no white space, and at most 254 characters.  Characters are counted
 * as UTF-8 code points; bytes that are not ASCII are kept as they are, ASCII
 * letters are lower-cased.
 *
 * Returns true and fills out (LEADGEN_EMAIL_BUFSIZE bytes) when plausible;
 * otherwise returns false and sets out to "".  s must not be NULL.
 */
bool
LeadgenNormalizeEmail(const char *s, char out[LEADGEN_EMAIL_BUFSIZE])
{
	size_t		len = strlen(s);
	size_t		nchars = 0;
	size_t		at = 0;
	int			n_at = 0;
	size_t		i;
	bool		dotted = false;

	out[0] = '\0';
	if (len >= LEADGEN_EMAIL_BUFSIZE)
		return false;
	for (i = 0; i < len; i++)
	{
		/* count every byte except UTF-8 continuation bytes */
		if (((unsigned char) s[i] & 0xC0) != 0x80)
			nchars++;
		if (space_len(s + i) > 0)
			return false;
		if (s[i] == '@')
		{
			n_at++;
			at = i;
		}
	}
	if (nchars > LEADGEN_EMAIL_MAX_CHARS || n_at != 1 || at == 0)
		return false;

	/* the domain: labels separated by dots, none empty, at least two */
	if (at + 1 >= len || s[at + 1] == '.' || s[len - 1] == '.')
		return false;
	for (i = at + 1; i < len; i++)
	{
		if (s[i] == '.')
		{
			if (s[i + 1] == '.')
				return false;
			dotted = true;
		}
	}
	if (!dotted)
		return false;

	for (i = 0; i < len; i++)
		out[i] = to_lower(s[i]);
	out[len] = '\0';
	return true;
}

/*
 * LeadgenNormalizePhone
 *		Check that s is a US (NANP) phone number and reduce it to 10 digits.
 *
 * As the contract writes it: remove spaces, dashes, dots and parentheses;
 * then one leading '+'; then, if 11 digits remain and the first is '1', drop
 * it.  What is left must be exactly 10 digits whose area code and exchange
 * (first and fourth digit) are 2-9.  Any other character makes it invalid.
 *
 * Returns true and fills out (11 bytes) when valid; otherwise returns false
 * and sets out to "".  s must not be NULL.
 */
bool
LeadgenNormalizePhone(const char *s, char out[LEADGEN_PHONE_BUFSIZE])
{
	char		digits[12];
	int			n = 0;
	bool		first = true;
	const char *d;

	out[0] = '\0';
	for (; *s != '\0'; s++)
	{
		char		c = *s;

		if (c == ' ' || c == '-' || c == '.' || c == '(' || c == ')')
			continue;
		if (c == '+' && first)
		{
			first = false;
			continue;
		}
		first = false;
		if (!is_digit(c) || n == 11)
			return false;
		digits[n++] = c;
	}
	d = digits;
	if (n == 11 && digits[0] == '1')
	{
		d++;
		n--;
	}
	if (n != 10 || d[0] < '2' || d[3] < '2')
		return false;
	memcpy(out, d, 10);
	out[10] = '\0';
	return true;
}

/*
 * LeadgenIsValidVin
 *		Is s a VIN: 17 characters from A-Z and 0-9 without I, O and Q?
 *
 * No check digit is required; lower-case letters are not accepted.
 */
bool
LeadgenIsValidVin(const char *s)
{
	int			i;

	if (s == NULL)
		return false;
	for (i = 0; s[i] != '\0'; i++)
	{
		char		c = s[i];

		if (i >= LEADGEN_VIN_LENGTH)
			return false;
		if (is_digit(c))
			continue;
		if (c < 'A' || c > 'Z' || c == 'I' || c == 'O' || c == 'Q')
			return false;
	}
	return i == LEADGEN_VIN_LENGTH;
}

/*
 * is_valid_zip
 *		Is s five digits, or ZIP+4 (five digits, '-', four digits)?
 */
static bool
is_valid_zip(const char *s)
{
	int			i;

	for (i = 0; i < 5; i++)
	{
		if (!is_digit(s[i]))
			return false;
	}
	if (s[5] == '\0')
		return true;
	if (s[5] != '-')
		return false;
	for (i = 6; i < 10; i++)
	{
		if (!is_digit(s[i]))
			return false;
	}
	return s[10] == '\0';
}

/*
 * normalize_state
 *		Is s one of the 50 states or DC, in any case?  If so, write its
 *		upper-case code to out (3 bytes).
 */
static bool
normalize_state(const char *s, char out[3])
{
	size_t		i;

	out[0] = '\0';
	if (s[0] == '\0' || s[1] == '\0' || s[2] != '\0')
		return false;
	for (i = 0; i < lengthof(us_states); i++)
	{
		if (to_upper(s[0]) == us_states[i][0] &&
			to_upper(s[1]) == us_states[i][1])
		{
			out[0] = us_states[i][0];
			out[1] = us_states[i][1];
			out[2] = '\0';
			return true;
		}
	}
	return false;
}

/*
 * parse_insurance_type
 *		Classify insurance_type, ignoring case; the lower-case name of a
 *		supported type goes to out (LEADGEN_TYPE_BUFSIZE bytes), else "".
 */
static LeadgenType
parse_insurance_type(const char *s, char out[LEADGEN_TYPE_BUFSIZE])
{
	size_t		i;

	out[0] = '\0';
	if (LeadgenIsAbsent(s))
		return LEADGEN_TYPE_NONE;
	for (i = 0; i < lengthof(insurance_types); i++)
	{
		if (equal_ignore_case(s, insurance_types[i].name))
		{
			strcpy(out, insurance_types[i].name);
			return insurance_types[i].type;
		}
	}
	return LEADGEN_TYPE_UNSUPPORTED;
}

/* Calendar arithmetic, proleptic Gregorian */

static bool
is_leap_year(int y)
{
	return (y % 4 == 0 && y % 100 != 0) || y % 400 == 0;
}

static int
days_in_month(int y, int m)
{
	static const int mdays[12] = {31, 28, 31, 30, 31, 30,
	31, 31, 30, 31, 30, 31};

	return (m == 2 && is_leap_year(y)) ? 29 : mdays[m - 1];
}

/*
 * days_from_civil
 *		Days from 1970-01-01 to the given date (negative before it).
 *
 * Counts in 400-year eras starting on March 1, so that the leap day is the
 * last day of each era-year and needs no special case.
 */
static int64_t
days_from_civil(int y, int m, int d)
{
	int64_t		yy = (int64_t) y - (m <= 2 ? 1 : 0);
	int64_t		era = (yy >= 0 ? yy : yy - 399) / 400;
	int64_t		yoe = yy - era * 400;	/* year of era, 0..399 */
	int64_t		mp = (m + 9) % 12;	/* month from March, 0..11 */
	int64_t		doy = (153 * mp + 2) / 5 + d - 1;	/* day of year, 0..365 */
	int64_t		doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;	/* 0..146096 */

	return era * 146097 + doe - 719468;
}

/*
 * civil_from_days
 *		The inverse of days_from_civil.
 */
static void
civil_from_days(int64_t z, int *y, int *m, int *d)
{
	int64_t		era;
	int64_t		doe;
	int64_t		yoe;
	int64_t		doy;
	int64_t		mp;

	z += 719468;
	era = (z >= 0 ? z : z - 146096) / 146097;
	doe = z - era * 146097;
	yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
	doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
	mp = (5 * doy + 2) / 153;
	*d = (int) (doy - (153 * mp + 2) / 5 + 1);
	*m = (int) (mp < 10 ? mp + 3 : mp - 9);
	*y = (int) (yoe + era * 400 + (*m <= 2 ? 1 : 0));
}

/*
 * floor_div
 *		a / b rounded toward minus infinity (b > 0).
 */
static int64_t
floor_div(int64_t a, int64_t b)
{
	int64_t		q = a / b;

	if (a % b != 0 && a < 0)
		q--;
	return q;
}

/*
 * parse_digits
 *		Read exactly n ASCII digits at s into *value.
 */
static bool
parse_digits(const char *s, int n, int *value)
{
	int			v = 0;
	int			i;

	for (i = 0; i < n; i++)
	{
		if (!is_digit(s[i]))
			return false;
		v = v * 10 + (s[i] - '0');
	}
	*value = v;
	return true;
}

/*
 * parse_date_prefix
 *		Read a calendar date "YYYY-MM-DD" at the start of s.
 *
 * The year is 0001-9999 and the day must exist in that month.
 */
static bool
parse_date_prefix(const char *s, int *year, int *month, int *day)
{
	int			y;
	int			m;
	int			d;

	if (!parse_digits(s, 4, &y) || s[4] != '-' ||
		!parse_digits(s + 5, 2, &m) || s[7] != '-' ||
		!parse_digits(s + 8, 2, &d))
		return false;
	if (y < 1 || m < 1 || m > 12 || d < 1 || d > days_in_month(y, m))
		return false;
	*year = y;
	*month = m;
	*day = d;
	return true;
}

/*
 * LeadgenParseDate
 *		Parse a strict ISO 8601 calendar date, "YYYY-MM-DD", nothing else.
 *
 * Returns false for anything else, including dates that do not exist
 * (2025-02-29) and surrounding white space.  The outputs are set only on
 * success.
 */
bool
LeadgenParseDate(const char *s, int *year, int *month, int *day)
{
	if (s == NULL || strlen(s) != 10)
		return false;
	return parse_date_prefix(s, year, month, day);
}

/*
 * LeadgenParseTimestamptz
 *		Parse an ISO 8601 timestamp with a zone into microseconds since the
 *		Unix epoch.
 *
 * Accepted: "YYYY-MM-DD", then 'T' or one space, then "HH:MM:SS" with an
 * optional fraction ('.' and one or more digits; digits beyond the sixth
 * are dropped), then the zone: 'Z', or '+' / '-' followed by HH:MM, HHMM or
 * HH.  Hours are 00-23, minutes 00-59, seconds 00-60 (a leap second counts
 * as the first second of the next minute); zone hours are 00-23.  Anything
 * else, including a missing zone or surrounding white space, does not
 * parse.  *unix_us is set only on success.
 */
bool
LeadgenParseTimestamptz(const char *s, int64_t *unix_us)
{
	int			y;
	int			mo;
	int			d;
	int			h;
	int			mi;
	int			sec;
	int			zh = 0;
	int			zm = 0;
	int			zsign = 0;
	int64_t		frac = 0;
	int64_t		secs;
	const char *p;

	if (s == NULL || strlen(s) < 20)
		return false;
	if (!parse_date_prefix(s, &y, &mo, &d))
		return false;
	if (s[10] != 'T' && s[10] != ' ')
		return false;
	if (!parse_digits(s + 11, 2, &h) || s[13] != ':' ||
		!parse_digits(s + 14, 2, &mi) || s[16] != ':' ||
		!parse_digits(s + 17, 2, &sec))
		return false;
	if (h > 23 || mi > 59 || sec > 60)
		return false;

	p = s + 19;
	if (*p == '.')
	{
		int			ndigits;

		p++;
		if (!is_digit(*p))
			return false;
		for (ndigits = 0; is_digit(*p); p++, ndigits++)
		{
			if (ndigits < 6)
				frac = frac * 10 + (*p - '0');
		}
		for (; ndigits < 6; ndigits++)
			frac *= 10;
	}

	if (*p == 'Z')
		p++;
	else if (*p == '+' || *p == '-')
	{
		zsign = (*p == '-') ? -1 : 1;
		p++;
		if (!parse_digits(p, 2, &zh))
			return false;
		p += 2;
		if (*p == ':')
		{
			p++;
			if (!parse_digits(p, 2, &zm))
				return false;
			p += 2;
		}
		else if (is_digit(*p))
		{
			if (!parse_digits(p, 2, &zm))
				return false;
			p += 2;
		}
		if (zh > 23 || zm > 59)
			return false;
	}
	else
		return false;
	if (*p != '\0')
		return false;

	secs = days_from_civil(y, mo, d) * 86400 +
		(int64_t) h * 3600 + (int64_t) mi * 60 + sec -
		(int64_t) zsign * ((int64_t) zh * 3600 + (int64_t) zm * 60);
	*unix_us = secs * LEADGEN_USECS_PER_SEC + frac;
	return true;
}

/*
 * age_on
 *		Completed years from a birth date to a date.
 *
 * Someone born on Feb 29 has a birthday on Mar 1 in years that are not
 * leap years.  The result is negative when the birth date is later than
 * the date.
 */
static int
age_on(int by, int bm, int bd, int y, int m, int d)
{
	int			age = y - by;

	if (bm == 2 && bd == 29 && !is_leap_year(y))
	{
		bm = 3;
		bd = 1;
	}
	if (m < bm || (m == bm && d < bd))
		age--;
	return age;
}

/*
 * age_in_range
 *		Is an age acceptable for the insurance type?
 *
 * auto at least 16; home and renters at least 18; life 18 to 85; health
 * under 65; commercial has no age rule.  For every other type a date of
 * birth after the processing date (a negative age) is out of range.
 */
static bool
age_in_range(LeadgenType type, int age)
{
	if (age < 0)
		return type == LEADGEN_TYPE_COMMERCIAL;
	switch (type)
	{
		case LEADGEN_TYPE_AUTO:
			return age >= AUTO_MIN_AGE;
		case LEADGEN_TYPE_HOME:
		case LEADGEN_TYPE_RENTERS:
			return age >= HOME_MIN_AGE;
		case LEADGEN_TYPE_LIFE:
			return age >= LIFE_MIN_AGE && age <= LIFE_MAX_AGE;
		case LEADGEN_TYPE_HEALTH:
			return age < HEALTH_AGE_LIMIT;
		default:
			return true;
	}
}

/*
 * is_whole_number
 *		Was a JSON number written as an integer, and does it hold one?
 *
 * The caller says whether the JSON text was an integer; the value check
 * guards against a caller that sets the flag for 2019.5.
 */
static bool
is_whole_number(bool is_int, double v)
{
	/* the bounds keep the cast defined; no rule needs larger numbers */
	if (!is_int || !(v >= -1e15 && v <= 1e15))
		return false;
	return v == (double) (int64_t) v;
}

/*
 * vehicles_valid
 *		auto: 1 to 4 vehicles, each with make, model and an integer year
 *		from 1981 to next calendar year.
 */
static bool
vehicles_valid(const LeadgenLead *lead, int this_year)
{
	int			i;

	if (!lead->vehicles_present || lead->vehicles == NULL ||
		lead->n_vehicles < 1 || lead->n_vehicles > LEADGEN_MAX_VEHICLES)
		return false;
	for (i = 0; i < lead->n_vehicles; i++)
	{
		const LeadgenVehicle *v = &lead->vehicles[i];

		if (LeadgenIsAbsent(v->make) || LeadgenIsAbsent(v->model))
			return false;
		if (!v->has_year || !is_whole_number(v->year_is_int, v->year))
			return false;
		if (v->year < VEHICLE_MIN_YEAR || v->year > this_year + 1)
			return false;
	}
	return true;
}

/*
 * property_valid
 *		home: an integer property.year_built from 1800 to this year, and
 *		property.value, when present, from 10,000 to 50,000,000.
 */
static bool
property_valid(const LeadgenLead *lead, int this_year)
{
	if (!lead->has_property || !lead->has_year_built)
		return false;
	if (!is_whole_number(lead->year_built_is_int, lead->year_built))
		return false;
	if (lead->year_built < PROPERTY_MIN_YEAR || lead->year_built > this_year)
		return false;
	if (lead->property_value_bad)
		return false;
	if (lead->has_property_value &&
		(lead->property_value < PROPERTY_MIN_VALUE ||
		 lead->property_value > PROPERTY_MAX_VALUE))
		return false;
	return true;
}

/*
 * coverage_valid
 *		life: coverage_amount from 10,000 to 10,000,000.
 */
static bool
coverage_valid(const LeadgenLead *lead)
{
	return lead->has_coverage &&
		lead->coverage_amount >= COVERAGE_MIN &&
		lead->coverage_amount <= COVERAGE_MAX;
}

/*
 * business_valid
 *		commercial: a non-empty business.name and an integer
 *		business.employees of at least 1.
 */
static bool
business_valid(const LeadgenLead *lead)
{
	return lead->has_business &&
		!LeadgenIsAbsent(lead->business_name) &&
		lead->has_employees &&
		is_whole_number(lead->employees_is_int, lead->employees) &&
		lead->employees >= 1;
}

/*
 * source_points
 *		The weight of a source: looked up lower-cased, 0 when not listed.
 */
static int
source_points(const LeadgenWeights *w, const char *source)
{
	int			i;

	if (LeadgenIsAbsent(source) || w->source_names == NULL ||
		w->source_points == NULL)
		return 0;
	for (i = 0; i < w->n_sources; i++)
	{
		if (w->source_names[i] != NULL &&
			equal_ignore_case(source, w->source_names[i]))
			return w->source_points[i];
	}
	return 0;
}

/*
 * completeness_met
 *		Are city and every optional detail of the lead's type present?
 *
 * auto: every vehicle has a valid VIN; home: property.value; life:
 * date_of_birth and coverage_amount; other types: city alone.  Called only
 * for an eligible lead, whose required details are therefore valid.
 */
static bool
completeness_met(const LeadgenLead *lead, LeadgenType type, bool dob_valid)
{
	int			i;

	if (LeadgenIsAbsent(lead->city))
		return false;
	switch (type)
	{
		case LEADGEN_TYPE_AUTO:
			for (i = 0; i < lead->n_vehicles; i++)
			{
				if (!LeadgenIsValidVin(lead->vehicles[i].vin))
					return false;
			}
			return true;
		case LEADGEN_TYPE_HOME:
			return lead->has_property_value;
		case LEADGEN_TYPE_LIFE:
			return dob_valid && lead->has_coverage;
		default:
			return true;
	}
}

/*
 * add_reason
 *		Record a failing rule.  Rules run in LeadgenReason order, each once,
 *		so the codes come out in checking order.
 */
static void
add_reason(LeadgenVerdict *out, LeadgenReason reason)
{
	uint32_t	bit = LEADGEN_REASON_BIT(reason);

	if (out->reasons & bit)
		return;
	out->reasons |= bit;
	out->codes[out->n_reasons++] = reason_codes[reason];
}

/*
 * LeadgenValidate
 *		Apply every eligibility rule to a lead and score it if eligible.
 *
 * now_us is the processing time (microseconds since the Unix epoch, UTC);
 * ages, "this year" and "next calendar year" are taken on its UTC date.
 * state_served is asked only when the state is valid and the insurance type
 * supported; a NULL state_served serves everything.  weights may be NULL for
 * the defaults.  out is overwritten completely: all failing reason codes in
 * checking order, the score (0 when rejected), and the normalized fields.
 */
void
LeadgenValidate(const LeadgenLead *lead, int64_t now_us,
				LeadgenStateServedFn state_served, void *arg,
				const LeadgenWeights *weights, LeadgenVerdict *out)
{
	LeadgenWeights defaults;
	LeadgenType type;
	bool		type_supported;
	bool		email_present = !LeadgenIsAbsent(lead->email);
	bool		phone_present = !LeadgenIsAbsent(lead->phone);
	bool		email_valid = false;
	bool		phone_valid = false;
	bool		zip_present = !LeadgenIsAbsent(lead->zip_code);
	bool		state_present = !LeadgenIsAbsent(lead->state);
	bool		zip_valid = false;
	bool		state_valid = false;
	bool		dob_required;
	bool		missing;
	int			this_year;
	int			this_month;
	int			this_day;
	int			score;

	memset(out, 0, sizeof(*out));
	civil_from_days(floor_div(now_us, LEADGEN_USECS_PER_DAY),
					&this_year, &this_month, &this_day);

	/* normalize what can be normalized; the rules below use the results */
	type = parse_insurance_type(lead->insurance_type, out->norm_insurance_type);
	type_supported = type != LEADGEN_TYPE_NONE &&
		type != LEADGEN_TYPE_UNSUPPORTED;
	if (email_present)
		email_valid = LeadgenNormalizeEmail(lead->email, out->norm_email);
	if (phone_present)
		phone_valid = LeadgenNormalizePhone(lead->phone, out->norm_phone);
	if (zip_present)
		zip_valid = is_valid_zip(lead->zip_code);
	if (state_present)
		state_valid = normalize_state(lead->state, out->norm_state);
	if (!LeadgenIsAbsent(lead->date_of_birth))
		out->dob_valid = LeadgenParseDate(lead->date_of_birth, &out->dob_year,
										  &out->dob_month, &out->dob_day);
	if (!LeadgenIsAbsent(lead->consent_at))
		out->consent_at_valid = LeadgenParseTimestamptz(lead->consent_at,
														&out->consent_at_us);

	/* MISSING_FIELD; an unparseable date of birth counts as absent */
	dob_required = type == LEADGEN_TYPE_AUTO || type == LEADGEN_TYPE_LIFE ||
		type == LEADGEN_TYPE_HEALTH;
	missing = LeadgenIsAbsent(lead->source) ||
		type == LEADGEN_TYPE_NONE ||
		LeadgenIsAbsent(lead->first_name) ||
		LeadgenIsAbsent(lead->last_name) ||
		!zip_present || !state_present ||
		(!email_present && !phone_present) ||
		(dob_required && !out->dob_valid);
	if (missing)
		add_reason(out, LEADGEN_MISSING_FIELD);

	if (type == LEADGEN_TYPE_UNSUPPORTED)
		add_reason(out, LEADGEN_UNSUPPORTED_INSURANCE_TYPE);
	if (email_present && !email_valid)
		add_reason(out, LEADGEN_INVALID_EMAIL);
	if (phone_present && !phone_valid)
		add_reason(out, LEADGEN_INVALID_PHONE);
	if (zip_present && !zip_valid)
		add_reason(out, LEADGEN_INVALID_ZIP);
	if (state_present && !state_valid)
		add_reason(out, LEADGEN_INVALID_STATE);

	if (zip_valid && state_valid)
	{
		const char *zip_state = LeadgenZipState(lead->zip_code);

		if (zip_state == NULL || strcmp(zip_state, out->norm_state) != 0)
			add_reason(out, LEADGEN_ZIP_STATE_MISMATCH);
	}

	if (type_supported && out->dob_valid &&
		!age_in_range(type, age_on(out->dob_year, out->dob_month,
								   out->dob_day, this_year, this_month,
								   this_day)))
		add_reason(out, LEADGEN_AGE_OUT_OF_RANGE);

	/* type-specific details; those of another type are ignored */
	if (type == LEADGEN_TYPE_AUTO && !vehicles_valid(lead, this_year))
		add_reason(out, LEADGEN_INVALID_VEHICLE);
	if (type == LEADGEN_TYPE_HOME && !property_valid(lead, this_year))
		add_reason(out, LEADGEN_INVALID_PROPERTY);
	if (type == LEADGEN_TYPE_LIFE && !coverage_valid(lead))
		add_reason(out, LEADGEN_INVALID_COVERAGE);
	if (type == LEADGEN_TYPE_COMMERCIAL && !business_valid(lead))
		add_reason(out, LEADGEN_INVALID_BUSINESS);

	/* consent: exactly 90 days old is still valid */
	if (lead->tcpa_consent != 1 || !out->consent_at_valid ||
		out->consent_at_us > now_us ||
		now_us - out->consent_at_us >
		CONSENT_MAX_AGE_DAYS * LEADGEN_USECS_PER_DAY)
		add_reason(out, LEADGEN_NO_CONSENT);

	if (state_valid && type_supported && state_served != NULL &&
		!state_served(arg, out->norm_state, out->norm_insurance_type))
		add_reason(out, LEADGEN_STATE_NOT_SERVED);

	if (out->n_reasons > 0)
	{
		out->score = 0;
		return;
	}

	/* eligible: score it */
	if (weights == NULL)
	{
		defaults = LeadgenDefaultWeights();
		weights = &defaults;
	}
	score = weights->base;
	score += (email_valid && phone_valid) ? weights->contact_both :
		weights->contact_one;
	if (now_us - out->consent_at_us <= CONSENT_FRESH_USECS)
		score += weights->consent_24h;
	else if (now_us - out->consent_at_us <=
			 CONSENT_RECENT_DAYS * LEADGEN_USECS_PER_DAY)
		score += weights->consent_30d;
	score += source_points(weights, lead->source);
	if (completeness_met(lead, type, out->dob_valid))
		score += weights->completeness;
	if (score > weights->cap)
		score = weights->cap;
	if (score < 0)
		score = 0;
	out->score = score;
}
