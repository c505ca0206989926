/*-------------------------------------------------------------------------
 *
 * validate.h
 *	  Eligibility rules, quality score and input parsers of a lead.
 *
 * Everything declared here is plain C99: no PostgreSQL header and no fmgr
 * type, so that the same code runs inside the backend module and in the
 * standalone unit tests (test/unit).  Nothing allocates memory and nothing
 * keeps state between calls, so every function is reentrant and may be
 * called from any thread.  No function depends on the C locale: every
 * character class is an explicit ASCII test.
 *
 * The caller (the worker) turns a lead's jsonb payload into a LeadgenLead,
 * calls LeadgenValidate() and stores what the LeadgenVerdict says.  The rules
 * themselves are those of the lead domain contract (DOMAIN.md); the
 * comments in validate.c quote the readings this code implements.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *	  src/validate.h
 *
 *-------------------------------------------------------------------------
 */
#ifndef LEADGEN_VALIDATE_H
#define LEADGEN_VALIDATE_H

#include <stdbool.h>
#include <stdint.h>

/*
 * Rejection reasons, in the order in which they are checked and reported.
 * The value of each is its bit number in LeadgenVerdict.reasons.
 */
typedef enum LeadgenReason
{
	LEADGEN_MISSING_FIELD = 0,
	LEADGEN_UNSUPPORTED_INSURANCE_TYPE,
	LEADGEN_INVALID_EMAIL,
	LEADGEN_INVALID_PHONE,
	LEADGEN_INVALID_ZIP,
	LEADGEN_INVALID_STATE,
	LEADGEN_ZIP_STATE_MISMATCH,
	LEADGEN_AGE_OUT_OF_RANGE,
	LEADGEN_INVALID_VEHICLE,
	LEADGEN_INVALID_PROPERTY,
	LEADGEN_INVALID_COVERAGE,
	LEADGEN_INVALID_BUSINESS,
	LEADGEN_NO_CONSENT,
	LEADGEN_STATE_NOT_SERVED
} LeadgenReason;

#define LEADGEN_N_REASONS		14
#define LEADGEN_REASON_BIT(r)	((uint32_t) 1 << (r))

/* Time is counted in microseconds since 1970-01-01 00:00:00 UTC. */
#define LEADGEN_USECS_PER_SEC	INT64_C(1000000)
#define LEADGEN_USECS_PER_DAY	(INT64_C(86400) * LEADGEN_USECS_PER_SEC)

/* An email is at most 254 characters; in UTF-8 that is at most 4 bytes each */
#define LEADGEN_EMAIL_MAX_CHARS 254
#define LEADGEN_EMAIL_BUFSIZE	(LEADGEN_EMAIL_MAX_CHARS * 4 + 1)
/* A normalized phone number is 10 digits */
#define LEADGEN_PHONE_BUFSIZE	11
/* The supported insurance types: auto, home, renters, life, health, commercial */
#define LEADGEN_N_INSURANCE_TYPES	6
extern int	LeadgenInsuranceTypeIndex(const char *name);

/* Longest supported insurance type ("commercial") plus its terminator */
#define LEADGEN_TYPE_BUFSIZE	11
#define LEADGEN_MAX_VEHICLES	4
#define LEADGEN_VIN_LENGTH		17

/*
 * One element of an auto lead's "vehicles" array.  make, model and vin are
 * NULL when the key is missing, JSON null or not a string (also when the
 * element is not an object).  has_year is false when "year" is missing or
 * not a JSON number; year_is_int tells whether the number was written as a
 * JSON integer.
 */
typedef struct LeadgenVehicle
{
	const char *make;
	const char *model;
	const char *vin;
	bool		has_year;
	bool		year_is_int;
	double		year;
} LeadgenVehicle;

/*
 * A lead as submitted.  A string field is NULL when the JSON key is missing,
 * JSON null or not a string; the rules themselves treat an empty or
 * whitespace-only string as absent too.  The has_* flags say whether a
 * number or an object is there at all (missing, null or the wrong JSON type
 * all read as false); the *_is_int flags whether a number was a JSON
 * integer.  Details of an insurance type other than the lead's own are
 * ignored, so the caller may fill them or not.
 */
