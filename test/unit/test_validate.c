/*-------------------------------------------------------------------------
 *
 * test_validate.c
 *	  Unit tests of the eligibility rules, the quality score, the date and
 *	  timestamp parsers and the ZIP prefix table.
 *
 * A plain C program: every check that fails prints one line, and the last
 * line is "N passed, N failed".  The exit status is non-zero when any check
 * failed.  Every test uses a fixed processing time, so the results do not
 * depend on the day the tests run.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *	  test/unit/test_validate.c
 *
 *-------------------------------------------------------------------------
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "check.h"
#include "validate.h"

/* The processing time of most tests: 2026-06-15T12:00:00Z */
#define NOW_SECS	INT64_C(1781524800)
#define NOW			(NOW_SECS * LEADGEN_USECS_PER_SEC)
#define SEC			LEADGEN_USECS_PER_SEC
#define HOUR		(INT64_C(3600) * SEC)
#define DAY			LEADGEN_USECS_PER_DAY


/*
 * Carrier coverage as the tests see it: every state and type is served
 * except unserved_state for unserved_type.  calls counts the questions
 * asked, and the last one asked is kept.
 */
typedef struct ServedCtx
{
	const char *unserved_state;
	const char *unserved_type;
	int			calls;
	char		last_state[8];
	char		last_type[16];
} ServedCtx;

static bool
served(void *arg, const char *state, const char *insurance_type)
{
	ServedCtx  *ctx = (ServedCtx *) arg;

	if (ctx == NULL)
		return true;
	ctx->calls++;
	snprintf(ctx->last_state, sizeof(ctx->last_state), "%s", state);
	snprintf(ctx->last_type, sizeof(ctx->last_type), "%s", insurance_type);
	if (ctx->unserved_state != NULL &&
		strcmp(state, ctx->unserved_state) == 0 &&
		strcmp(insurance_type, ctx->unserved_type) == 0)
		return false;
	return true;
}

/*
 * fmt_ts
 *		Format microseconds since the epoch as an ISO 8601 UTC timestamp,
 *		with the C library's calendar (an independent check of the
 *		parser's arithmetic).
 */
static const char *
fmt_ts(int64_t us, char *buf, size_t size)
{
	int64_t		secs = us / SEC;
	int64_t		frac = us % SEC;
	time_t		t;
	struct tm  *tm;

	if (frac < 0)
	{
		frac += SEC;
		secs--;
	}
	t = (time_t) secs;
	tm = gmtime(&t);
	snprintf(buf, size, "%04d-%02d-%02dT%02d:%02d:%02d.%06dZ",
			 tm->tm_year + 1900, tm->tm_mon + 1, tm->tm_mday,
			 tm->tm_hour, tm->tm_min, tm->tm_sec, (int) frac);
	return buf;
}

/*
 * ts
 *		Parse a timestamp that the test knows to be valid.
 */
static int64_t
ts(const char *s)
{
	int64_t		us = 0;

	check(LeadgenParseTimestamptz(s, &us), "ts(): \"%s\" parses", s);
	return us;
}

/* Buffers for consent_at strings built relative to NOW */
static char consent_buf[64];

static const char *
consent_ago(int64_t ago_us)
{
	return fmt_ts(NOW - ago_us, consent_buf, sizeof(consent_buf));
}

/* Base leads: each is eligible as built, and scores as noted */

static const LeadgenVehicle one_vehicle[1] = {
	{"Toyota", "Camry", NULL, true, true, 2019}
};

static LeadgenLead
base_lead(const char *type)
{
	LeadgenLead l;

	memset(&l, 0, sizeof(l));
	l.source = "web_form";
	l.insurance_type = type;
	l.first_name = "Ana";
	l.last_name = "Lopez";
	l.email = "ana@example.com";
	l.phone = "+1 (415) 555-2671";
	l.date_of_birth = "1990-04-12";
	l.zip_code = "94103";
	l.state = "CA";
	l.city = "San Francisco";
	l.tcpa_consent = 1;
	l.consent_at = "2026-06-15T11:00:00Z";	/* 1 hour before NOW */
	return l;
}

/* auto, one vehicle without VIN: 40 + 20 + 15 + 10 = 85 */
static LeadgenLead
auto_lead(void)
{
	LeadgenLead l = base_lead("auto");

	l.vehicles_present = true;
	l.n_vehicles = 1;
	l.vehicles = one_vehicle;
	return l;
}

/* home with property.value: 40 + 20 + 15 + 10 + 10 = 95 */
static LeadgenLead
home_lead(void)
{
	LeadgenLead l = base_lead("home");

	l.has_property = true;
	l.has_year_built = true;
	l.year_built_is_int = true;
	l.year_built = 1998;
	l.has_property_value = true;
	l.property_value = 650000;
	return l;
}

/* life: 95 (date_of_birth and coverage_amount complete it) */
static LeadgenLead
life_lead(void)
{
	LeadgenLead l = base_lead("life");

	l.has_coverage = true;
	l.coverage_amount = 500000;
	return l;
}

/* commercial: 95 (city alone completes it) */
static LeadgenLead
commercial_lead(void)
{
	LeadgenLead l = base_lead("commercial");

	l.has_business = true;
	l.business_name = "Lopez Bakery LLC";
	l.has_employees = true;
	l.employees_is_int = true;
	l.employees = 12;
	return l;
}

/*
 * run
 *		Validate with default weights; check the verdict's own consistency
 *		(bitmask against codes, score 0 when rejected).
 */
static LeadgenVerdict
run(const char *name, const LeadgenLead *lead, int64_t now, ServedCtx *ctx,
	const LeadgenWeights *w)
{
	LeadgenVerdict v;
	uint32_t	mask = 0;
	int			i;
	int			r;

	LeadgenValidate(lead, now, served, ctx, w, &v);
	for (i = 0; i < v.n_reasons; i++)
	{
		for (r = 0; r < LEADGEN_N_REASONS; r++)
		{
			if (strcmp(v.codes[i], LeadgenReasonCode((LeadgenReason) r)) == 0)
				mask |= LEADGEN_REASON_BIT(r);
		}
	}
	check(mask == v.reasons, "%s: reasons bitmask %#x matches codes %#x",
		  name, (unsigned) v.reasons, (unsigned) mask);
	if (v.n_reasons > 0)
		check(v.score == 0, "%s: rejected lead scores 0 (got %d)",
			  name, v.score);
	return v;
}

/*
 * expect_codes_at
 *		Validate and compare the reason codes, space-separated in order,
 *		with expected ("" for an eligible lead).
 */
static LeadgenVerdict
expect_codes_at(const char *name, const LeadgenLead *lead, int64_t now,
				ServedCtx *ctx, const char *expected)
{
	LeadgenVerdict v = run(name, lead, now, ctx, NULL);
	char		got[512];
	int			i;

	got[0] = '\0';
	for (i = 0; i < v.n_reasons; i++)
	{
		if (i > 0)
			strcat(got, " ");
		strcat(got, v.codes[i]);
	}
	check(strcmp(got, expected) == 0, "%s: expected codes [%s], got [%s]",
		  name, expected, got);
	return v;
}

static LeadgenVerdict
expect_codes(const char *name, const LeadgenLead *lead, const char *expected)
{
	return expect_codes_at(name, lead, NOW, NULL, expected);
}

/*
 * expect_score_w
 *		Validate an eligible lead and compare its score.
 */
static void
expect_score_w(const char *name, const LeadgenLead *lead, int64_t now,
			   const LeadgenWeights *w, int expected)
{
	LeadgenVerdict v = run(name, lead, now, NULL, w);

	check(v.n_reasons == 0, "%s: eligible (first code %s)", name,
		  v.n_reasons > 0 ? v.codes[0] : "-");
	check(v.score == expected, "%s: expected score %d, got %d",
		  name, expected, v.score);
}

