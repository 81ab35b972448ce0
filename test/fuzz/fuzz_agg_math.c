/*
 * libFuzzer target for the exact arithmetic of the aggregates.
 *
 * FUZZ_SOURCES: src/agg_math.c
 * FUZZ_LIBS: -lm
 *
 * Checks, beyond "never crashes" (UBSan catches shifts out of range and
 * signed overflow):
 *	- any string that parses as an int128 formats back to a string that
 *	  parses to the same value; any int128 survives format + parse;
 *	- tt_rate_in_unit_interval() agrees with 0 <= rate <= 1;
 *	- tt_views_times_rate() is within half a unit (2^-64) of views x rate,
 *	  measured in long double, and its fast path (rates 2^-10..1) and its
 *	  general path agree exactly;
 *	- adding a sequence of rows and removing them again, in another order,
 *	  gives back exactly zero, and summing in two orders gives the same
 *	  bits (what makes moving windows and parallel plans exact);
 *	- tt_fixed_to_double() is within one ulp of a long double reference.
 */
/* PostgreSQL's headers ask for gnu_printf format checks, which clang lacks */
#pragma clang diagnostic ignored "-Wignored-attributes"
#include "c.h"

#include <float.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

#include "agg_math.h"

/* c.h maps fprintf to libpgport's; this target links without it */
#undef fprintf

#include "fuzz_check.h"

#define MAX_ROWS 64

static void
check_int128_round_trip(int128 value)
{
	char		buf[TT_INT128_BUFLEN];
	int128		back = 0;
	const char *end;
	int			len = tt_format_int128(value, buf);

	CHECK(len > 0 && len < TT_INT128_BUFLEN && (size_t) len == strlen(buf));
	CHECK(tt_parse_int128(buf, &back, &end) == TT_PARSE_OK);
	CHECK(*end == '\0' && back == value);
}

static long double
fixed_as_long_double(const TtFixed *v)
{
	return (long double) v->whole + ldexpl((long double) v->frac, -64);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char	   *text;
	int128		parsed;
	const char *end;
	double		rates[MAX_ROWS];
	int64		views[MAX_ROWS];
	int			nrows = 0;
	TtFixed		forward = {0, 0};
	TtFixed		backward = {0, 0};

	/* the input as text */
	text = malloc(size + 1);
	memcpy(text, data, size);
	text[size] = '\0';
	if (tt_parse_int128(text, &parsed, &end) == TT_PARSE_OK)
	{
		CHECK(end > text);
		check_int128_round_trip(parsed);
	}
	free(text);

	if (size >= 16)
	{
		int128		raw;

		memcpy(&raw, data, sizeof(raw));
		check_int128_round_trip(raw);
		check_int128_round_trip(TT_INT128_MIN);
		check_int128_round_trip(TT_INT128_MAX);
	}

	/* the input as rows of (views, rate), 16 bytes each */
	for (size_t off = 0; off + 16 <= size && nrows < MAX_ROWS; off += 16)
	{
		int64		v;
		double		r;

		memcpy(&v, data + off, 8);
		memcpy(&r, data + off + 8, 8);
		CHECK(tt_rate_in_unit_interval(r) == (r >= 0.0 && r <= 1.0));
		if (!tt_rate_in_unit_interval(r))
			continue;
		v &= PG_INT64_MAX;
		views[nrows] = v;
		rates[nrows] = r;
		nrows++;
	}

	for (int i = 0; i < nrows; i++)
	{
		uint128		units = tt_views_times_rate(views[i], rates[i]);
		long double exact = ldexpl((long double) views[i] * (long double) rates[i], 64);
		long double diff = fabsl((long double) units - exact);

		/* long double keeps 64 bits: allow its own rounding on top */
		CHECK(units < ((uint128) 1 << 127));
		/* the fast and the general computation agree exactly */
		CHECK(units == tt_views_times_rate_bits(views[i], rates[i]));
		if (rates[i] >= 0x1p-10)
			CHECK(units == tt_views_times_common_rate(views[i], rates[i]));
		CHECK(diff <= 0.5L + ldexpl(exact, -62));
		CHECK(!tt_fixed_add_units(&forward, units));
		CHECK(!tt_fixed_add_units(&backward, tt_views_times_rate(views[nrows - 1 - i], rates[nrows - 1 - i])));
	}
	CHECK(forward.whole == backward.whole && forward.frac == backward.frac);

	if (nrows > 0)
	{
		double		d = tt_fixed_to_double(&forward);
		long double ref = fixed_as_long_double(&forward);
		TtFixed		negated = {0, 0};

		CHECK(fabsl((long double) d - ref) <= ldexpl(fabsl(ref), -52) + ldexpl(1.0L, -64));
		for (int i = 0; i < nrows; i++)
			CHECK(!tt_fixed_sub_units(&negated, tt_views_times_rate(views[i], rates[i])));
		CHECK(tt_fixed_to_double(&negated) == -d);
		CHECK(!tt_fixed_add(&negated, &forward));
		CHECK(negated.whole == 0 && negated.frac == 0);
	}

	/* remove the rows in the order they were added: back to zero */
	for (int i = 0; i < nrows; i++)
		CHECK(!tt_fixed_sub_units(&forward, tt_views_times_rate(views[i], rates[i])));
	CHECK(forward.whole == 0 && forward.frac == 0);
	CHECK(tt_fixed_to_double(&forward) == 0.0);
	return 0;
}
