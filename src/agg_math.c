/*-------------------------------------------------------------------------
 *
 * agg_math.c
 *	  Decimal text conversion of int128 for the aggregate state types.
 *
 * PostgreSQL has no int128 SQL type, so the text forms of the states need
 * their own conversion.  Pure C without backend calls: the fuzz target
 * test/fuzz/fuzz_agg_math.c links this file alone.
 *
 *-------------------------------------------------------------------------
 */
#include "c.h"

#include "agg_math.h"

/*
 * Writes value in decimal into buf (at least TT_INT128_BUFLEN bytes) and
 * returns the length.
 */
int
tt_format_int128(int128 value, char *buf)
{
	char		digits[TT_INT128_BUFLEN];
	int			ndigits = 0;
	int			len = 0;
	uint128		magnitude;

	/* negate in unsigned arithmetic so that INT128_MIN works too */
	magnitude = value < 0 ? -(uint128) value : (uint128) value;
	do
	{
		digits[ndigits++] = (char) ('0' + (int) (magnitude % 10));
		magnitude /= 10;
	} while (magnitude != 0);

	if (value < 0)
		buf[len++] = '-';
	while (ndigits > 0)
		buf[len++] = digits[--ndigits];
	buf[len] = '\0';
	return len;
}

/*
 * Parses an optionally signed decimal integer at the start of str (no
 * leading blanks) into *result and sets *endptr just past it.  On
 * TT_PARSE_SYNTAX *endptr is str; on TT_PARSE_RANGE it is past the digits
 * and *result is unspecified.
 */
TtParseResult
tt_parse_int128(const char *str, int128 *result, const char **endptr)
{
	const char *p = str;
	bool		negative = false;
	uint128		magnitude = 0;
	uint128		limit;
	bool		overflow = false;

	if (*p == '-' || *p == '+')
	{
		negative = (*p == '-');
		p++;
	}
	if (*p < '0' || *p > '9')
	{
		*endptr = str;
		return TT_PARSE_SYNTAX;
	}

	/* the magnitude of INT128_MIN is one more than that of INT128_MAX */
	limit = (uint128) TT_INT128_MAX + (negative ? 1 : 0);
	for (; *p >= '0' && *p <= '9'; p++)
	{
		int			digit = *p - '0';

		if (overflow || magnitude > (limit - digit) / 10)
			overflow = true;
		else
			magnitude = magnitude * 10 + digit;
	}
	*endptr = p;
	if (overflow)
		return TT_PARSE_RANGE;
	*result = negative ? (int128) (-magnitude) : (int128) magnitude;
	return TT_PARSE_OK;
}