static void
expect_score(const char *name, const LeadgenLead *lead, int expected)
{
	expect_score_w(name, lead, NOW, NULL, expected);
}

/* ---- tests ---- */

static void
test_eligible_bases(void)
{
	LeadgenLead l;
	LeadgenVerdict v;

	l = auto_lead();
	v = expect_codes("auto base", &l, "");
	check(v.score == 85, "auto base: score 85, got %d", v.score);
	check(strcmp(v.norm_email, "ana@example.com") == 0,
		  "auto base: norm_email, got \"%s\"", v.norm_email);
	check(strcmp(v.norm_phone, "4155552671") == 0,
		  "auto base: norm_phone, got \"%s\"", v.norm_phone);
	check(strcmp(v.norm_state, "CA") == 0 &&
		  strcmp(v.norm_insurance_type, "auto") == 0,
		  "auto base: normalized state and type");
	check(v.dob_valid && v.dob_year == 1990 && v.dob_month == 4 &&
		  v.dob_day == 12, "auto base: dob parsed");
	check(v.consent_at_valid && v.consent_at_us == NOW - HOUR,
		  "auto base: consent_at parsed");

	l = home_lead();
	expect_score("home base", &l, 95);
	l = base_lead("renters");
	expect_score("renters base", &l, 95);
	l = life_lead();
	expect_score("life base", &l, 95);
	l = base_lead("health");
	expect_score("health base", &l, 95);
	l = commercial_lead();
	expect_score("commercial base", &l, 95);
}

static void
test_missing_field(void)
{
	LeadgenLead l;
	LeadgenVerdict v;

	l = auto_lead();
	l.source = NULL;
	expect_codes("missing source", &l, "MISSING_FIELD");
	l = auto_lead();
	l.insurance_type = NULL;
	expect_codes("missing insurance_type", &l, "MISSING_FIELD");
	l = auto_lead();
	l.insurance_type = "  ";
	expect_codes("blank insurance_type", &l, "MISSING_FIELD");
	l = auto_lead();
	l.first_name = NULL;
	expect_codes("missing first_name", &l, "MISSING_FIELD");
	l = auto_lead();
	l.first_name = " \t\r\n";
	expect_codes("whitespace-only first_name", &l, "MISSING_FIELD");
	l = auto_lead();
	l.last_name = "";
	expect_codes("empty last_name", &l, "MISSING_FIELD");
	l = auto_lead();
	l.zip_code = NULL;
	expect_codes("missing zip is not INVALID_ZIP", &l, "MISSING_FIELD");
	l = auto_lead();
	l.zip_code = "";
	expect_codes("empty zip is not INVALID_ZIP", &l, "MISSING_FIELD");
	l = auto_lead();
	l.state = " ";
	expect_codes("blank state is not INVALID_STATE", &l, "MISSING_FIELD");
	l = auto_lead();
	l.email = NULL;
	l.phone = NULL;
	expect_codes("neither email nor phone", &l, "MISSING_FIELD");
	l = auto_lead();
	l.email = " ";
	l.phone = "";
	expect_codes("blank email and phone", &l, "MISSING_FIELD");

	/* one of email/phone is enough */
	l = auto_lead();
	l.email = NULL;
	expect_codes("phone alone", &l, "");
	l = auto_lead();
	l.phone = "   ";
	v = expect_codes("email alone", &l, "");
	check(v.norm_phone[0] == '\0', "email alone: norm_phone empty");

	/* an invalid email with no phone is present: INVALID_EMAIL */
	l = auto_lead();
	l.email = "not-an-email";
	l.phone = NULL;
	v = expect_codes("invalid email, no phone", &l, "INVALID_EMAIL");
	check(v.norm_email[0] == '\0', "invalid email: norm_email empty");
	l = auto_lead();
	l.email = NULL;
	l.phone = "555-1234";
	expect_codes("invalid phone, no email", &l, "INVALID_PHONE");

	/* date_of_birth: required for auto, life, health */
	l = auto_lead();
	l.date_of_birth = NULL;
	expect_codes("auto without dob", &l, "MISSING_FIELD");
	l = life_lead();
	l.date_of_birth = "";
	expect_codes("life without dob", &l, "MISSING_FIELD");
	l = base_lead("health");
	l.date_of_birth = "04/12/1990";
	v = expect_codes("health with unparseable dob", &l, "MISSING_FIELD");
	check(!v.dob_valid, "unparseable dob: dob_valid false");
	l = auto_lead();
	l.date_of_birth = "1990-02-30";
	expect_codes("auto with impossible dob", &l, "MISSING_FIELD");
	l = home_lead();
	l.date_of_birth = NULL;
	expect_codes("home without dob", &l, "");
	l = base_lead("renters");
	l.date_of_birth = "not a date";
	expect_codes("renters with unparseable dob", &l, "");
	l = commercial_lead();
	l.date_of_birth = NULL;
	expect_codes("commercial without dob", &l, "");

	/* city is optional */
	l = auto_lead();
	l.city = NULL;
	expect_codes("no city", &l, "");

	/* an unsupported type does not require a date of birth */
	l = auto_lead();
	l.insurance_type = "boat";
	l.date_of_birth = NULL;
	expect_codes("unsupported type without dob", &l,
				 "UNSUPPORTED_INSURANCE_TYPE");
}

static void
test_insurance_type(void)
{
	LeadgenLead l;
	LeadgenVerdict v;
	ServedCtx	ctx = {"CA", "auto", 0, "", ""};

	l = auto_lead();
	l.insurance_type = "boat";
	v = expect_codes_at("unsupported type", &l, NOW, &ctx,
						"UNSUPPORTED_INSURANCE_TYPE");
	check(ctx.calls == 0, "unsupported type: carriers not asked");
	check(v.norm_insurance_type[0] == '\0',
		  "unsupported type: norm_insurance_type empty");

	/* not also STATE_NOT_SERVED, whatever the carriers say */
	ctx.unserved_type = "boat";
	expect_codes_at("unsupported type, unserved", &l, NOW, &ctx,
					"UNSUPPORTED_INSURANCE_TYPE");

	/* no type rule runs for an unsupported type */
	l.vehicles_present = false;
	l.date_of_birth = "2020-01-01";
	expect_codes("unsupported type, no vehicle or age rule", &l,
				 "UNSUPPORTED_INSURANCE_TYPE");

	l = auto_lead();
	l.insurance_type = "AuTo";
	v = expect_codes("type is case-insensitive", &l, "");
	check(strcmp(v.norm_insurance_type, "auto") == 0,
		  "type lower-cased, got \"%s\"", v.norm_insurance_type);
	l = commercial_lead();
	l.insurance_type = "COMMERCIAL";
	expect_codes("COMMERCIAL", &l, "");
	l = auto_lead();
	l.insurance_type = " auto";
	expect_codes("type with a leading space", &l,
				 "UNSUPPORTED_INSURANCE_TYPE");
	l = auto_lead();
	l.insurance_type = "autos";
	expect_codes("autos", &l, "UNSUPPORTED_INSURANCE_TYPE");
	l = auto_lead();
	l.insurance_type = "aut";
	expect_codes("aut", &l, "UNSUPPORTED_INSURANCE_TYPE");
}

