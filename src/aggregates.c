/*-------------------------------------------------------------------------
 *
 * aggregates.c
 *	  C aggregates for campaign analytics: engagement_rate, roi, roas, cpm,
 *	  cpv (ratios of exact int128 sums) and completion_weighted_views
 *	  (an exact fixed-point sum of views x completion_rate).
 *
 * Every aggregate is parallel safe: it has a combine function and a
 * fixed-size state type of its own, so partial states cross process (and
 * Citus shard) boundaries as ordinary datums.  Every aggregate also has an
 * inverse transition function, so a sliding window frame costs O(1) per
 * row instead of recomputing the frame.  Because the sums are exact, the
 * inverse never drifts and the result does not depend on row order.
 *
 * Speed: the transition functions are STRICT (the executor skips rows with
 * a NULL argument before calling us, which is exactly the "a row counts
 * only when all its arguments are known" rule) and, when called as an
 * aggregate, update their state in place instead of allocating a new one
 * per row, as int8_avg_accum does.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/int.h"
#include "fmgr.h"
#include "libpq/pqformat.h"
#include "utils/builtins.h"
#include "utils/float.h"

#include "aggregates.h"

StaticAssertDecl(sizeof(RatioState) == RATIO_STATE_SIZE,
				 "RatioState must match INTERNALLENGTH of tiktrack.ratio_state");
StaticAssertDecl(sizeof(WeightedSumState) == WEIGHTED_SUM_STATE_SIZE,
				 "WeightedSumState must match INTERNALLENGTH of tiktrack.weighted_sum_state");

/* Argument names of engagement_rate, for error messages. */
static const char *const engagement_arg_names[] = {
	"state", "views", "likes", "comments", "shares", "saves"
};

/* ----------------------------------------------------------------
 * Errors
 * ----------------------------------------------------------------
 */

static pg_noinline void
negative_input_error(const char *name, int64 value)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("%s must not be negative, got " INT64_FORMAT, name, value),
			 errhint("Counters (views, likes, comments, shares, saves) and costs are non-negative; only revenue may be negative (refunds).")));
}

static pg_noinline void
completion_rate_error(double rate)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("completion rate must be between 0 and 1, got %s",
					float8out_internal(rate)),
			 errhint("A completion rate is the fraction of views watched to the end (0.42), not a percentage (42).")));
}

static pg_noinline void
out_of_range_error(const char *what)
{
	ereport(ERROR,
			(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
			 errmsg("%s out of range", what)));
}

static pg_noinline void
empty_state_error(const char *typname)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
			 errmsg("cannot remove a row from an empty %s", typname),
			 errdetail("The inverse transition function was given a state with a row count of 0.")));
}

static inline void
check_non_negative(int64 value, const char *name)
{
	if (unlikely(value < 0))
		negative_input_error(name, value);
}

static inline void
check_completion_rate(double rate)
{
	/* written so that NaN fails too */
	if (unlikely(!(rate >= 0.0 && rate <= 1.0)))
		completion_rate_error(rate);
}

/* ----------------------------------------------------------------
 * Text and binary forms of the state types
 * ----------------------------------------------------------------
 */

static pg_noinline void
state_syntax_error(const char *typname, const char *input)
{
	ereport(ERROR,
			(errcode(ERRCODE_INVALID_TEXT_REPRESENTATION),
			 errmsg("invalid input syntax for type %s: \"%s\"", typname, input)));
}

/*
 * Parses "(n1,n2,...)" with optional blanks around each field into nfields
 * int128 values.  A field outside the int128 range is 22003.
 */
