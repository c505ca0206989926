/*-------------------------------------------------------------------------
 *
 * zipstate.c
 *	  The state each 3-digit ZIP Code prefix is allocated to.
 *
 * The table is the USPS allocation of 3-digit ZIP Code prefixes (the
 * prefix list of the Domestic Mail Manual, labeling list L002, with the
 * prefixes allocated since, such as 569 for Parcel Return Service in DC and
 * 851 in Arizona), reduced to the state of the addresses each prefix
 * covers.  That is not always the state of the sectional center that sorts
 * the mail: 369 (sorted in Meridian, MS) is Alabama, 961 (Reno, NV) is
 * California, 515-516 (Omaha, NE) are Iowa.  Individual ZIP Codes that
 * cross a state line inside a prefix are not exceptions: the rule is
 * defined on the prefix.
 *
 * Only the 50 states and DC appear.  Prefixes that USPS has not allocated,
 * those of the territories (006-009 Puerto Rico and the Virgin Islands, 969
 * Guam and the Pacific islands) and the military APO/FPO/DPO ones (090-099
 * AE, 340 AA, 962-966 AP) have no state.
 *
 * Copyright (c) 2026, pg_leadgen developers
 *
 * IDENTIFICATION
 *	  src/zipstate.c
 *
 *-------------------------------------------------------------------------
 */
#include <stddef.h>

#include "validate.h"

typedef struct ZipRange
{
	short		first;			/* first prefix of the range, 0-999 */
	short		last;			/* last prefix, inclusive */
	char		state[3];
} ZipRange;

/*
 * Allocated prefixes, in ascending order without overlap.  A prefix that
 * falls in no range has no state.  Gaps are noted where they are not
 * obvious.
 */