static void
test_email(void)
{
	static const char *const valid[] = {
		"ana@example.com", "a@b.co", "first.last+tag@mail.example.org",
		"ANA@EXAMPLE.COM"
	};
	static const char *const invalid[] = {
		"ana", "ana@", "@example.com", "ana@example", "ana@@example.com",
		"a@b@example.com", "ana @example.com", "ana@exa mple.com",
		"ana@example.com ", " ana@example.com", "ana\t@example.com",
		"ana@example..com", "ana@.example.com", "ana@example.com.",
		"ana@.",
		/* Unicode white space: no-break, ideographic, line separator */
		"ana\xc2\xa0x@example.com", "ana@example\xe3\x80\x80.com", "ana\xe2\x80\xa8@example.com"
	};
	char		buf[LEADGEN_EMAIL_BUFSIZE];
	char		longmail[600];
	size_t		i;
	LeadgenLead l;
	LeadgenVerdict v;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		check(LeadgenNormalizeEmail(valid[i], buf), "email \"%s\" valid",
			  valid[i]);
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
	{
		check(!LeadgenNormalizeEmail(invalid[i], buf),
			  "email \"%s\" invalid", invalid[i]);
		check(buf[0] == '\0', "email \"%s\": output empty", invalid[i]);
	}

	/* 254 characters is the limit */
	memset(longmail, 'a', sizeof(longmail));
	memcpy(longmail + 254 - 12, "@example.com", 12);
	longmail[254] = '\0';
	check(LeadgenNormalizeEmail(longmail, buf), "254-character email valid");
	memset(longmail, 'a', sizeof(longmail));
	memcpy(longmail + 255 - 12, "@example.com", 12);
	longmail[255] = '\0';
	check(!LeadgenNormalizeEmail(longmail, buf),
		  "255-character email invalid");
	/* characters, not bytes: 250 two-byte characters are 250 characters */
	for (i = 0; i < 240; i++)
	{
		longmail[2 * i] = (char) 0xC3;
		longmail[2 * i + 1] = (char) 0xA9;	/* U+00E9 */
	}
	memcpy(longmail + 480, "@example.com", 13);
	check(LeadgenNormalizeEmail(longmail, buf),
		  "252-character non-ASCII email valid");

	l = auto_lead();
	l.email = "Ana.Lopez@Example.COM";
	v = expect_codes("mixed-case email", &l, "");
	check(strcmp(v.norm_email, "ana.lopez@example.com") == 0,
		  "email lower-cased, got \"%s\"", v.norm_email);
	l = auto_lead();
	l.email = "ana@example";
	expect_codes("undotted domain", &l, "INVALID_EMAIL");
}

static void
test_phone(void)
{
	static const char *const valid[] = {
		"+1 (415) 555-2671", "14155552671", "415.555.2671", "4155552671",
		"(415)555-2671", "1 415 555 2671", "+14155552671", "+4155552671",
		"415-555-2671", "1-415-555-2671", "+1.415.555.2671",
		"2125550100", "9999999999", "+(1) 415 555 2671"
	};
	static const char *const invalid[] = {
		"0155552671",			/* area code starts with 0 */
		"1155552671",			/* area code starts with 1 (10 digits) */
		"+1 (115) 555-2671",	/* area code starts with 1 after the 1 */
		"+1 (015) 555-2671",	/* area code starts with 0 after the 1 */
		"4150552671",			/* exchange starts with 0 */
		"4151552671",			/* exchange starts with 1 */
		"415555267",			/* 9 digits */
		"414155552671",			/* 12 digits */
		"+1 415 555 26711",		/* 12 digits after the + */
		"24155552671",			/* 11 digits, first not 1 */
		"++14155552671",		/* a second + */
		"1+4155552671",			/* + not leading */
		"415/555/2671",			/* slash is not removed */
		"415_555_2671",
		"415-555-2671 x12",
		"415 555 2671\t",		/* only spaces are removed */
		"(415) 555-CALL",
		"+",
		"()-. "
	};
	char		buf[LEADGEN_PHONE_BUFSIZE];
	size_t		i;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		check(LeadgenNormalizePhone(valid[i], buf) &&
			  strlen(buf) == 10, "phone \"%s\" valid", valid[i]);
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
	{
		check(!LeadgenNormalizePhone(invalid[i], buf),
			  "phone \"%s\" invalid", invalid[i]);
		check(buf[0] == '\0', "phone \"%s\": output empty", invalid[i]);
	}
	check(LeadgenNormalizePhone("+1 (415) 555-2671", buf) &&
		  strcmp(buf, "4155552671") == 0, "phone normalized to 4155552671");
	check(LeadgenNormalizePhone("415.555.2671", buf) &&
		  strcmp(buf, "4155552671") == 0, "dotted phone normalized");
	check(LeadgenNormalizePhone("12125550100", buf) &&
		  strcmp(buf, "2125550100") == 0, "leading 1 dropped");
}

static void
test_zip_and_state(void)
{
	LeadgenLead l;
	LeadgenVerdict v;
	static const char *const bad_zips[] = {
		"9410", "941033", "94103-123", "94103-12345", "941031234",
		"94103 ", " 94103", "9410a", "94103-", "94103 1234", "94103_1234",
		"ABCDE"
	};
	static const char *const bad_states[] = {
		"XX", "PR", "GU", "VI", "AA", "C", "Cal", "California", " CA", "C1"
	};
	size_t		i;

	l = auto_lead();
	l.zip_code = "94103-1234";
	expect_codes("ZIP+4", &l, "");

	for (i = 0; i < sizeof(bad_zips) / sizeof(bad_zips[0]); i++)
	{
		char		name[64];

		l = auto_lead();
		l.zip_code = bad_zips[i];
		snprintf(name, sizeof(name), "zip \"%s\"", bad_zips[i]);
		/* an invalid ZIP is not also ZIP_STATE_MISMATCH */
		expect_codes(name, &l, "INVALID_ZIP");
	}
	for (i = 0; i < sizeof(bad_states) / sizeof(bad_states[0]); i++)
	{
		char		name[64];

		l = auto_lead();
		l.state = bad_states[i];
		snprintf(name, sizeof(name), "state \"%s\"", bad_states[i]);
		expect_codes(name, &l, "INVALID_STATE");
	}

	l = auto_lead();
	l.state = "ca";
	v = expect_codes("state is case-insensitive", &l, "");
	check(strcmp(v.norm_state, "CA") == 0, "state upper-cased");
	l = auto_lead();
	l.state = "cA";
	expect_codes("state cA", &l, "");
	l = auto_lead();
	l.zip_code = "20001";
	l.state = "dc";
	expect_codes("DC is a state", &l, "");

	/* mismatch */
	l = auto_lead();
	l.zip_code = "10001";
	expect_codes("NY zip with CA", &l, "ZIP_STATE_MISMATCH");
	l = auto_lead();
	l.zip_code = "10001-0001";
	l.state = "ny";
	expect_codes("NY ZIP+4 with ny", &l, "");
	l = auto_lead();
	l.zip_code = "96201";
	expect_codes("military prefix with CA", &l, "ZIP_STATE_MISMATCH");
	l = auto_lead();
	l.zip_code = "00901";
	l.state = "NY";
	expect_codes("Puerto Rico prefix with NY", &l, "ZIP_STATE_MISMATCH");
	l = auto_lead();
	l.zip_code = "00000";
	expect_codes("unallocated prefix", &l, "ZIP_STATE_MISMATCH");
	l = auto_lead();
	l.zip_code = "96150";
	expect_codes("961 is California", &l, "");
	l = auto_lead();
	l.zip_code = "89501";
	l.state = "NV";
	expect_codes("Reno NV", &l, "");

	/* mismatch needs both valid */
	l = auto_lead();
	l.zip_code = "1000";
	l.state = "XX";
	expect_codes("bad zip, bad state", &l, "INVALID_ZIP INVALID_STATE");
	l = auto_lead();
	l.zip_code = "10001";
	l.state = "XX";
	expect_codes("NY zip, bad state", &l, "INVALID_STATE");
}