static void
parse_state_fields(const char *input, const char *typname,
				   int128 *fields, int nfields)
{
	const char *p = input;

	while (isspace((unsigned char) *p))
		p++;
	if (*p++ != '(')
		state_syntax_error(typname, input);
	for (int i = 0; i < nfields; i++)
	{
		const char *start;
		const char *end;

		while (isspace((unsigned char) *p))
			p++;
		start = p;
		switch (tt_parse_int128(p, &fields[i], &end))
		{
			case TT_PARSE_OK:
				break;
			case TT_PARSE_SYNTAX:
				state_syntax_error(typname, input);
				break;
			case TT_PARSE_RANGE:
				ereport(ERROR,
						(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
						 errmsg("value \"%.*s\" is out of range for type %s",
								(int) (end - start), start, typname)));
				break;
		}
		p = end;
		while (isspace((unsigned char) *p))
			p++;
		if (*p++ != (i == nfields - 1 ? ')' : ','))
			state_syntax_error(typname, input);
	}
	while (isspace((unsigned char) *p))
		p++;
	if (*p != '\0')
		state_syntax_error(typname, input);
}

/* The row count of a state read from outside: an int64, not negative. */
static int64
checked_row_count(int128 count, const char *typname)
{
	if (count < 0 || count > PG_INT64_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("row count of %s must be between 0 and " INT64_FORMAT,
						typname, PG_INT64_MAX)));
	return (int64) count;
}

static void
send_int128(StringInfo buf, int128 value)
{
	pq_sendint64(buf, (int64) (value >> 64));
	pq_sendint64(buf, (int64) (uint64) value);
}

static int128
recv_int128(StringInfo buf)
{
	uint64		hi = (uint64) pq_getmsgint64(buf);
	uint64		lo = (uint64) pq_getmsgint64(buf);

	return (int128) (((uint128) hi << 64) | lo);
}

PG_FUNCTION_INFO_V1(tiktrack_ratio_state_in);
Datum
tiktrack_ratio_state_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	int128		fields[3];
	RatioState *state = palloc(sizeof(RatioState));

	parse_state_fields(input, "tiktrack.ratio_state", fields, 3);
	state->count = checked_row_count(fields[0], "tiktrack.ratio_state");
	state->num = fields[1];
	state->den = fields[2];
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_ratio_state_out);
Datum
tiktrack_ratio_state_out(PG_FUNCTION_ARGS)
{
	RatioState *state = (RatioState *) PG_GETARG_POINTER(0);
	char		num[TT_INT128_BUFLEN];
	char		den[TT_INT128_BUFLEN];

	tt_format_int128(state->num, num);
	tt_format_int128(state->den, den);
	PG_RETURN_CSTRING(psprintf("(" INT64_FORMAT ",%s,%s)",
							   state->count, num, den));
}

PG_FUNCTION_INFO_V1(tiktrack_ratio_state_recv);
Datum
tiktrack_ratio_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	RatioState *state = palloc(sizeof(RatioState));

	state->count = checked_row_count(pq_getmsgint64(buf), "tiktrack.ratio_state");
	state->num = recv_int128(buf);
	state->den = recv_int128(buf);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_ratio_state_send);