static const ZipRange zip_ranges[] =
{
	/* 000-004 unallocated */
	{5, 5, "NY"},				/* Holtsville (IRS) */
	/* 006-009 Puerto Rico, Virgin Islands */
	{10, 27, "MA"},
	{28, 29, "RI"},
	{30, 38, "NH"},
	{39, 49, "ME"},
	{50, 54, "VT"},
	{55, 55, "MA"},				/* Andover */
	{56, 59, "VT"},
	{60, 69, "CT"},
	{70, 89, "NJ"},
	/* 090-099 military (AE) */
	{100, 149, "NY"},
	{150, 196, "PA"},
	{197, 199, "DE"},
	{200, 200, "DC"},
	{201, 201, "VA"},			/* Dulles */
	{202, 205, "DC"},
	{206, 212, "MD"},
	/* 213 unallocated */
	{214, 219, "MD"},
	{220, 246, "VA"},
	{247, 268, "WV"},
	/* 269 unallocated */
	{270, 289, "NC"},
	{290, 299, "SC"},
	{300, 319, "GA"},
	{320, 339, "FL"},
	/* 340 military (AA) */
	{341, 342, "FL"},
	/* 343 unallocated */
	{344, 344, "FL"},
	/* 345 unallocated */
	{346, 347, "FL"},
	/* 348 unallocated */
	{349, 349, "FL"},
	{350, 352, "AL"},
	/* 353 unallocated */
	{354, 369, "AL"},
	{370, 385, "TN"},
	{386, 397, "MS"},
	{398, 399, "GA"},			/* Albany; Atlanta (IRS) */
	{400, 418, "KY"},
	/* 419 unallocated */
	{420, 427, "KY"},
	/* 428-429 unallocated */
	{430, 459, "OH"},
	{460, 479, "IN"},
	{480, 499, "MI"},
	{500, 516, "IA"},
	/* 517-519 unallocated */
	{520, 528, "IA"},
	/* 529 unallocated */
	{530, 532, "WI"},
	/* 533 unallocated */
	{534, 535, "WI"},
	/* 536 unallocated */
	{537, 549, "WI"},
	{550, 551, "MN"},
	/* 552 unallocated */
	{553, 567, "MN"},
	/* 568 unallocated */
	{569, 569, "DC"},			/* Parcel Return Service */
	{570, 577, "SD"},
	/* 578-579 unallocated */
	{580, 588, "ND"},
	/* 589 unallocated */
	{590, 599, "MT"},
	{600, 620, "IL"},
	/* 621 unallocated */
	{622, 629, "IL"},
	{630, 631, "MO"},
	/* 632 unallocated */
	{633, 641, "MO"},
	/* 642-643 unallocated */
	{644, 658, "MO"},
	/* 659 unallocated */
	{660, 662, "KS"},
	/* 663 unallocated */
	{664, 679, "KS"},
	{680, 681, "NE"},
	/* 682 unallocated */
	{683, 693, "NE"},
	/* 694-699 unallocated */
	{700, 701, "LA"},
	/* 702 unallocated */
	{703, 708, "LA"},
	/* 709 unallocated */
	{710, 714, "LA"},
	/* 715 unallocated */
	{716, 729, "AR"},
	{730, 731, "OK"},
	/* 732 unallocated */
	{733, 733, "TX"},			/* Austin (IRS) */
	{734, 741, "OK"},
	/* 742 unallocated */
	{743, 749, "OK"},
	{750, 799, "TX"},
	{800, 816, "CO"},
	/* 817-819 unallocated */
	{820, 831, "WY"},
	{832, 838, "ID"},
	/* 839 unallocated */
	{840, 847, "UT"},
	/* 848-849 unallocated */
	{850, 853, "AZ"},
	/* 854 unallocated */
	{855, 857, "AZ"},
	/* 858 unallocated */
	{859, 860, "AZ"},
	/* 861-862 unallocated */
	{863, 865, "AZ"},
	/* 866-869 unallocated */
	{870, 875, "NM"},
	/* 876 unallocated */
	{877, 884, "NM"},
	{885, 885, "TX"},			/* El Paso */
	/* 886-888 unallocated */
	{889, 891, "NV"},
	/* 892 unallocated */
	{893, 895, "NV"},
	/* 896 unallocated */
	{897, 898, "NV"},
	/* 899 unallocated */
	{900, 908, "CA"},
	/* 909 unallocated */
	{910, 928, "CA"},
	/* 929 unallocated */
	{930, 961, "CA"},
	/* 962-966 military (AP); 969 Guam and the Pacific islands */
	{967, 968, "HI"},
	{970, 979, "OR"},
	{980, 986, "WA"},
	/* 987 unallocated */
	{988, 994, "WA"},
	{995, 999, "AK"}
};

#define N_ZIP_RANGES ((int) (sizeof(zip_ranges) / sizeof(zip_ranges[0])))

/*
 * LeadgenZipState
 *		The state a ZIP Code's 3-digit prefix is allocated to.
 *
 * Only the first three characters of zip are read, and they must be ASCII
 * digits; the caller checks the rest of the ZIP Code's form.  Returns the
 * upper-case two-letter code of one of the 50 states or DC (a static
 * string), or NULL when the prefix has no state or zip does not start with
 * three digits.
 */
const char *
LeadgenZipState(const char *zip)
{
	int			prefix = 0;
	int			i;
	int			lo;
	int			hi;

	if (zip == NULL)
		return NULL;
	for (i = 0; i < 3; i++)
	{
		if (zip[i] < '0' || zip[i] > '9')
			return NULL;
		prefix = prefix * 10 + (zip[i] - '0');
	}

	/* binary search for the last range starting at or before the prefix */
	lo = 0;
	hi = N_ZIP_RANGES - 1;
	while (lo <= hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (prefix < zip_ranges[mid].first)
			hi = mid - 1;
		else if (prefix > zip_ranges[mid].last)
			lo = mid + 1;
		else
			return zip_ranges[mid].state;
	}
	return NULL;
}