static void
test_zip_prefixes(void)
{
	static const struct
	{
		const char *zip;
		const char *state;
	}			cases[] =
	{
		{"100", "NY"}, {"149", "NY"}, {"900", "CA"}, {"961", "CA"},
		{"962", NULL}, {"966", NULL}, {"200", "DC"}, {"201", "VA"},
		{"202", "DC"}, {"205", "DC"}, {"995", "AK"}, {"999", "AK"},
		{"005", "NY"}, {"004", NULL}, {"006", NULL}, {"009", NULL},
		{"010", "MA"}, {"027", "MA"}, {"028", "RI"}, {"029", "RI"},
		{"030", "NH"}, {"038", "NH"}, {"039", "ME"}, {"049", "ME"},
		{"050", "VT"}, {"054", "VT"}, {"055", "MA"}, {"056", "VT"},
		{"059", "VT"}, {"060", "CT"}, {"069", "CT"}, {"070", "NJ"},
		{"089", "NJ"}, {"090", NULL}, {"098", NULL}, {"099", NULL},
		{"150", "PA"}, {"196", "PA"}, {"197", "DE"}, {"199", "DE"},
		{"206", "MD"}, {"212", "MD"}, {"213", NULL}, {"214", "MD"},
		{"219", "MD"}, {"220", "VA"}, {"246", "VA"}, {"247", "WV"},
		{"268", "WV"}, {"269", NULL}, {"270", "NC"}, {"289", "NC"},
		{"290", "SC"}, {"299", "SC"}, {"300", "GA"}, {"319", "GA"},
		{"320", "FL"}, {"339", "FL"}, {"340", NULL}, {"341", "FL"},
		{"343", NULL}, {"349", "FL"}, {"350", "AL"}, {"353", NULL},
		{"369", "AL"}, {"370", "TN"}, {"385", "TN"}, {"386", "MS"},
		{"397", "MS"}, {"398", "GA"}, {"399", "GA"}, {"400", "KY"},
		{"419", NULL}, {"427", "KY"}, {"428", NULL}, {"430", "OH"},
		{"459", "OH"}, {"460", "IN"}, {"479", "IN"}, {"480", "MI"},
		{"499", "MI"}, {"500", "IA"}, {"516", "IA"}, {"517", NULL},
		{"528", "IA"}, {"529", NULL}, {"530", "WI"}, {"549", "WI"},
		{"550", "MN"}, {"567", "MN"}, {"568", NULL}, {"569", "DC"},
		{"570", "SD"}, {"577", "SD"}, {"578", NULL}, {"580", "ND"},
		{"588", "ND"}, {"590", "MT"}, {"599", "MT"}, {"600", "IL"},
		{"620", "IL"}, {"621", NULL}, {"629", "IL"}, {"630", "MO"},
		{"658", "MO"}, {"660", "KS"}, {"679", "KS"}, {"680", "NE"},
		{"693", "NE"}, {"694", NULL}, {"700", "LA"}, {"714", "LA"},
		{"715", NULL}, {"716", "AR"}, {"729", "AR"}, {"730", "OK"},
		{"732", NULL}, {"733", "TX"}, {"734", "OK"}, {"749", "OK"},
		{"750", "TX"}, {"799", "TX"}, {"800", "CO"}, {"816", "CO"},
		{"817", NULL}, {"820", "WY"}, {"831", "WY"}, {"832", "ID"},
		{"834", "ID"}, {"838", "ID"}, {"840", "UT"}, {"847", "UT"},
		{"850", "AZ"}, {"851", "AZ"}, {"865", "AZ"}, {"870", "NM"},
		{"884", "NM"}, {"885", "TX"}, {"886", NULL}, {"889", "NV"},
		{"898", "NV"}, {"899", NULL}, {"909", NULL}, {"929", NULL},
		{"967", "HI"}, {"968", "HI"}, {"969", NULL}, {"970", "OR"},
		{"979", "OR"}, {"980", "WA"}, {"987", NULL}, {"994", "WA"},
		{"94103", "CA"}, {"10001-1234", "NY"}, {"12", NULL}, {"", NULL},
		{"A00", NULL}, {"1A0", NULL}
	};
	static const char *const states[] = {
		"AK", "AL", "AR", "AZ", "CA", "CO", "CT", "DC", "DE", "FL",
		"GA", "HI", "IA", "ID", "IL", "IN", "KS", "KY", "LA", "MA",
		"MD", "ME", "MI", "MN", "MO", "MS", "MT", "NC", "ND", "NE",
		"NH", "NJ", "NM", "NV", "NY", "OH", "OK", "OR", "PA", "RI",
		"SC", "SD", "TN", "TX", "UT", "VA", "VT", "WA", "WI", "WV",
		"WY"
	};
	int			seen[sizeof(states) / sizeof(states[0])];
	size_t		i;
	size_t		k;
	int			p;
	int			allocated = 0;

	for (i = 0; i < sizeof(cases) / sizeof(cases[0]); i++)
	{
		const char *got = LeadgenZipState(cases[i].zip);

		check((got == NULL && cases[i].state == NULL) ||
			  (got != NULL && cases[i].state != NULL &&
			   strcmp(got, cases[i].state) == 0),
			  "zip prefix %s: expected %s, got %s", cases[i].zip,
			  cases[i].state ? cases[i].state : "NULL",
			  got ? got : "NULL");
	}
	check(LeadgenZipState(NULL) == NULL, "zip prefix of NULL");

	/* every prefix maps to one of the 51 codes or to nothing */
	memset(seen, 0, sizeof(seen));
	for (p = 0; p < 1000; p++)
	{
		char		zip[4];
		const char *got;
		int			found = 0;

		snprintf(zip, sizeof(zip), "%03d", p);
		got = LeadgenZipState(zip);
		if (got == NULL)
			continue;
		allocated++;
		for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
		{
			if (strcmp(got, states[k]) == 0)
			{
				seen[k]++;
				found = 1;
			}
		}
		check(found, "zip prefix %s maps to a state code (%s)", zip, got);
	}
	for (k = 0; k < sizeof(states) / sizeof(states[0]); k++)
		check(seen[k] > 0, "state %s has at least one zip prefix",
			  states[k]);
	check(allocated == 912, "allocated zip prefixes: expected 912, got %d",
		  allocated);
}

