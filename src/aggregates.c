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
 * Speed: one call per row does the work of several sum() transitions and
 * the additions between them.  When called as an aggregate the transition
 * functions update their state in place instead of allocating a new one
 * per row, as int8_avg_accum does.  Each accumulate function has a fast
 * path for the common row (aggregate context, no NULL, no negative value,
 * no overflow) that needs no stack frame; anything else goes to a general
 * path that starts over and raises the errors.  The functions are not
 * STRICT: they skip a row with a NULL argument themselves ("a row counts
 * only when all its arguments are known"), which measured faster than the
 * executor's strict check step in front of every call.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "common/int.h"
#include "fmgr.h"
#include "nodes/execnodes.h"
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

static void negative_input_error(const char *name, int64 value) pg_attribute_noreturn();
static void completion_rate_error(double rate) pg_attribute_noreturn();
static void out_of_range_error(const char *what) pg_attribute_noreturn();
static void empty_state_error(const char *typname) pg_attribute_noreturn();
static void negative_argument_error(FunctionCallInfo fcinfo, const char *const *names) pg_attribute_noreturn();

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
 * Transition functions: shared machinery
 *
 * They run once per row and must cost less than the plain-SQL sum()s they
 * replace, so the fast path is one test for NULLs, one for signs and
 * one for overflow, with every error raised out of line.
 * ----------------------------------------------------------------
 */

/*
 * True when the executor calls us as an aggregate or window aggregate: it
 * then owns the state and lets us change it in place.  This is the test
 * AggCheckCallContext() makes, inlined because it runs once per row.
 */
static inline bool
called_as_aggregate(FunctionCallInfo fcinfo)
{
	return fcinfo->context != NULL &&
		(IsA(fcinfo->context, AggState) || IsA(fcinfo->context, WindowAggState));
}

/*
 * The state argument, writable.  As an aggregate we change it in place (no
 * palloc per row); called as a plain function, the argument may be a
 * constant or a table value, so we work on a copy.  A NULL state, which
 * the aggregates never pass (they have an initial state), means no rows.
 */
static inline void *
writable_state(FunctionCallInfo fcinfo, Size size)
{
	void	   *copy;

	if (unlikely(PG_ARGISNULL(0)))
		return palloc0(size);
	if (likely(called_as_aggregate(fcinfo)))
		return PG_GETARG_POINTER(0);
	copy = palloc(size);
	memcpy(copy, PG_GETARG_POINTER(0), size);
	return copy;
}

/*
 * The result for a row with a NULL argument: it does not count, the state
 * is returned unchanged.  (The transition functions are not STRICT: the
 * executor's strict check in front of every call measured slower than
 * this test.)
 */
static inline Datum
skip_row(FunctionCallInfo fcinfo)
{
	if (PG_ARGISNULL(0))
		PG_RETURN_NULL();
	PG_RETURN_DATUM(PG_GETARG_DATUM(0));
}

/*
 * Raises the error for the first negative bigint argument that has a name
 * in names[] (NULL for arguments that may be negative or are not bigint).
 */
static pg_noinline void
negative_argument_error(FunctionCallInfo fcinfo, const char *const *names)
{
	for (int i = 1; i < PG_NARGS(); i++)
	{
		if (names[i] != NULL && PG_GETARG_INT64(i) < 0)
			negative_input_error(names[i], PG_GETARG_INT64(i));
	}
	elog(ERROR, "no negative argument found");
}

/*
 * Adds one row's num and den to the state; false, with the state untouched,
 * when the row count or a sum would overflow.
 */
static inline bool
ratio_state_try_add(RatioState *state, int128 num, int128 den)
{
	int64		count;
	int128		num_sum;
	int128		den_sum;

	/* | rather than ||: one branch for the three checks */
	if (unlikely(pg_add_s64_overflow(state->count, 1, &count) |
				 tt_add_int128_overflow(state->num, num, &num_sum) |
				 tt_add_int128_overflow(state->den, den, &den_sum)))
		return false;
	state->count = count;
	state->num = num_sum;
	state->den = den_sum;
	return true;
}

/* The same, raising 22003 on overflow. */
static inline void
ratio_state_add_row(RatioState *state, int128 num, int128 den)
{
	if (unlikely(!ratio_state_try_add(state, num, den)))
		out_of_range_error(state->count == PG_INT64_MAX ?
						   "row count of tiktrack.ratio_state" :
						   "sum in tiktrack.ratio_state");
}

/*
 * True for the common call: as an aggregate, with a state and no NULL
 * argument among the first nargs.
 */
static inline bool
fast_path_call(FunctionCallInfo fcinfo, int nargs)
{
	NullableDatum *args = fcinfo->args;
	bool		any_null = args[0].isnull | args[1].isnull | args[2].isnull;

	for (int i = 3; i < nargs; i++)
		any_null |= args[i].isnull;
	return likely(!any_null) && likely(called_as_aggregate(fcinfo));
}

/* Removes a row that left a window frame: the exact inverse of the above. */
static inline void
ratio_state_remove_row(RatioState *state, int128 num, int128 den)
{
	int128		num_sum;
	int128		den_sum;

	if (unlikely(state->count <= 0))
		empty_state_error("tiktrack.ratio_state");
	if (unlikely(tt_sub_int128_overflow(state->num, num, &num_sum) |
				 tt_sub_int128_overflow(state->den, den, &den_sum)))
		out_of_range_error("sum in tiktrack.ratio_state");
	state->count--;
	state->num = num_sum;
	state->den = den_sum;
}

/* ----------------------------------------------------------------
 * Ratio aggregates: engagement_rate, roi, roas, cpm, cpv
 * ----------------------------------------------------------------
 */

/*
 * engagement_rate(views, likes, comments, shares [, saves]):
 * num = engagements, den = views.  One C function serves both arities;
 * the compiler specializes the inline step for each.
 */
static pg_attribute_always_inline Datum
engagement_rate_step(FunctionCallInfo fcinfo, bool with_saves, bool add)
{
	NullableDatum *args = fcinfo->args;
	RatioState *state;
	int64		views;
	int64		likes;
	int64		comments;
	int64		shares;
	int64		saves = 0;
	int128		engagements;

	if (unlikely(args[1].isnull | args[2].isnull | args[3].isnull | args[4].isnull |
				 (with_saves && args[5].isnull)))
		return skip_row(fcinfo);
	views = DatumGetInt64(args[1].value);
	likes = DatumGetInt64(args[2].value);
	comments = DatumGetInt64(args[3].value);
	shares = DatumGetInt64(args[4].value);
	if (with_saves)
		saves = DatumGetInt64(args[5].value);
	if (unlikely((views | likes | comments | shares | saves) < 0))
		negative_argument_error(fcinfo, engagement_arg_names);

	state = writable_state(fcinfo, sizeof(RatioState));
	engagements = (int128) likes + comments + shares + saves;
	if (add)
		ratio_state_add_row(state, engagements, views);
	else
		ratio_state_remove_row(state, engagements, views);
	PG_RETURN_POINTER(state);
}

static pg_noinline Datum
engagement_rate_general(FunctionCallInfo fcinfo, bool add)
{
	if (PG_NARGS() == 6)
		return engagement_rate_step(fcinfo, true, add);
	return engagement_rate_step(fcinfo, false, add);
}

/*
 * The fast path of the accumulate function: as an aggregate, no NULLs, no
 * negative counts, no overflow.  Anything else takes the general path,
 * which starts over and raises the errors.
 */
static inline bool
engagement_rate_fast_add(FunctionCallInfo fcinfo, bool with_saves)
{
	NullableDatum *args = fcinfo->args;
	int64		views;
	int64		likes;
	int64		comments;
	int64		shares;
	int64		saves = 0;

	if (!fast_path_call(fcinfo, with_saves ? 6 : 5))
		return false;
	views = DatumGetInt64(args[1].value);
	likes = DatumGetInt64(args[2].value);
	comments = DatumGetInt64(args[3].value);
	shares = DatumGetInt64(args[4].value);
	if (with_saves)
		saves = DatumGetInt64(args[5].value);
	if (unlikely((views | likes | comments | shares | saves) < 0))
		return false;
	/* non-negative: zero-extension, and the sum of four stays below 2^65 */
	return ratio_state_try_add((RatioState *) DatumGetPointer(args[0].value),
							   (int128) ((uint128) (uint64) likes + (uint64) comments +
										 (uint64) shares + (uint64) saves),
							   (int128) (uint64) views);
}

PG_FUNCTION_INFO_V1(tiktrack_engagement_rate_accum);
Datum
tiktrack_engagement_rate_accum(PG_FUNCTION_ARGS)
{
	if (PG_NARGS() == 6 ? engagement_rate_fast_add(fcinfo, true) :
		engagement_rate_fast_add(fcinfo, false))
		PG_RETURN_DATUM(fcinfo->args[0].value);
	return engagement_rate_general(fcinfo, true);
}

PG_FUNCTION_INFO_V1(tiktrack_engagement_rate_retract);
Datum
tiktrack_engagement_rate_retract(PG_FUNCTION_ARGS)
{
	return engagement_rate_general(fcinfo, false);
}

/*
 * Two bigint arguments, num and den: roi and roas (revenue, which may be
 * negative for refunds, and cost), cpm and cpv (cost and views).
 */
static const char *const revenue_cost_arg_names[] = {"state", NULL, "cost_cents"};
static const char *const cost_views_arg_names[] = {"state", "cost_cents", "views"};

static pg_attribute_always_inline Datum
num_den_step(FunctionCallInfo fcinfo, bool num_signed, const char *const *names,
			 bool add)
{
	NullableDatum *args = fcinfo->args;
	RatioState *state;
	int64		num;
	int64		den;

	if (unlikely(args[1].isnull | args[2].isnull))
		return skip_row(fcinfo);
	num = DatumGetInt64(args[1].value);
	den = DatumGetInt64(args[2].value);
	if (unlikely(((num_signed ? 0 : num) | den) < 0))
		negative_argument_error(fcinfo, names);

	state = writable_state(fcinfo, sizeof(RatioState));
	if (add)
		ratio_state_add_row(state, num, den);
	else
		ratio_state_remove_row(state, num, den);
	PG_RETURN_POINTER(state);
}

static pg_noinline Datum
revenue_cost_general(FunctionCallInfo fcinfo, bool add)
{
	return num_den_step(fcinfo, true, revenue_cost_arg_names, add);
}

static pg_noinline Datum
cost_views_general(FunctionCallInfo fcinfo, bool add)
{
	return num_den_step(fcinfo, false, cost_views_arg_names, add);
}

/* The fast path of the two-argument accumulate functions. */
static inline bool
num_den_fast_add(FunctionCallInfo fcinfo, bool num_signed)
{
	NullableDatum *args = fcinfo->args;
	int64		num;
	int64		den;

	if (!fast_path_call(fcinfo, 3))
		return false;
	num = DatumGetInt64(args[1].value);
	den = DatumGetInt64(args[2].value);
	if (unlikely(((num_signed ? 0 : num) | den) < 0))
		return false;
	return ratio_state_try_add((RatioState *) DatumGetPointer(args[0].value),
							   num_signed ? (int128) num : (int128) (uint64) num,
							   (int128) (uint64) den);
}

PG_FUNCTION_INFO_V1(tiktrack_revenue_cost_accum);
Datum
tiktrack_revenue_cost_accum(PG_FUNCTION_ARGS)
{
	if (num_den_fast_add(fcinfo, true))
		PG_RETURN_DATUM(fcinfo->args[0].value);
	return revenue_cost_general(fcinfo, true);
}

PG_FUNCTION_INFO_V1(tiktrack_revenue_cost_retract);
Datum
tiktrack_revenue_cost_retract(PG_FUNCTION_ARGS)
{
	return revenue_cost_general(fcinfo, false);
}

PG_FUNCTION_INFO_V1(tiktrack_cost_views_accum);
Datum
tiktrack_cost_views_accum(PG_FUNCTION_ARGS)
{
	if (num_den_fast_add(fcinfo, false))
		PG_RETURN_DATUM(fcinfo->args[0].value);
	return cost_views_general(fcinfo, true);
}

PG_FUNCTION_INFO_V1(tiktrack_cost_views_retract);
Datum
tiktrack_cost_views_retract(PG_FUNCTION_ARGS)
{
	return cost_views_general(fcinfo, false);
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

static pg_attribute_always_inline Datum
completion_weighted_views_step(FunctionCallInfo fcinfo, bool add)
{
	NullableDatum *args = fcinfo->args;
	WeightedSumState *state;
	int64		views;
	double		rate;
	TtFixed		sum;
	uint128		units;

	if (unlikely(args[1].isnull | args[2].isnull))
		return skip_row(fcinfo);
	views = DatumGetInt64(args[1].value);
	rate = DatumGetFloat8(args[2].value);
	if (unlikely(views < 0))
		negative_input_error("views", views);
	if (unlikely(!tt_rate_in_unit_interval(rate)))
		completion_rate_error(rate);

	state = writable_state(fcinfo, sizeof(WeightedSumState));
	units = tt_views_times_rate(views, rate);
	sum.whole = state->whole;
	sum.frac = state->frac;
	if (add)
	{
		int64		count;

		if (unlikely(pg_add_s64_overflow(state->count, 1, &count) |
					 tt_fixed_add_units(&sum, units)))
			out_of_range_error(state->count == PG_INT64_MAX ?
							   "row count of tiktrack.weighted_sum_state" :
							   "sum in tiktrack.weighted_sum_state");
		state->count = count;
	}
	else
	{
		if (unlikely(state->count <= 0))
			empty_state_error("tiktrack.weighted_sum_state");
		if (unlikely(tt_fixed_sub_units(&sum, units)))
			out_of_range_error("sum in tiktrack.weighted_sum_state");
		state->count--;
	}
	state->whole = sum.whole;
	state->frac = sum.frac;
	PG_RETURN_POINTER(state);
}

static pg_noinline Datum
completion_weighted_views_general(FunctionCallInfo fcinfo, bool add)
{
	return completion_weighted_views_step(fcinfo, add);
}

/*
 * The fast path of the accumulate function, as for the ratio aggregates,
 * for the usual completion rates (2^-10 to 1, see tt_views_times_rate());
 * smaller rates, zero included, take the general path.
 */
static inline bool
completion_weighted_views_fast_add(FunctionCallInfo fcinfo)
{
	NullableDatum *args = fcinfo->args;
	WeightedSumState *state;
	int64		views;
	double		rate;
	int64		count;
	TtFixed		sum;

	if (!fast_path_call(fcinfo, 3))
		return false;
	views = DatumGetInt64(args[1].value);
	rate = DatumGetFloat8(args[2].value);
	/* written so that NaN fails too */
	if (unlikely(views < 0) || unlikely(!(rate >= 0x1p-10 && rate <= 1.0)))
		return false;
	state = (WeightedSumState *) DatumGetPointer(args[0].value);
	sum.whole = state->whole;
	sum.frac = state->frac;
	if (unlikely(pg_add_s64_overflow(state->count, 1, &count) |
				 tt_fixed_add_units(&sum, tt_views_times_common_rate(views, rate))))
		return false;
	state->count = count;
	state->whole = sum.whole;
	state->frac = sum.frac;
	return true;
}

PG_FUNCTION_INFO_V1(tiktrack_completion_weighted_views_accum);
Datum
tiktrack_completion_weighted_views_accum(PG_FUNCTION_ARGS)
{
	if (completion_weighted_views_fast_add(fcinfo))
		PG_RETURN_DATUM(fcinfo->args[0].value);
	return completion_weighted_views_general(fcinfo, true);
}

PG_FUNCTION_INFO_V1(tiktrack_completion_weighted_views_retract);
Datum
tiktrack_completion_weighted_views_retract(PG_FUNCTION_ARGS)
{
	return completion_weighted_views_general(fcinfo, false);
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