typedef struct LeadgenLead
{
	const char *source;
	const char *insurance_type;
	const char *first_name;
	const char *last_name;
	const char *email;
	const char *phone;
	const char *date_of_birth;
	const char *zip_code;
	const char *state;
	const char *city;
	const char *consent_at;
	int			tcpa_consent;	/* 1 = JSON true, 0 = anything else or absent */

	/* auto: vehicles_present is false when the key is absent or no array */
	bool		vehicles_present;
	int			n_vehicles;
	const LeadgenVehicle *vehicles;

	/* home: has_property is false when "property" is absent or no object */
	bool		has_property;
	bool		has_year_built;
	bool		year_built_is_int;
	double		year_built;
	bool		has_property_value;
	double		property_value;
	bool		property_value_bad; /* present (not null) but no finite number */

	/* life */
	bool		has_coverage;
	double		coverage_amount;

	/* commercial: has_business is false when "business" is no object */
	bool		has_business;
	const char *business_name;
	bool		has_employees;
	bool		employees_is_int;
	double		employees;
} LeadgenLead;

/*
 * Quality score weights.  source_names are lower-case; a source not in the
 * list earns 0.  The total is capped at cap (and never goes below 0).
 */
typedef struct LeadgenWeights
{
	int			base;
	int			contact_both;
	int			contact_one;
	int			consent_24h;
	int			consent_30d;
	int			completeness;
	int			n_sources;
	const char *const *source_names;
	const int  *source_points;
	int			cap;
} LeadgenWeights;

/*
 * The outcome of LeadgenValidate().  codes[0 .. n_reasons - 1] are the
 * reason codes in checking order (static strings); score is 0 for a
 * rejected lead.  The normalized fields are "" when the input is absent or
 * invalid; they are what the caller stores and what duplicate detection
 * compares.
 */
typedef struct LeadgenVerdict
{
	uint32_t	reasons;		/* LEADGEN_REASON_BIT() of every failing rule */
	int			n_reasons;
	const char *codes[LEADGEN_N_REASONS];
	int			score;

	char		norm_email[LEADGEN_EMAIL_BUFSIZE];	/* lower-cased */
	char		norm_phone[LEADGEN_PHONE_BUFSIZE];	/* 10 digits */
	char		norm_insurance_type[LEADGEN_TYPE_BUFSIZE];	/* lower-case */
	char		norm_state[3];	/* upper-case */

	bool		dob_valid;		/* date_of_birth parsed */
	int			dob_year;
	int			dob_month;
	int			dob_day;
	bool		consent_at_valid;	/* consent_at parsed */
	int64_t		consent_at_us;	/* microseconds since the Unix epoch, UTC */
} LeadgenVerdict;

/*
 * Answers whether at least one active carrier serves state (two upper-case
 * letters) for insurance_type (lower-case); arg is passed through.
 */
typedef bool (*LeadgenStateServedFn) (void *arg, const char *state,
									  const char *insurance_type);

/* validate.c */
extern void LeadgenValidate(const LeadgenLead *lead, int64_t now_us,
							LeadgenStateServedFn state_served, void *arg,
							const LeadgenWeights *weights,
							LeadgenVerdict *out);
extern LeadgenWeights LeadgenDefaultWeights(void);
extern const char *LeadgenReasonCode(LeadgenReason reason);
extern bool LeadgenIsAbsent(const char *s);
extern bool LeadgenNormalizeEmail(const char *s,
								  char out[LEADGEN_EMAIL_BUFSIZE]);
extern bool LeadgenNormalizePhone(const char *s,
								  char out[LEADGEN_PHONE_BUFSIZE]);
extern bool LeadgenIsValidVin(const char *s);
extern bool LeadgenParseDate(const char *s, int *year, int *month, int *day);
extern bool LeadgenParseTimestamptz(const char *s, int64_t *unix_us);

/* zipstate.c */
extern const char *LeadgenZipState(const char *zip);

#endif							/* LEADGEN_VALIDATE_H */