static void
test_age(void)
{
	LeadgenLead l;

	/* NOW is 2026-06-15 */
	l = auto_lead();
	l.date_of_birth = "2010-06-15";
	expect_codes("auto 16 today", &l, "");
	l.date_of_birth = "2010-06-16";
	expect_codes("auto 15, 16 tomorrow", &l, "AGE_OUT_OF_RANGE");
	l.date_of_birth = "1920-01-01";
	expect_codes("auto 106", &l, "");

	l = home_lead();
	l.date_of_birth = "2008-06-15";
	expect_codes("home 18 today", &l, "");
	l.date_of_birth = "2008-06-16";
	expect_codes("home 17", &l, "AGE_OUT_OF_RANGE");
	l = base_lead("renters");
	l.date_of_birth = "2008-06-15";
	expect_codes("renters 18 today", &l, "");
	l.date_of_birth = "2008-06-16";
	expect_codes("renters 17", &l, "AGE_OUT_OF_RANGE");

	l = life_lead();
	l.date_of_birth = "2008-06-15";
	expect_codes("life 18 today", &l, "");
	l.date_of_birth = "2008-06-16";
	expect_codes("life 17", &l, "AGE_OUT_OF_RANGE");
	l.date_of_birth = "1940-06-16";
	expect_codes("life 85, 86 tomorrow", &l, "");
	l.date_of_birth = "1940-06-15";
	expect_codes("life 86 today", &l, "AGE_OUT_OF_RANGE");

	l = base_lead("health");
	l.date_of_birth = "1961-06-16";
	expect_codes("health 64, 65 tomorrow", &l, "");
	l.date_of_birth = "1961-06-15";
	expect_codes("health 65 today", &l, "AGE_OUT_OF_RANGE");
	l.date_of_birth = "2026-06-15";
	expect_codes("health born today", &l, "");
	l.date_of_birth = "2026-06-16";
	expect_codes("health born tomorrow", &l, "AGE_OUT_OF_RANGE");

	l = commercial_lead();
	l.date_of_birth = "2020-01-01";
	expect_codes("commercial has no age rule", &l, "");
	l.date_of_birth = "2030-01-01";
	expect_codes("commercial, future dob", &l, "");

	/* the processing date is the UTC date of now */
	l = auto_lead();
	l.date_of_birth = "2010-06-15";
	l.consent_at = "2026-06-14T00:00:00Z";
	expect_codes_at("auto 16 at 00:00:00 UTC", &l,
					ts("2026-06-15T00:00:00Z"), NULL, "");
	expect_codes_at("auto 15 at 23:59:59 UTC the day before", &l,
					ts("2026-06-14T23:59:59.999999Z"), NULL,
					"AGE_OUT_OF_RANGE");

	/* Feb 29 birthdays count on Mar 1 in other years */
	l = home_lead();
	l.date_of_birth = "2008-02-29";
	l.consent_at = "2026-02-27T00:00:00Z";
	expect_codes_at("home Feb 29, on Feb 28 of a common year", &l,
					ts("2026-02-28T23:59:59Z"), NULL, "AGE_OUT_OF_RANGE");
	expect_codes_at("home Feb 29, on Mar 1 of a common year", &l,
					ts("2026-03-01T00:00:00Z"), NULL, "");
	l = auto_lead();
	l.date_of_birth = "2008-02-29";
	l.consent_at = "2024-02-27T00:00:00Z";
	expect_codes_at("auto Feb 29, on Feb 28 of a leap year", &l,
					ts("2024-02-28T12:00:00Z"), NULL, "AGE_OUT_OF_RANGE");
	expect_codes_at("auto Feb 29, on Feb 29 of a leap year", &l,
					ts("2024-02-29T00:00:00Z"), NULL, "");
	l = base_lead("health");
	l.date_of_birth = "1960-02-29";
	l.consent_at = "2025-02-27T00:00:00Z";
	expect_codes_at("health Feb 29, 64 on Feb 28", &l,
					ts("2025-02-28T12:00:00Z"), NULL, "");
	expect_codes_at("health Feb 29, 65 on Mar 1", &l,
					ts("2025-03-01T00:00:00Z"), NULL, "AGE_OUT_OF_RANGE");
	l = life_lead();
	l.date_of_birth = "1940-02-29";
	l.consent_at = "2026-02-27T00:00:00Z";
	expect_codes_at("life Feb 29, 85 on Feb 28", &l,
					ts("2026-02-28T12:00:00Z"), NULL, "");
	expect_codes_at("life Feb 29, 86 on Mar 1", &l,
					ts("2026-03-01T00:00:00Z"), NULL, "AGE_OUT_OF_RANGE");

	/* no age rule without a parseable date of birth */
	l = home_lead();
	l.date_of_birth = "2020-13-01";
	expect_codes("home, unparseable young dob", &l, "");
}

static void
test_vehicles(void)
{
	LeadgenVehicle v[6];
	LeadgenLead l;
	int			i;

	for (i = 0; i < 6; i++)
		v[i] = one_vehicle[0];

	l = auto_lead();
	l.vehicles = v;
	l.n_vehicles = 0;
	expect_codes("0 vehicles", &l, "INVALID_VEHICLE");
	l.n_vehicles = 1;
	expect_codes("1 vehicle", &l, "");
	l.n_vehicles = 4;
	expect_codes("4 vehicles", &l, "");
	l.n_vehicles = 5;
	expect_codes("5 vehicles", &l, "INVALID_VEHICLE");
	l.n_vehicles = 1;
	l.vehicles_present = false;
	expect_codes("no vehicles key", &l, "INVALID_VEHICLE");

	l = auto_lead();
	l.vehicles = v;
	l.n_vehicles = 2;
	v[1].year = 1980;
	expect_codes("year 1980", &l, "INVALID_VEHICLE");
	v[1].year = 1981;
	expect_codes("year 1981", &l, "");
	v[1].year = 2027;
	expect_codes("year next year", &l, "");
	v[1].year = 2028;
	expect_codes("year next year + 1", &l, "INVALID_VEHICLE");
	v[1].year = 2019.5;
	v[1].year_is_int = false;
	expect_codes("year 2019.5", &l, "INVALID_VEHICLE");
	v[1].year_is_int = true;
	expect_codes("year 2019.5 flagged integer", &l, "INVALID_VEHICLE");
	v[1].year = 2019;
	v[1].year_is_int = false;
	expect_codes("year 2019 not a JSON integer", &l, "INVALID_VEHICLE");
	v[1].year_is_int = true;
	v[1].has_year = false;
	expect_codes("no year", &l, "INVALID_VEHICLE");
	v[1].has_year = true;
	v[1].year = 1e300;
	expect_codes("year 1e300", &l, "INVALID_VEHICLE");
	v[1] = one_vehicle[0];
	v[1].make = NULL;
	expect_codes("no make", &l, "INVALID_VEHICLE");
	v[1].make = "Honda";
	v[1].model = "  ";
	expect_codes("blank model", &l, "INVALID_VEHICLE");
	v[1].model = "Civic";
	expect_codes("two good vehicles", &l, "");

	/* next calendar year follows the processing date */
	v[1].year = 2027;
	l.consent_at = "2026-12-31T00:00:00Z";
	expect_codes_at("year 2027 on 2026-12-31", &l,
					ts("2026-12-31T23:59:59Z"), NULL, "");
	v[1].year = 2028;
	expect_codes_at("year 2028 on 2026-12-31", &l,
					ts("2026-12-31T23:59:59Z"), NULL, "INVALID_VEHICLE");
	l.consent_at = "2027-01-01T00:00:00Z";
	expect_codes_at("year 2028 on 2027-01-01", &l,
					ts("2027-01-01T00:00:00Z"), NULL, "");

	/* details of another type are ignored */
	l = home_lead();
	l.vehicles_present = true;
	l.n_vehicles = 6;
	l.vehicles = v;
	expect_codes("vehicles on a home lead", &l, "");
	l = base_lead("renters");
	expect_codes("renters has no type rule", &l, "");
	l = base_lead("health");
	expect_codes("health has no type rule", &l, "");
}

static void
test_vin(void)
{
	static const char *const valid[] = {
		"1HGCM82633A004352", "JH4KA8260MC000000", "12345678901234567",
		"ABCDEFGHJKLMNPRST"
	};
	static const char *const invalid[] = {
		"1hgcm82633a004352",	/* lower case */
		"1HGCM82633A00435",		/* 16 */
		"1HGCM82633A0043521",	/* 18 */
		"1HGCM82633I004352",	/* I */
		"1HGCM82633O004352",	/* O */
		"1HGCM82633Q004352",	/* Q */
		"1HGCM82633-004352",
		" 1HGCM82633A00435",
		""
	};
	size_t		i;
	LeadgenVehicle v[2];
	LeadgenLead l;

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
		check(LeadgenIsValidVin(valid[i]), "VIN \"%s\" valid", valid[i]);
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		check(!LeadgenIsValidVin(invalid[i]), "VIN \"%s\" invalid",
			  invalid[i]);
	check(!LeadgenIsValidVin(NULL), "NULL VIN invalid");

	/* a VIN only feeds completeness: never a rejection */
	v[0] = one_vehicle[0];
	v[1] = one_vehicle[0];
	l = auto_lead();
	l.vehicles = v;
	l.n_vehicles = 2;
	v[0].vin = "1HGCM82633A004352";
	v[1].vin = "1HGCM82633A004352";
	expect_score("auto, every vehicle with a VIN", &l, 95);
	v[1].vin = NULL;
	expect_score("auto, one vehicle without VIN", &l, 85);
	v[1].vin = "BAD";
	expect_score("auto, one vehicle with a bad VIN", &l, 85);
	v[1].vin = "1hgcm82633a004352";
	expect_score("auto, one lower-case VIN", &l, 85);
	v[1].vin = "1HGCM82633A004352";
	l.city = "  ";
	expect_score("auto, VINs but no city", &l, 85);
}

