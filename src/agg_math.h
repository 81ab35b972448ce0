/*-------------------------------------------------------------------------
 *
 * agg_math.h
 *	  Exact 128-bit and fixed-point arithmetic behind tiktrack's aggregates.
 *
 * Nothing here touches backend state, so the same code runs in the server
 * and in standalone tests and fuzz targets (include c.h or postgres.h
 * first).  The hot helpers are static inline: the aggregates call them once
 * per row.
 *
 * Two kinds of sums:
 *
 * - Integer sums (views, engagements, cents) are int128.  A row adds at
 *	 most a few int64 values, so even a crafted state cannot overflow
 *	 silently: every addition is checked and the caller raises 22003.
 *
 * - The completion-weighted sum (views x completion_rate) is fixed point
 *	 with 64 fraction bits, i.e. an integer number of 2^-64 units held as a
 *	 signed 128-bit whole part plus an unsigned 64-bit fraction.  Each row's
 *	 product is computed exactly and rounded once to 2^-64, so adding and
 *	 later removing a row (a moving window) gives back the very same bits,
 *	 and the sum is independent of row order (serial and parallel plans
 *	 agree to the last bit).  Floating-point accumulation has neither
 *	 property.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_AGG_MATH_H
#define TIKTRACK_AGG_MATH_H

#include <math.h>
#include <string.h>

#ifndef HAVE_INT128
#error "tiktrack's aggregates need a native 128-bit integer type"
#endif

#define TT_INT128_MAX	((int128) (((uint128) 1 << 127) - 1))
#define TT_INT128_MIN	(-TT_INT128_MAX - 1)

/* Longest decimal int128 ("-170141183460469231731687303715884105728") + NUL */
#define TT_INT128_BUFLEN 41

/* Result of tt_parse_int128() */
typedef enum TtParseResult
{
	TT_PARSE_OK,
	TT_PARSE_SYNTAX,			/* no digits where a number was expected */
	TT_PARSE_RANGE				/* digits, but outside the int128 range */
} TtParseResult;

extern int	tt_format_int128(int128 value, char *buf);
extern TtParseResult tt_parse_int128(const char *str, int128 *result,
									 const char **endptr);

/* Checked int128 arithmetic: each returns true on overflow. */
static inline bool
tt_add_int128_overflow(int128 a, int128 b, int128 *result)
{
	return __builtin_add_overflow(a, b, result);
}

static inline bool
tt_sub_int128_overflow(int128 a, int128 b, int128 *result)
{
	return __builtin_sub_overflow(a, b, result);
}

/*
 * A fixed-point number: whole + frac / 2^64.  Negative values keep a
 * non-negative fraction (-0.25 is whole = -1, frac = 0.75 * 2^64), exactly
 * like a 192-bit two's-complement integer split at bit 64.
 */
typedef struct TtFixed
{
	int128		whole;
	uint64		frac;
} TtFixed;

/*
 * 0 <= rate <= 1, NaN excluded.  Non-negative doubles order like their bit
 * patterns, so one unsigned comparison does it; -0.0 (sign bit set) takes
 * the slow path.
 */
static inline bool
tt_rate_in_unit_interval(double rate)
{
	uint64		bits;

	memcpy(&bits, &rate, sizeof(bits));
	if (likely(bits <= UINT64CONST(0x3FF0000000000000)))
		return true;
	return rate == 0.0;
}

/*
 * views x rate in units of 2^-64, for views >= 0 and 0 <= rate <= 1 (the
 * caller validates both), from the bits of the double: the product of the
 * 63-bit count and the 53-bit significand is exact in 128 bits; only the
 * scaling to 2^-64 rounds (half up), for rates below 2^-12, once per row.
 * The result is at most views * 2^64 < 2^127.
 */
static inline uint128
tt_views_times_rate_bits(int64 views, double rate)
{
	uint64		bits;
	int			biased_exp;
	uint64		significand;
	int			shift;
	uint128		product;

	memcpy(&bits, &rate, sizeof(bits));
	bits &= ~(UINT64CONST(1) << 63);	/* -0.0 */
	biased_exp = (int) (bits >> 52);
	if (biased_exp == 0)
		return 0;				/* zero or subnormal: far below 2^-64 */
	significand = (bits & ((UINT64CONST(1) << 52) - 1)) | (UINT64CONST(1) << 52);
	/* rate = significand * 2^(biased_exp - 1075); we want units of 2^-64 */
	shift = biased_exp - 1075 + 64;
	product = (uint128) (uint64) views * significand;
	if (shift >= 0)
		return product << shift;	/* shift <= 12 because rate <= 1 */
	if (shift < -120)
		return 0;				/* product < 2^116: rounds to zero */
	return (product + ((uint128) 1 << (-shift - 1))) >> (-shift);
}