Datum
tiktrack_ratio_state_send(PG_FUNCTION_ARGS)
{
	RatioState *state = (RatioState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->count);
	send_int128(&buf, state->num);
	send_int128(&buf, state->den);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

PG_FUNCTION_INFO_V1(tiktrack_weighted_sum_state_in);
Datum
tiktrack_weighted_sum_state_in(PG_FUNCTION_ARGS)
{
	const char *input = PG_GETARG_CSTRING(0);
	int128		fields[3];
	WeightedSumState *state = palloc(sizeof(WeightedSumState));

	parse_state_fields(input, "tiktrack.weighted_sum_state", fields, 3);
	state->count = checked_row_count(fields[0], "tiktrack.weighted_sum_state");
	state->whole = fields[1];
	if (fields[2] < 0 || fields[2] > (int128) PG_UINT64_MAX)
		ereport(ERROR,
				(errcode(ERRCODE_NUMERIC_VALUE_OUT_OF_RANGE),
				 errmsg("fraction of tiktrack.weighted_sum_state must be between 0 and " UINT64_FORMAT,
						PG_UINT64_MAX),
				 errdetail("The sum is whole + frac / 2^64.")));
	state->frac = (uint64) fields[2];
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_weighted_sum_state_out);
Datum
tiktrack_weighted_sum_state_out(PG_FUNCTION_ARGS)
{
	WeightedSumState *state = (WeightedSumState *) PG_GETARG_POINTER(0);
	char		whole[TT_INT128_BUFLEN];

	tt_format_int128(state->whole, whole);
	PG_RETURN_CSTRING(psprintf("(" INT64_FORMAT ",%s," UINT64_FORMAT ")",
							   state->count, whole, state->frac));
}

PG_FUNCTION_INFO_V1(tiktrack_weighted_sum_state_recv);
Datum
tiktrack_weighted_sum_state_recv(PG_FUNCTION_ARGS)
{
	StringInfo	buf = (StringInfo) PG_GETARG_POINTER(0);
	WeightedSumState *state = palloc(sizeof(WeightedSumState));

	state->count = checked_row_count(pq_getmsgint64(buf), "tiktrack.weighted_sum_state");
	state->whole = recv_int128(buf);
	state->frac = (uint64) pq_getmsgint64(buf);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_weighted_sum_state_send);
Datum
tiktrack_weighted_sum_state_send(PG_FUNCTION_ARGS)
{
	WeightedSumState *state = (WeightedSumState *) PG_GETARG_POINTER(0);
	StringInfoData buf;

	pq_begintypsend(&buf);
	pq_sendint64(&buf, state->count);
	send_int128(&buf, state->whole);
	pq_sendint64(&buf, (int64) state->frac);
	PG_RETURN_BYTEA_P(pq_endtypsend(&buf));
}

/* ----------------------------------------------------------------
 * Ratio aggregates: engagement_rate, roi, roas, cpm, cpv
 * ----------------------------------------------------------------
 */

/*
 * The state argument, writable.  As an aggregate the executor owns the
 * state and lets us change it in place (no palloc per row); called as a
 * plain function, the argument may be a constant or a table value, so we
 * work on a copy.
 */
static inline void *
writable_state(FunctionCallInfo fcinfo, Size size)
{
	void	   *state = PG_GETARG_POINTER(0);
	void	   *copy;

	if (AggCheckCallContext(fcinfo, NULL))
		return state;
	copy = palloc(size);
	memcpy(copy, state, size);
	return copy;
}

/* Adds (sign = 1) or removes (sign = -1) one row's num and den. */
static inline void
ratio_state_apply(RatioState *state, int sign, int128 num, int128 den)
{
	if (sign > 0)
	{
		if (unlikely(state->count == PG_INT64_MAX))
			out_of_range_error("row count of tiktrack.ratio_state");
		state->count++;
		if (unlikely(tt_add_int128_overflow(state->num, num, &state->num) ||
					 tt_add_int128_overflow(state->den, den, &state->den)))
			out_of_range_error("sum in tiktrack.ratio_state");
	}
	else
	{
		if (unlikely(state->count <= 0))
			empty_state_error("tiktrack.ratio_state");
		state->count--;
		if (unlikely(tt_sub_int128_overflow(state->num, num, &state->num) ||
					 tt_sub_int128_overflow(state->den, den, &state->den)))
			out_of_range_error("sum in tiktrack.ratio_state");
	}
}

/*
 * engagement_rate(views, likes, comments, shares [, saves]): the one C
 * function serves both arities.  num = engagements, den = views.
 */
static inline Datum
engagement_rate_step(FunctionCallInfo fcinfo, int sign)
{
	RatioState *state = writable_state(fcinfo, sizeof(RatioState));
	int64		views = PG_GETARG_INT64(1);
	int128		engagements = 0;

	check_non_negative(views, engagement_arg_names[1]);
	for (int i = 2; i < PG_NARGS(); i++)
	{
		int64		count = PG_GETARG_INT64(i);

		check_non_negative(count, engagement_arg_names[i]);
		engagements += count;
	}
	ratio_state_apply(state, sign, engagements, views);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_engagement_rate_accum);
Datum
tiktrack_engagement_rate_accum(PG_FUNCTION_ARGS)
{
	return engagement_rate_step(fcinfo, 1);
}

PG_FUNCTION_INFO_V1(tiktrack_engagement_rate_retract);
Datum
tiktrack_engagement_rate_retract(PG_FUNCTION_ARGS)
{
	return engagement_rate_step(fcinfo, -1);
}

/* roi and roas: num = revenue (may be negative: refunds), den = cost. */
static inline Datum
revenue_cost_step(FunctionCallInfo fcinfo, int sign)
{
	RatioState *state = writable_state(fcinfo, sizeof(RatioState));
	int64		revenue = PG_GETARG_INT64(1);
	int64		cost = PG_GETARG_INT64(2);

	check_non_negative(cost, "cost_cents");
	ratio_state_apply(state, sign, revenue, cost);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_revenue_cost_accum);
Datum
tiktrack_revenue_cost_accum(PG_FUNCTION_ARGS)
{
	return revenue_cost_step(fcinfo, 1);
}

PG_FUNCTION_INFO_V1(tiktrack_revenue_cost_retract);
Datum
tiktrack_revenue_cost_retract(PG_FUNCTION_ARGS)
{
	return revenue_cost_step(fcinfo, -1);
}

/* cpm and cpv: num = cost, den = views. */
static inline Datum
cost_views_step(FunctionCallInfo fcinfo, int sign)
{
	RatioState *state = writable_state(fcinfo, sizeof(RatioState));
	int64		cost = PG_GETARG_INT64(1);
	int64		views = PG_GETARG_INT64(2);

	check_non_negative(cost, "cost_cents");
	check_non_negative(views, "views");
	ratio_state_apply(state, sign, cost, views);
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_cost_views_accum);
Datum
tiktrack_cost_views_accum(PG_FUNCTION_ARGS)
{
	return cost_views_step(fcinfo, 1);
}

PG_FUNCTION_INFO_V1(tiktrack_cost_views_retract);
Datum
tiktrack_cost_views_retract(PG_FUNCTION_ARGS)
{
	return cost_views_step(fcinfo, -1);
}

/*
 * Merges two partial states (parallel workers, Citus shards).  Not STRICT:
 * either side may be NULL.
 */
PG_FUNCTION_INFO_V1(tiktrack_ratio_state_combine);
Datum
tiktrack_ratio_state_combine(PG_FUNCTION_ARGS)
{
	RatioState *state;
	RatioState *other;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(PG_GETARG_DATUM(1));	/* the executor copies it */

	state = writable_state(fcinfo, sizeof(RatioState));
	other = (RatioState *) PG_GETARG_POINTER(1);
	if (unlikely(pg_add_s64_overflow(state->count, other->count, &state->count)))
		out_of_range_error("row count of tiktrack.ratio_state");
	if (unlikely(tt_add_int128_overflow(state->num, other->num, &state->num) ||
				 tt_add_int128_overflow(state->den, other->den, &state->den)))
		out_of_range_error("sum in tiktrack.ratio_state");
	PG_RETURN_POINTER(state);
}

/* Final function of engagement_rate, roas and cpv: num / den. */
PG_FUNCTION_INFO_V1(tiktrack_ratio_state_quotient);
Datum
tiktrack_ratio_state_quotient(PG_FUNCTION_ARGS)
{
	RatioState *state = (RatioState *) PG_GETARG_POINTER(0);

	if (state->count == 0 || state->den == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8((double) state->num / (double) state->den);
}

/* Final function of roi: (num - den) / den, the difference taken exactly. */
PG_FUNCTION_INFO_V1(tiktrack_ratio_state_roi);
Datum
tiktrack_ratio_state_roi(PG_FUNCTION_ARGS)
{
	RatioState *state = (RatioState *) PG_GETARG_POINTER(0);
	int128		gain;

	if (state->count == 0 || state->den == 0)
		PG_RETURN_NULL();
	if (tt_sub_int128_overflow(state->num, state->den, &gain))
		PG_RETURN_FLOAT8((double) state->num / (double) state->den - 1.0);
	PG_RETURN_FLOAT8((double) gain / (double) state->den);
}

/* Final function of cpm: num * 1000 / den, the product taken exactly. */
PG_FUNCTION_INFO_V1(tiktrack_ratio_state_per_mille);
Datum
tiktrack_ratio_state_per_mille(PG_FUNCTION_ARGS)
{
	RatioState *state = (RatioState *) PG_GETARG_POINTER(0);
	const int128 limit = TT_INT128_MAX / 1000;

	if (state->count == 0 || state->den == 0)
		PG_RETURN_NULL();
	if (state->num > limit || state->num < -limit)
		PG_RETURN_FLOAT8((double) state->num * 1000.0 / (double) state->den);
	PG_RETURN_FLOAT8((double) (state->num * 1000) / (double) state->den);
}

/* ----------------------------------------------------------------
 * completion_weighted_views(views, completion_rate)
 * ----------------------------------------------------------------
 */

static inline Datum
completion_weighted_views_step(FunctionCallInfo fcinfo, int sign)
{
	WeightedSumState *state = writable_state(fcinfo, sizeof(WeightedSumState));
	int64		views = PG_GETARG_INT64(1);
	double		rate = PG_GETARG_FLOAT8(2);
	TtFixed		sum = {state->whole, state->frac};
	uint128		units;

	check_non_negative(views, "views");
	check_completion_rate(rate);
	units = tt_views_times_rate(views, rate);
	if (sign > 0)
	{
		if (unlikely(state->count == PG_INT64_MAX))
			out_of_range_error("row count of tiktrack.weighted_sum_state");
		state->count++;
		if (unlikely(tt_fixed_add_units(&sum, units)))
			out_of_range_error("sum in tiktrack.weighted_sum_state");
	}
	else
	{
		if (unlikely(state->count <= 0))
			empty_state_error("tiktrack.weighted_sum_state");
		state->count--;
		if (unlikely(tt_fixed_sub_units(&sum, units)))
			out_of_range_error("sum in tiktrack.weighted_sum_state");
	}
	state->whole = sum.whole;
	state->frac = sum.frac;
	PG_RETURN_POINTER(state);
}

PG_FUNCTION_INFO_V1(tiktrack_completion_weighted_views_accum);
Datum
tiktrack_completion_weighted_views_accum(PG_FUNCTION_ARGS)
{
	return completion_weighted_views_step(fcinfo, 1);
}

PG_FUNCTION_INFO_V1(tiktrack_completion_weighted_views_retract);
Datum
tiktrack_completion_weighted_views_retract(PG_FUNCTION_ARGS)
{
	return completion_weighted_views_step(fcinfo, -1);
}

PG_FUNCTION_INFO_V1(tiktrack_weighted_sum_state_combine);
Datum
tiktrack_weighted_sum_state_combine(PG_FUNCTION_ARGS)
{
	WeightedSumState *state;
	WeightedSumState *other;
	TtFixed		sum;
	TtFixed		other_sum;

	if (PG_ARGISNULL(1))
	{
		if (PG_ARGISNULL(0))
			PG_RETURN_NULL();
		PG_RETURN_DATUM(PG_GETARG_DATUM(0));
	}
	if (PG_ARGISNULL(0))
		PG_RETURN_DATUM(PG_GETARG_DATUM(1));	/* the executor copies it */

	state = writable_state(fcinfo, sizeof(WeightedSumState));
	other = (WeightedSumState *) PG_GETARG_POINTER(1);
	if (unlikely(pg_add_s64_overflow(state->count, other->count, &state->count)))
		out_of_range_error("row count of tiktrack.weighted_sum_state");
	sum.whole = state->whole;
	sum.frac = state->frac;
	other_sum.whole = other->whole;
	other_sum.frac = other->frac;
	if (unlikely(tt_fixed_add(&sum, &other_sum)))
		out_of_range_error("sum in tiktrack.weighted_sum_state");
	state->whole = sum.whole;
	state->frac = sum.frac;
	PG_RETURN_POINTER(state);
}

/* Final function: the sum as the nearest float8, NULL without rows. */
PG_FUNCTION_INFO_V1(tiktrack_weighted_sum_state_value);
Datum
tiktrack_weighted_sum_state_value(PG_FUNCTION_ARGS)
{
	WeightedSumState *state = (WeightedSumState *) PG_GETARG_POINTER(0);
	TtFixed		sum = {state->whole, state->frac};

	if (state->count == 0)
		PG_RETURN_NULL();
	PG_RETURN_FLOAT8(tt_fixed_to_double(&sum));
}