static void
test_property(void)
{
	LeadgenLead l;

	l = home_lead();
	l.year_built = 1800;
	expect_codes("year_built 1800", &l, "");
	l.year_built = 1799;
	expect_codes("year_built 1799", &l, "INVALID_PROPERTY");
	l.year_built = 2026;
	expect_codes("year_built this year", &l, "");
	l.year_built = 2027;
	expect_codes("year_built next year", &l, "INVALID_PROPERTY");
	l.year_built = 1998.5;
	l.year_built_is_int = false;
	expect_codes("year_built 1998.5", &l, "INVALID_PROPERTY");
	l.year_built = 1998;
	l.year_built_is_int = true;
	l.has_year_built = false;
	expect_codes("no year_built", &l, "INVALID_PROPERTY");
	l.has_year_built = true;
	l.has_property = false;
	expect_codes("no property", &l, "INVALID_PROPERTY");

	l = home_lead();
	l.property_value = 10000;
	expect_codes("value 10,000", &l, "");
	l.property_value = 9999.99;
	expect_codes("value 9,999.99", &l, "INVALID_PROPERTY");
	l.property_value = 50000000;
	expect_codes("value 50,000,000", &l, "");
	l.property_value = 50000000.01;
	expect_codes("value 50,000,000.01", &l, "INVALID_PROPERTY");
	l.property_value = 0;
	expect_codes("value 0", &l, "INVALID_PROPERTY");
	l.has_property_value = false;
	expect_codes("value absent", &l, "");
	expect_score("home without value: no completeness", &l, 85);
	l.property_value_bad = true;
	expect_codes("value present but no finite number (\"5\", true, 1e400)", &l, "INVALID_PROPERTY");
}

static void
test_coverage(void)
{
	LeadgenLead l;

	l = life_lead();
	l.coverage_amount = 10000;
	expect_codes("coverage 10,000", &l, "");
	l.coverage_amount = 9999;
	expect_codes("coverage 9,999", &l, "INVALID_COVERAGE");
	l.coverage_amount = 10000000;
	expect_codes("coverage 10,000,000", &l, "");
	l.coverage_amount = 10000001;
	expect_codes("coverage 10,000,001", &l, "INVALID_COVERAGE");
	l.coverage_amount = 250000.5;
	expect_codes("coverage with cents", &l, "");
	l.has_coverage = false;
	expect_codes("no coverage", &l, "INVALID_COVERAGE");
}

static void
test_business(void)
{
	LeadgenLead l;

	l = commercial_lead();
	l.employees = 1;
	expect_codes("employees 1", &l, "");
	l.employees = 0;
	expect_codes("employees 0", &l, "INVALID_BUSINESS");
	l.employees = -3;
	expect_codes("employees -3", &l, "INVALID_BUSINESS");
	l.employees = 1.5;
	l.employees_is_int = false;
	expect_codes("employees 1.5", &l, "INVALID_BUSINESS");
	l.employees = 12;
	l.employees_is_int = true;
	l.has_employees = false;
	expect_codes("no employees", &l, "INVALID_BUSINESS");
	l.has_employees = true;
	l.business_name = NULL;
	expect_codes("no business name", &l, "INVALID_BUSINESS");
	l.business_name = " ";
	expect_codes("blank business name", &l, "INVALID_BUSINESS");
	l.business_name = "Lopez Bakery LLC";
	l.has_business = false;
	expect_codes("no business", &l, "INVALID_BUSINESS");
}

static void
test_consent(void)
{
	LeadgenLead l;
	LeadgenVerdict v;

	l = auto_lead();
	l.tcpa_consent = 0;
	expect_codes("tcpa_consent false", &l, "NO_CONSENT");
	l.tcpa_consent = 2;
	expect_codes("tcpa_consent not true", &l, "NO_CONSENT");
	l = auto_lead();
	l.consent_at = NULL;
	expect_codes("consent_at missing", &l, "NO_CONSENT");
	l.consent_at = "   ";
	expect_codes("consent_at blank", &l, "NO_CONSENT");
	l.consent_at = "2026-06-15";
	expect_codes("consent_at without time", &l, "NO_CONSENT");
	l.consent_at = "2026-06-15T11:00:00";
	v = expect_codes("consent_at without zone", &l, "NO_CONSENT");
	check(!v.consent_at_valid, "consent_at without zone: not valid");
	l.consent_at = "yesterday";
	expect_codes("consent_at text", &l, "NO_CONSENT");

	/* not in the future */
	l.consent_at = consent_ago(0);
	expect_codes("consent_at now", &l, "");
	l.consent_at = consent_ago(-1);
	expect_codes("consent_at 1 us ahead", &l, "NO_CONSENT");
	l.consent_at = consent_ago(-SEC);
	expect_codes("consent_at 1 s ahead", &l, "NO_CONSENT");
	l.consent_at = "2026-06-15T13:00:00+02:00";	/* 11:00Z */
	expect_codes("consent_at with an offset, past", &l, "");
	l.consent_at = "2026-06-15T08:00:00-05:00";	/* 13:00Z */
	expect_codes("consent_at with an offset, future", &l, "NO_CONSENT");

	/* not older than 90 days: exactly 90 days is still valid */
	l.consent_at = consent_ago(90 * DAY);
	expect_codes("consent exactly 90 days old", &l, "");
	l.consent_at = consent_ago(90 * DAY + SEC);
	expect_codes("consent 90 days + 1 s old", &l, "NO_CONSENT");
	l.consent_at = consent_ago(90 * DAY + 1);
	expect_codes("consent 90 days + 1 us old", &l, "NO_CONSENT");
	l.consent_at = consent_ago(89 * DAY);
	expect_codes("consent 89 days old", &l, "");

	/* tcpa_consent and consent_at are both needed */
	l = auto_lead();
	l.tcpa_consent = 0;
	l.consent_at = NULL;
	expect_codes("no consent at all", &l, "NO_CONSENT");
}

static void
test_state_not_served(void)
{
	LeadgenLead l;
	ServedCtx	ctx = {"CA", "auto", 0, "", ""};

	l = auto_lead();
	expect_codes_at("CA auto not served", &l, NOW, &ctx, "STATE_NOT_SERVED");
	check(ctx.calls == 1, "carriers asked once, got %d", ctx.calls);
	l.state = "ca";
	l.insurance_type = "AUTO";
	ctx.calls = 0;
	expect_codes_at("ca AUTO not served", &l, NOW, &ctx, "STATE_NOT_SERVED");
	check(strcmp(ctx.last_state, "CA") == 0 &&
		  strcmp(ctx.last_type, "auto") == 0,
		  "carriers asked with CA/auto, got %s/%s", ctx.last_state,
		  ctx.last_type);

	l = home_lead();
	expect_codes_at("CA home served", &l, NOW, &ctx, "");

	/* not asked without a valid state or a supported type */
	l = auto_lead();
	l.state = "XX";
	ctx.calls = 0;
	expect_codes_at("invalid state: not asked", &l, NOW, &ctx,
					"INVALID_STATE");
	check(ctx.calls == 0, "invalid state: carriers not asked");
	l = auto_lead();
	l.state = NULL;
	expect_codes_at("missing state: not asked", &l, NOW, &ctx,
					"MISSING_FIELD");
	check(ctx.calls == 0, "missing state: carriers not asked");
	l = auto_lead();
	l.insurance_type = NULL;
	expect_codes_at("missing type: not asked", &l, NOW, &ctx,
					"MISSING_FIELD");
	check(ctx.calls == 0, "missing type: carriers not asked");

	/* asked even when other rules fail, and reported last */
	l = auto_lead();
	l.zip_code = "10001";
	l.tcpa_consent = 0;
	expect_codes_at("mismatch, no consent, not served", &l, NOW, &ctx,
					"ZIP_STATE_MISMATCH NO_CONSENT STATE_NOT_SERVED");

	/* a NULL callback serves everything */
	l = auto_lead();
	{
		LeadgenVerdict v;

		LeadgenValidate(&l, NOW, NULL, NULL, NULL, &v);
		check(v.n_reasons == 0 && v.score == 85, "NULL callback: served");
	}
}