/*
 * The same value for the usual rates, 2^-10 to 1, fast: rate x 2^62 is then
 * an integer (the significand's last bit is at 2^-62 or above), so the
 * float multiplication and conversion are exact, and so is the product.
 */
static inline uint128
tt_views_times_common_rate(int64 views, double rate)
{
	return ((uint128) (uint64) views * (uint64) (int64) (rate * 0x1p62)) << 2;
}

static inline uint128
tt_views_times_rate(int64 views, double rate)
{
	if (likely(rate >= 0x1p-10))
		return tt_views_times_common_rate(views, rate);
	return tt_views_times_rate_bits(views, rate);
}

/* value += units (units of 2^-64, below 2^127); true on overflow */
static inline bool
tt_fixed_add_units(TtFixed *value, uint128 units)
{
	/* the fraction's carry goes into the whole part without a branch */
	uint128		low = (uint128) value->frac + (uint64) units;
	int128		high = (int128) (units >> 64) + (int128) (low >> 64);

	if (tt_add_int128_overflow(value->whole, high, &value->whole))
		return true;
	value->frac = (uint64) low;
	return false;
}

/* value -= units; true on overflow */
static inline bool
tt_fixed_sub_units(TtFixed *value, uint128 units)
{
	uint64		lo = (uint64) units;
	int128		hi = (int128) (units >> 64);

	if (value->frac < lo)
		hi += 1;				/* borrow from the whole part */
	if (tt_sub_int128_overflow(value->whole, hi, &value->whole))
		return true;
	value->frac -= lo;
	return false;
}

/* a += b; true on overflow (a is then unchanged) */
static inline bool
tt_fixed_add(TtFixed *a, const TtFixed *b)
{
	uint64		frac = a->frac + b->frac;
	int128		whole;

	if (tt_add_int128_overflow(a->whole, b->whole, &whole))
		return true;
	if (frac < b->frac && tt_add_int128_overflow(whole, 1, &whole))
		return true;
	a->whole = whole;
	a->frac = frac;
	return false;
}

/* Number of significant bits of x (0 for 0). */
static inline int
tt_bit_length128(uint128 x)
{
	uint64		hi = (uint64) (x >> 64);

	if (hi != 0)
		return 128 - __builtin_clzll(hi);
	if ((uint64) x != 0)
		return 64 - __builtin_clzll((uint64) x);
	return 0;
}

/*
 * The fixed-point value as the nearest double (round half to even), so the
 * result depends only on the exact sum.  The 192-bit magnitude is reduced
 * to its top 64 bits with a sticky bit for everything below, which the
 * hardware's uint64 -> double conversion then rounds correctly.
 */
static inline double
tt_fixed_to_double(const TtFixed *value)
{
	bool		negative = value->whole < 0;
	uint128		high;			/* the magnitude is high * 2^64 + low */
	uint64		low;
	uint64		top;
	bool		sticky;
	int			nbits;
	double		result;

	if (negative)
	{
		/* two's-complement negation of the 192-bit value */
		low = -value->frac;
		high = ~(uint128) value->whole + (value->frac == 0 ? 1 : 0);
	}
	else
	{
		low = value->frac;
		high = (uint128) value->whole;
	}

	nbits = tt_bit_length128(high);
	if (nbits == 0)
	{
		top = low;
		sticky = false;
	}
	else if (nbits < 64)
	{
		top = ((uint64) high << (64 - nbits)) | (low >> nbits);
		sticky = (low & ((UINT64CONST(1) << nbits) - 1)) != 0;
	}
	else if (nbits == 64)
	{
		top = (uint64) high;
		sticky = low != 0;
	}
	else
	{
		int			drop = nbits - 64;

		top = (uint64) (high >> drop);
		sticky = low != 0 || (high & (((uint128) 1 << drop) - 1)) != 0;
	}
	/* top has 64 significant bits, 11 more than a double keeps */
	result = ldexp((double) (top | (sticky ? 1 : 0)), nbits - 64);
	return negative ? -result : result;
}

#endif							/* TIKTRACK_AGG_MATH_H */