static void
test_several_codes(void)
{
	LeadgenLead l;
	LeadgenVehicle v[1];
	LeadgenVerdict verdict;
	ServedCtx	ctx = {"CA", "auto", 0, "", ""};

	v[0] = one_vehicle[0];
	v[0].year = 1970;

	l = auto_lead();
	l.first_name = NULL;
	l.email = "bad email";
	l.phone = "123";
	l.zip_code = "ABCDE";
	l.state = "ZZ";
	l.date_of_birth = "2015-01-01";
	l.vehicles = v;
	l.tcpa_consent = 0;
	verdict = expect_codes_at("many codes", &l, NOW, &ctx,
							  "MISSING_FIELD INVALID_EMAIL INVALID_PHONE "
							  "INVALID_ZIP INVALID_STATE AGE_OUT_OF_RANGE "
							  "INVALID_VEHICLE NO_CONSENT");
	check(verdict.reasons ==
		  (LEADGEN_REASON_BIT(LEADGEN_MISSING_FIELD) |
		   LEADGEN_REASON_BIT(LEADGEN_INVALID_EMAIL) |
		   LEADGEN_REASON_BIT(LEADGEN_INVALID_PHONE) |
		   LEADGEN_REASON_BIT(LEADGEN_INVALID_ZIP) |
		   LEADGEN_REASON_BIT(LEADGEN_INVALID_STATE) |
		   LEADGEN_REASON_BIT(LEADGEN_AGE_OUT_OF_RANGE) |
		   LEADGEN_REASON_BIT(LEADGEN_INVALID_VEHICLE) |
		   LEADGEN_REASON_BIT(LEADGEN_NO_CONSENT)),
		  "many codes: bitmask");
	check(ctx.calls == 0, "many codes: invalid state not asked");

	l = auto_lead();
	l.zip_code = "10001";
	l.date_of_birth = "2012-01-01";
	l.vehicles_present = false;
	l.consent_at = "2026-01-01T00:00:00Z";
	expect_codes_at("mismatch to not served", &l, NOW, &ctx,
					"ZIP_STATE_MISMATCH AGE_OUT_OF_RANGE INVALID_VEHICLE "
					"NO_CONSENT STATE_NOT_SERVED");

	l = auto_lead();
	l.insurance_type = "pet";
	l.source = " ";
	l.phone = "0000000000";
	expect_codes("missing, unsupported, phone", &l,
				 "MISSING_FIELD UNSUPPORTED_INSURANCE_TYPE INVALID_PHONE");

	l = home_lead();
	l.date_of_birth = "2010-01-01";
	l.year_built = 1700;
	ctx.unserved_type = "home";
	expect_codes_at("home age, property, not served", &l, NOW, &ctx,
					"AGE_OUT_OF_RANGE INVALID_PROPERTY STATE_NOT_SERVED");
	l = life_lead();
	l.date_of_birth = "1900-01-01";
	l.has_coverage = false;
	l.email = "@";
	expect_codes("life email, age, coverage", &l,
				 "INVALID_EMAIL AGE_OUT_OF_RANGE INVALID_COVERAGE");
	l = commercial_lead();
	l.has_business = false;
	l.last_name = NULL;
	l.consent_at = "2027-01-01T00:00:00Z";
	expect_codes("commercial missing, business, consent", &l,
				 "MISSING_FIELD INVALID_BUSINESS NO_CONSENT");

	/* MISSING_FIELD is reported once however many fields are missing */
	l = auto_lead();
	l.source = NULL;
	l.first_name = NULL;
	l.last_name = NULL;
	l.date_of_birth = NULL;
	expect_codes("four missing fields", &l, "MISSING_FIELD");

	/* an empty lead */
	memset(&l, 0, sizeof(l));
	expect_codes("empty lead", &l, "MISSING_FIELD NO_CONSENT");
}

static void
test_score(void)
{
	LeadgenLead l;
	LeadgenWeights w;
	static const char *const names[] = {"referral", "web_form"};
	static const int points[] = {30, 1};

	/* contact */
	l = base_lead("health");
	expect_score("both contacts", &l, 95);
	l.phone = NULL;
	expect_score("email only", &l, 85);
	l = base_lead("health");
	l.email = " ";
	expect_score("phone only", &l, 85);

	/* consent freshness */
	l = base_lead("health");
	l.consent_at = consent_ago(0);
	expect_score("consent now", &l, 95);
	l.consent_at = consent_ago(24 * HOUR);
	expect_score("consent exactly 24 h", &l, 95);
	l.consent_at = consent_ago(24 * HOUR + 1);
	expect_score("consent 24 h + 1 us", &l, 85);
	l.consent_at = consent_ago(24 * HOUR + SEC);
	expect_score("consent 24 h + 1 s", &l, 85);
	l.consent_at = consent_ago(30 * DAY);
	expect_score("consent exactly 30 days", &l, 85);
	l.consent_at = consent_ago(30 * DAY + SEC);
	expect_score("consent 30 days + 1 s", &l, 80);
	l.consent_at = consent_ago(90 * DAY);
	expect_score("consent 90 days", &l, 80);

	/* source, lower-cased */
	l = base_lead("health");
	l.source = "referral";
	expect_score("referral", &l, 100);
	l.source = "REFERRAL";
	expect_score("REFERRAL", &l, 100);
	l.source = "Web_Form";
	expect_score("Web_Form", &l, 95);
	l.source = "partner_api";
	expect_score("partner_api", &l, 90);
	l.source = "billboard";
	expect_score("unknown source", &l, 85);
	l.source = "web_form ";
	expect_score("source with a trailing space", &l, 85);

	/* completeness */
	l = base_lead("health");
	l.city = NULL;
	expect_score("health without city", &l, 85);
	l = base_lead("renters");
	l.city = "\t";
	expect_score("renters with blank city", &l, 85);
	l = commercial_lead();
	l.city = NULL;
	expect_score("commercial without city", &l, 85);
	l = life_lead();
	l.city = NULL;
	expect_score("life without city", &l, 85);
	l = home_lead();
	l.city = NULL;
	expect_score("home with value, without city", &l, 85);

	/* the lowest: one contact, stale consent, unknown source, incomplete */
	l = auto_lead();
	l.phone = NULL;
	l.source = "other";
	l.consent_at = consent_ago(60 * DAY);
	expect_score("minimum score", &l, 50);

	/* the highest with default weights is exactly 100 */
	l = base_lead("health");
	l.source = "referral";
	expect_score("maximum score", &l, 100);

	/* weights are the caller's, and the cap holds */
	w = LeadgenDefaultWeights();
	check(w.base == 40 && w.contact_both == 20 && w.contact_one == 10 &&
		  w.consent_24h == 15 && w.consent_30d == 5 &&
		  w.completeness == 10 && w.cap == 100 && w.n_sources == 3,
		  "default weights");
	w.n_sources = 2;
	w.source_names = names;
	w.source_points = points;
	expect_score_w("custom referral weight, capped", &l, NOW, &w, 100);
	l.source = "web_form";
	expect_score_w("custom web_form weight", &l, NOW, &w, 86);
	w.cap = 80;
	expect_score_w("custom cap", &l, NOW, &w, 80);
	w = LeadgenDefaultWeights();
	w.base = 90;
	expect_score_w("base 90 capped at 100", &l, NOW, &w, 100);
	w = LeadgenDefaultWeights();
	w.base = -200;
	expect_score_w("negative total floored at 0", &l, NOW, &w, 0);
}

static void
test_parse_date(void)
{
	int			y = 0;
	int			m = 0;
	int			d = 0;
	static const char *const invalid[] = {
		"2026-02-29", "2100-02-29", "2026-04-31", "2026-13-01",
		"2026-00-10", "2026-01-00", "0000-01-01", "2026-1-01", "26-01-01",
		"2026/01/01", "20260101", " 2026-01-01", "2026-01-01 ",
		"2026-01-01T00:00:00Z", "2026-01-0a", "", "+2026-01-01"
	};
	size_t		i;

	check(LeadgenParseDate("1990-04-12", &y, &m, &d) &&
		  y == 1990 && m == 4 && d == 12, "date 1990-04-12");
	check(LeadgenParseDate("2024-02-29", &y, &m, &d), "date 2024-02-29");
	check(LeadgenParseDate("2000-02-29", &y, &m, &d), "date 2000-02-29");
	check(LeadgenParseDate("0001-01-01", &y, &m, &d), "date 0001-01-01");
	check(LeadgenParseDate("9999-12-31", &y, &m, &d), "date 9999-12-31");
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
		check(!LeadgenParseDate(invalid[i], &y, &m, &d),
			  "date \"%s\" invalid", invalid[i]);
	check(!LeadgenParseDate(NULL, &y, &m, &d), "date NULL invalid");
}

static void
test_parse_timestamptz(void)
{
	static const struct
	{
		const char *s;
		int64_t		us;
	}			valid[] =
	{
		{"2026-06-15T12:00:00Z", NOW},
		{"2026-06-15 12:00:00Z", NOW},
		{"2026-06-15T14:00:00+02:00", NOW},
		{"2026-06-15T14:00:00+0200", NOW},
		{"2026-06-15T14:00:00+02", NOW},
		{"2026-06-15T06:30:00-05:30", NOW},
		{"2026-06-15T12:00:00-00:00", NOW},
		{"2026-06-15T12:00:00.5Z", NOW + SEC / 2},
		{"2026-06-15T12:00:00.123456Z", NOW + 123456},
		{"2026-06-15T12:00:00.1234569Z", NOW + 123456},
		{"2026-06-15T11:59:60Z", NOW},
		{"2026-06-16T01:00:00+13:00", NOW},
		{"1970-01-01T00:00:00Z", 0},
		{"1969-12-31T23:59:59Z", -SEC},
		{"2024-02-29T00:00:00Z", INT64_C(1709164800) * SEC},
		{"2000-03-01T00:00:00Z", INT64_C(951868800) * SEC},
		{"1900-01-01T00:00:00Z", INT64_C(-2208988800) * SEC},
		{"9999-12-31T23:59:59Z", INT64_C(253402300799) * SEC},
		{"0001-01-01T00:00:00Z", INT64_C(-62135596800) * SEC}
	};
	static const char *const invalid[] = {
		"2026-06-15T12:00Z",	/* no seconds */
		"2026-06-15T12:00:00",	/* no zone */
		"2026-06-15",
		"2026-06-15T24:00:00Z",
		"2026-06-15T12:60:00Z",
		"2026-06-15T12:00:61Z",
		"2026-02-29T12:00:00Z",
		"2026-06-15t12:00:00Z",
		"2026-06-15T12:00:00z",
		"2026-06-15  12:00:00Z",
		"2026-06-15T12:00:00.Z",
		"2026-06-15T12:00:00,5Z",
		"2026-06-15T12:00:00+2:00",
		"2026-06-15T12:00:00+02:0",
		"2026-06-15T12:00:00+020",
		"2026-06-15T12:00:00+24:00",
		"2026-06-15T12:00:00+02:60",
		"2026-06-15T12:00:00+02:00:00",
		"2026-06-15T12:00:00 +02:00",
		"2026-06-15T12:00:00Z ",
		" 2026-06-15T12:00:00Z",
		"2026-06-15T12:00:00UTC",
		"2026-06-15T12:00:00ZZ",
		"2026-6-15T12:00:00Z",
		"1781524800",
		""
	};
	size_t		i;
	int64_t		us;
	char		buf[64];

	for (i = 0; i < sizeof(valid) / sizeof(valid[0]); i++)
	{
		us = -42;
		check(LeadgenParseTimestamptz(valid[i].s, &us) &&
			  us == valid[i].us, "timestamp \"%s\": expected %lld, got %lld",
			  valid[i].s, (long long) valid[i].us, (long long) us);
	}
	for (i = 0; i < sizeof(invalid) / sizeof(invalid[0]); i++)
	{
		us = -42;
		check(!LeadgenParseTimestamptz(invalid[i], &us) && us == -42,
			  "timestamp \"%s\" invalid", invalid[i]);
	}
	check(!LeadgenParseTimestamptz(NULL, &us), "timestamp NULL invalid");

	/* the parser agrees with the C library on a day per month for 60 years */
	for (us = ts("1990-01-01T00:00:00Z"); us < ts("2050-01-01T00:00:00Z");
		 us += 30 * DAY + 7 * HOUR + 13 * SEC + 1234)
	{
		int64_t		back = 0;

		fmt_ts(us, buf, sizeof(buf));
		check(LeadgenParseTimestamptz(buf, &back) && back == us,
			  "round trip of %s", buf);
	}
}

static void
test_misc(void)
{
	int			r;

	check(LeadgenIsAbsent(NULL) && LeadgenIsAbsent("") &&
		  LeadgenIsAbsent(" \t\n\r\v\f") && !LeadgenIsAbsent(" x "),
		  "absent strings");
	/* U+00A0, U+3000, U+2000, U+200A, U+202F, U+205F, U+1680, U+0085 */
	check(LeadgenIsAbsent("\xc2\xa0") && LeadgenIsAbsent("\xe3\x80\x80 ") &&
		  LeadgenIsAbsent("\xe2\x80\x80\xe2\x80\x8a\xe2\x80\xaf\xe2\x81\x9f\xe1\x9a\x80\xc2\x85"),
		  "strings of Unicode white space are absent");
	/* U+200B (zero width) is no white space; é is a letter */
	check(!LeadgenIsAbsent("\xe2\x80\x8b") && !LeadgenIsAbsent("\xc3\xa9") && !LeadgenIsAbsent("\xc2\xa0x"),
		  "a zero-width space, a letter, or text after a no-break space is present");
	for (r = 0; r < LEADGEN_N_REASONS; r++)
		check(LeadgenReasonCode((LeadgenReason) r) != NULL,
			  "reason %d has a code", r);
	check(strcmp(LeadgenReasonCode(LEADGEN_MISSING_FIELD),
				 "MISSING_FIELD") == 0 &&
		  strcmp(LeadgenReasonCode(LEADGEN_STATE_NOT_SERVED),
				 "STATE_NOT_SERVED") == 0, "reason code texts");
	check(LeadgenReasonCode((LeadgenReason) LEADGEN_N_REASONS) == NULL,
		  "reason out of range");
}

int
main(void)
{
	test_eligible_bases();
	test_missing_field();
	test_insurance_type();
	test_email();
	test_phone();
	test_zip_and_state();
	test_zip_prefixes();
	test_age();
	test_vehicles();
	test_vin();
	test_property();
	test_coverage();
	test_business();
	test_consent();
	test_state_not_served();
	test_several_codes();
	test_score();
	test_parse_date();
	test_parse_timestamptz();
	test_misc();

	return check_summary();
}
