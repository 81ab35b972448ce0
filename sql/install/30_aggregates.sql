/*
 * Campaign analytics aggregates, written in C (src/aggregates.c).
 *
 * Each is PARALLEL SAFE with a combine function and a fixed-size state type
 * of its own (no "internal" state), so parallel query and Citus can
 * aggregate partially per worker or shard; each also has an inverse
 * transition function for sliding window frames.  Sums are exact (int128,
 * or 64-bit fixed point for views x completion_rate), so serial, parallel
 * and window results agree to the last bit.  Results are float8; a zero
 * denominator or no counted row gives NULL.
 */

-- State of the ratio aggregates: (row count, numerator sum, denominator sum).
CREATE TYPE tiktrack.ratio_state;

CREATE FUNCTION tiktrack.ratio_state_in(cstring)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_ratio_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tiktrack.ratio_state_out(tiktrack.ratio_state)
RETURNS cstring
AS 'MODULE_PATHNAME', 'tiktrack_ratio_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tiktrack.ratio_state_recv(internal)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_ratio_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tiktrack.ratio_state_send(tiktrack.ratio_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'tiktrack_ratio_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE tiktrack.ratio_state (
	INPUT = tiktrack.ratio_state_in,
	OUTPUT = tiktrack.ratio_state_out,
	RECEIVE = tiktrack.ratio_state_recv,
	SEND = tiktrack.ratio_state_send,
	INTERNALLENGTH = 40,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE tiktrack.ratio_state IS
	'Transition state of engagement_rate, roi, roas, cpm and cpv: (row count, numerator sum, denominator sum), the sums exact 128-bit integers. Text form (count,num,den), e.g. (3,91300,1240000).';
COMMENT ON FUNCTION tiktrack.ratio_state_in(cstring) IS
	'Input function of tiktrack.ratio_state: parses (count,num,den); a sum outside the 128-bit range is error 22003.';
COMMENT ON FUNCTION tiktrack.ratio_state_out(tiktrack.ratio_state) IS
	'Output function of tiktrack.ratio_state: (count,num,den) in decimal.';
COMMENT ON FUNCTION tiktrack.ratio_state_recv(internal) IS
	'Binary input of tiktrack.ratio_state: count as int8, then each sum as two int8 (high, low).';
COMMENT ON FUNCTION tiktrack.ratio_state_send(tiktrack.ratio_state) IS
	'Binary output of tiktrack.ratio_state: count as int8, then each sum as two int8 (high, low).';

-- State of completion_weighted_views: (row count, whole part, fraction in 2^-64 units).
CREATE TYPE tiktrack.weighted_sum_state;

CREATE FUNCTION tiktrack.weighted_sum_state_in(cstring)
RETURNS tiktrack.weighted_sum_state
AS 'MODULE_PATHNAME', 'tiktrack_weighted_sum_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tiktrack.weighted_sum_state_out(tiktrack.weighted_sum_state)
RETURNS cstring
AS 'MODULE_PATHNAME', 'tiktrack_weighted_sum_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tiktrack.weighted_sum_state_recv(internal)
RETURNS tiktrack.weighted_sum_state
AS 'MODULE_PATHNAME', 'tiktrack_weighted_sum_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tiktrack.weighted_sum_state_send(tiktrack.weighted_sum_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'tiktrack_weighted_sum_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE tiktrack.weighted_sum_state (
	INPUT = tiktrack.weighted_sum_state_in,
	OUTPUT = tiktrack.weighted_sum_state_out,
	RECEIVE = tiktrack.weighted_sum_state_recv,
	SEND = tiktrack.weighted_sum_state_send,
	INTERNALLENGTH = 32,
	ALIGNMENT = double,
	STORAGE = plain
);

COMMENT ON TYPE tiktrack.weighted_sum_state IS
	'Transition state of completion_weighted_views: (row count, whole, frac), the sum being whole + frac / 2^64 exactly (fixed point, each row''s views x rate rounded once to 2^-64).';
COMMENT ON FUNCTION tiktrack.weighted_sum_state_in(cstring) IS
	'Input function of tiktrack.weighted_sum_state: parses (count,whole,frac) with 0 <= frac < 2^64.';
COMMENT ON FUNCTION tiktrack.weighted_sum_state_out(tiktrack.weighted_sum_state) IS
	'Output function of tiktrack.weighted_sum_state: (count,whole,frac) in decimal.';
COMMENT ON FUNCTION tiktrack.weighted_sum_state_recv(internal) IS
	'Binary input of tiktrack.weighted_sum_state: count as int8, whole as two int8 (high, low), frac as int8.';
COMMENT ON FUNCTION tiktrack.weighted_sum_state_send(tiktrack.weighted_sum_state) IS
	'Binary output of tiktrack.weighted_sum_state: count as int8, whole as two int8 (high, low), frac as int8.';

-- Support functions shared by the ratio aggregates.
CREATE FUNCTION tiktrack.ratio_state_combine(tiktrack.ratio_state, tiktrack.ratio_state)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_ratio_state_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.ratio_state_combine(tiktrack.ratio_state, tiktrack.ratio_state) IS
	'Combine function of the ratio aggregates: adds two partial states (either may be NULL); an overflowing sum is error 22003.';

CREATE FUNCTION tiktrack.ratio_state_quotient(tiktrack.ratio_state)
RETURNS float8
AS 'MODULE_PATHNAME', 'tiktrack_ratio_state_quotient'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.ratio_state_quotient(tiktrack.ratio_state) IS
	'Final function of engagement_rate, roas and cpv: num / den, NULL when den is 0 or no row was counted.';

CREATE FUNCTION tiktrack.ratio_state_roi(tiktrack.ratio_state)
RETURNS float8
AS 'MODULE_PATHNAME', 'tiktrack_ratio_state_roi'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.ratio_state_roi(tiktrack.ratio_state) IS
	'Final function of roi: (num - den) / den with the difference taken exactly, NULL when den is 0 or no row was counted.';

CREATE FUNCTION tiktrack.ratio_state_per_mille(tiktrack.ratio_state)
RETURNS float8
AS 'MODULE_PATHNAME', 'tiktrack_ratio_state_per_mille'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.ratio_state_per_mille(tiktrack.ratio_state) IS
	'Final function of cpm: num x 1000 / den with the product taken exactly, NULL when den is 0 or no row was counted.';

-- engagement_rate: (likes + comments + shares [+ saves]) summed / views summed.
CREATE FUNCTION tiktrack.engagement_rate_accum(tiktrack.ratio_state,
											   views bigint, likes bigint, comments bigint, shares bigint)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_engagement_rate_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.engagement_rate_accum(tiktrack.ratio_state, bigint, bigint, bigint, bigint) IS
	'Transition function of engagement_rate(views, likes, comments, shares): adds likes + comments + shares and views; a row with a NULL argument is skipped, negative counts are errors.';

CREATE FUNCTION tiktrack.engagement_rate_retract(tiktrack.ratio_state,
												 views bigint, likes bigint, comments bigint, shares bigint)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_engagement_rate_retract'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.engagement_rate_retract(tiktrack.ratio_state, bigint, bigint, bigint, bigint) IS
	'Inverse transition function of engagement_rate(views, likes, comments, shares): removes a row that left a sliding window frame.';

CREATE FUNCTION tiktrack.engagement_rate_accum(tiktrack.ratio_state,
											   views bigint, likes bigint, comments bigint, shares bigint, saves bigint)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_engagement_rate_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.engagement_rate_accum(tiktrack.ratio_state, bigint, bigint, bigint, bigint, bigint) IS
	'Transition function of engagement_rate(views, likes, comments, shares, saves): adds likes + comments + shares + saves and views; a row with a NULL argument is skipped, negative counts are errors.';

CREATE FUNCTION tiktrack.engagement_rate_retract(tiktrack.ratio_state,
												 views bigint, likes bigint, comments bigint, shares bigint, saves bigint)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_engagement_rate_retract'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.engagement_rate_retract(tiktrack.ratio_state, bigint, bigint, bigint, bigint, bigint) IS
	'Inverse transition function of engagement_rate(views, likes, comments, shares, saves): removes a row that left a sliding window frame.';

CREATE AGGREGATE tiktrack.engagement_rate(views bigint, likes bigint, comments bigint, shares bigint) (
	SFUNC = tiktrack.engagement_rate_accum,
	STYPE = tiktrack.ratio_state,
	FINALFUNC = tiktrack.ratio_state_quotient,
	COMBINEFUNC = tiktrack.ratio_state_combine,
	INITCOND = '(0,0,0)',
	MSFUNC = tiktrack.engagement_rate_accum,
	MINVFUNC = tiktrack.engagement_rate_retract,
	MSTYPE = tiktrack.ratio_state,
	MFINALFUNC = tiktrack.ratio_state_quotient,
	MINITCOND = '(0,0,0)',
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tiktrack.engagement_rate(bigint, bigint, bigint, bigint) IS
	'Engagement rate by views, TikTok-native: sum(likes + comments + shares) / sum(views), a ratio of sums (not a mean of per-post rates). A row counts only when all four arguments are non-NULL; negative counts are errors; NULL when total views are 0 or no row counts. Exact 128-bit sums.';

CREATE AGGREGATE tiktrack.engagement_rate(views bigint, likes bigint, comments bigint, shares bigint, saves bigint) (
	SFUNC = tiktrack.engagement_rate_accum,
	STYPE = tiktrack.ratio_state,
	FINALFUNC = tiktrack.ratio_state_quotient,
	COMBINEFUNC = tiktrack.ratio_state_combine,
	INITCOND = '(0,0,0)',
	MSFUNC = tiktrack.engagement_rate_accum,
	MINVFUNC = tiktrack.engagement_rate_retract,
	MSTYPE = tiktrack.ratio_state,
	MFINALFUNC = tiktrack.ratio_state_quotient,
	MINITCOND = '(0,0,0)',
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tiktrack.engagement_rate(bigint, bigint, bigint, bigint, bigint) IS
	'Engagement rate by views with saves: sum(likes + comments + shares + saves) / sum(views), a ratio of sums. A row counts only when all five arguments are non-NULL; negative counts are errors; NULL when total views are 0 or no row counts. Exact 128-bit sums.';

-- roi and roas: revenue and cost in cents.
CREATE FUNCTION tiktrack.revenue_cost_accum(tiktrack.ratio_state, revenue_cents bigint, cost_cents bigint)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_revenue_cost_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.revenue_cost_accum(tiktrack.ratio_state, bigint, bigint) IS
	'Transition function of roi and roas: adds revenue (may be negative, for refunds) and cost (a negative cost is an error); a row with a NULL argument is skipped.';

CREATE FUNCTION tiktrack.revenue_cost_retract(tiktrack.ratio_state, revenue_cents bigint, cost_cents bigint)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_revenue_cost_retract'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.revenue_cost_retract(tiktrack.ratio_state, bigint, bigint) IS
	'Inverse transition function of roi and roas: removes a row that left a sliding window frame.';

CREATE AGGREGATE tiktrack.roi(revenue_cents bigint, cost_cents bigint) (
	SFUNC = tiktrack.revenue_cost_accum,
	STYPE = tiktrack.ratio_state,
	FINALFUNC = tiktrack.ratio_state_roi,
	COMBINEFUNC = tiktrack.ratio_state_combine,
	INITCOND = '(0,0,0)',
	MSFUNC = tiktrack.revenue_cost_accum,
	MINVFUNC = tiktrack.revenue_cost_retract,
	MSTYPE = tiktrack.ratio_state,
	MFINALFUNC = tiktrack.ratio_state_roi,
	MINITCOND = '(0,0,0)',
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tiktrack.roi(bigint, bigint) IS
	'Return on investment: (sum(revenue) - sum(cost)) / sum(cost), e.g. 1.4 for revenue 120000 on cost 50000. Not ROAS, and no earned media value. A row counts only when both are non-NULL; NULL when total cost is 0.';

CREATE AGGREGATE tiktrack.roas(revenue_cents bigint, cost_cents bigint) (
	SFUNC = tiktrack.revenue_cost_accum,
	STYPE = tiktrack.ratio_state,
	FINALFUNC = tiktrack.ratio_state_quotient,
	COMBINEFUNC = tiktrack.ratio_state_combine,
	INITCOND = '(0,0,0)',
	MSFUNC = tiktrack.revenue_cost_accum,
	MINVFUNC = tiktrack.revenue_cost_retract,
	MSTYPE = tiktrack.ratio_state,
	MFINALFUNC = tiktrack.ratio_state_quotient,
	MINITCOND = '(0,0,0)',
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tiktrack.roas(bigint, bigint) IS
	'Return on ad spend: sum(revenue) / sum(cost), e.g. 2.4 for revenue 120000 on cost 50000. A row counts only when both are non-NULL; NULL when total cost is 0.';

-- cpm and cpv: cost in cents over views.
CREATE FUNCTION tiktrack.cost_views_accum(tiktrack.ratio_state, cost_cents bigint, views bigint)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_cost_views_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.cost_views_accum(tiktrack.ratio_state, bigint, bigint) IS
	'Transition function of cpm and cpv: adds cost and views; a row with a NULL argument is skipped, negative values are errors.';

CREATE FUNCTION tiktrack.cost_views_retract(tiktrack.ratio_state, cost_cents bigint, views bigint)
RETURNS tiktrack.ratio_state
AS 'MODULE_PATHNAME', 'tiktrack_cost_views_retract'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.cost_views_retract(tiktrack.ratio_state, bigint, bigint) IS
	'Inverse transition function of cpm and cpv: removes a row that left a sliding window frame.';

CREATE AGGREGATE tiktrack.cpm(cost_cents bigint, views bigint) (
	SFUNC = tiktrack.cost_views_accum,
	STYPE = tiktrack.ratio_state,
	FINALFUNC = tiktrack.ratio_state_per_mille,
	COMBINEFUNC = tiktrack.ratio_state_combine,
	INITCOND = '(0,0,0)',
	MSFUNC = tiktrack.cost_views_accum,
	MINVFUNC = tiktrack.cost_views_retract,
	MSTYPE = tiktrack.ratio_state,
	MFINALFUNC = tiktrack.ratio_state_per_mille,
	MINITCOND = '(0,0,0)',
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tiktrack.cpm(bigint, bigint) IS
	'Cost per mille in cents: sum(cost) x 1000 / sum(views) (views stand in for impressions on TikTok), e.g. 40.32 for 50000 cents over 1240000 views. A row counts only when both are non-NULL; NULL when total views are 0.';

CREATE AGGREGATE tiktrack.cpv(cost_cents bigint, views bigint) (
	SFUNC = tiktrack.cost_views_accum,
	STYPE = tiktrack.ratio_state,
	FINALFUNC = tiktrack.ratio_state_quotient,
	COMBINEFUNC = tiktrack.ratio_state_combine,
	INITCOND = '(0,0,0)',
	MSFUNC = tiktrack.cost_views_accum,
	MINVFUNC = tiktrack.cost_views_retract,
	MSTYPE = tiktrack.ratio_state,
	MFINALFUNC = tiktrack.ratio_state_quotient,
	MINITCOND = '(0,0,0)',
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tiktrack.cpv(bigint, bigint) IS
	'Cost per view in cents: sum(cost) / sum(views). A row counts only when both are non-NULL; NULL when total views are 0.';

-- completion_weighted_views: sum of views x completion_rate.
CREATE FUNCTION tiktrack.completion_weighted_views_accum(tiktrack.weighted_sum_state,
														 views bigint, completion_rate float8)
RETURNS tiktrack.weighted_sum_state
AS 'MODULE_PATHNAME', 'tiktrack_completion_weighted_views_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.completion_weighted_views_accum(tiktrack.weighted_sum_state, bigint, float8) IS
	'Transition function of completion_weighted_views: adds views x completion_rate; a row with a NULL argument is skipped, negative views or a rate outside 0..1 (or NaN) are errors.';

CREATE FUNCTION tiktrack.completion_weighted_views_retract(tiktrack.weighted_sum_state,
														   views bigint, completion_rate float8)
RETURNS tiktrack.weighted_sum_state
AS 'MODULE_PATHNAME', 'tiktrack_completion_weighted_views_retract'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.completion_weighted_views_retract(tiktrack.weighted_sum_state, bigint, float8) IS
	'Inverse transition function of completion_weighted_views: removes a row that left a sliding window frame, exactly.';

CREATE FUNCTION tiktrack.weighted_sum_state_combine(tiktrack.weighted_sum_state, tiktrack.weighted_sum_state)
RETURNS tiktrack.weighted_sum_state
AS 'MODULE_PATHNAME', 'tiktrack_weighted_sum_state_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.weighted_sum_state_combine(tiktrack.weighted_sum_state, tiktrack.weighted_sum_state) IS
	'Combine function of completion_weighted_views: adds two partial states (either may be NULL); overflow is error 22003.';

CREATE FUNCTION tiktrack.weighted_sum_state_value(tiktrack.weighted_sum_state)
RETURNS float8
AS 'MODULE_PATHNAME', 'tiktrack_weighted_sum_state_value'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.weighted_sum_state_value(tiktrack.weighted_sum_state) IS
	'Final function of completion_weighted_views: the exact sum rounded to the nearest float8, NULL when no row was counted.';

CREATE AGGREGATE tiktrack.completion_weighted_views(views bigint, completion_rate float8) (
	SFUNC = tiktrack.completion_weighted_views_accum,
	STYPE = tiktrack.weighted_sum_state,
	FINALFUNC = tiktrack.weighted_sum_state_value,
	COMBINEFUNC = tiktrack.weighted_sum_state_combine,
	INITCOND = '(0,0,0)',
	MSFUNC = tiktrack.completion_weighted_views_accum,
	MINVFUNC = tiktrack.completion_weighted_views_retract,
	MSTYPE = tiktrack.weighted_sum_state,
	MFINALFUNC = tiktrack.weighted_sum_state_value,
	MINITCOND = '(0,0,0)',
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tiktrack.completion_weighted_views(bigint, float8) IS
	'Completion-weighted views: sum(views x completion_rate) over rows where both are known (completion rate is NULL, never 0, where unknown), so attention counts rather than raw plays. A rate outside 0..1 is an error. Each product is exact to 2^-64, so window frames and parallel plans give the same bits; NULL without rows.';

/*
 * Most frequent values over a set of arrays (src/top_values.c,
 * src/top_values_state.c): the top hashtags and mentions of a campaign's
 * captions.  The state is a hash table of the distinct values, of a type of
 * its own (an expanded object while the aggregate runs, flat only when it
 * leaves it), so parallel workers and Citus shards count partially and the
 * leader or coordinator combines.  SSPACE: a state is a hash table of at
 * least 64 slots plus the values, a few kB.  The planner counts 8176 plus
 * two pointers, 8192 bytes a group, exactly what it assumed for 0.1.0's
 * internal state, so it chooses between hashed and sorted grouping as
 * before (with the 32 bytes it guesses for a varlena, it hashed 100,000
 * groups at once, 1.7 times slower).
 */
CREATE TYPE tiktrack.top_values_state;

CREATE FUNCTION tiktrack.top_values_state_in(cstring)
RETURNS tiktrack.top_values_state
AS 'MODULE_PATHNAME', 'tiktrack_top_values_state_in'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tiktrack.top_values_state_out(tiktrack.top_values_state)
RETURNS cstring
AS 'MODULE_PATHNAME', 'tiktrack_top_values_state_out'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tiktrack.top_values_state_recv(internal)
RETURNS tiktrack.top_values_state
AS 'MODULE_PATHNAME', 'tiktrack_top_values_state_recv'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE FUNCTION tiktrack.top_values_state_send(tiktrack.top_values_state)
RETURNS bytea
AS 'MODULE_PATHNAME', 'tiktrack_top_values_state_send'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;

CREATE TYPE tiktrack.top_values_state (
	INPUT = tiktrack.top_values_state_in,
	OUTPUT = tiktrack.top_values_state_out,
	RECEIVE = tiktrack.top_values_state_recv,
	SEND = tiktrack.top_values_state_send,
	INTERNALLENGTH = VARIABLE,
	STORAGE = extended
);

COMMENT ON TYPE tiktrack.top_values_state IS
	'Transition state of top_values: n and the count of each distinct value. Text form {"n": 10, "counts": {"value": count, ...}} (jsonb; each count at least 1), e.g. {"n": 2, "counts": {"ad": 1, "fyp": 3}}.';
COMMENT ON FUNCTION tiktrack.top_values_state_in(cstring) IS
	'Input function of tiktrack.top_values_state: parses {"n": n, "counts": {"value": count, ...}}; anything else is error 22P02.';
COMMENT ON FUNCTION tiktrack.top_values_state_out(tiktrack.top_values_state) IS
	'Output function of tiktrack.top_values_state: {"n": n, "counts": {"value": count, ...}} as jsonb text.';
COMMENT ON FUNCTION tiktrack.top_values_state_recv(internal) IS
	'Binary input of tiktrack.top_values_state: n as int4, the number of values as int4, then per value its count as int8, its length as int4 and its bytes.';
COMMENT ON FUNCTION tiktrack.top_values_state_send(tiktrack.top_values_state) IS
	'Binary output of tiktrack.top_values_state: n as int4, the number of values as int4, then per value its count as int8, its length as int4 and its bytes.';

CREATE FUNCTION tiktrack.top_values_accum(tiktrack.top_values_state, text[], integer)
RETURNS tiktrack.top_values_state
AS 'MODULE_PATHNAME', 'tiktrack_top_values_state_accum'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.top_values_accum(tiktrack.top_values_state, text[], integer) IS
	'Transition function of top_values: counts each non-NULL element of the array.';

CREATE FUNCTION tiktrack.top_values_combine(tiktrack.top_values_state, tiktrack.top_values_state)
RETURNS tiktrack.top_values_state
AS 'MODULE_PATHNAME', 'tiktrack_top_values_state_combine'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.top_values_combine(tiktrack.top_values_state, tiktrack.top_values_state) IS
	'Combine function of top_values: adds the counts of two partial states (either may be NULL); both must have the same n.';

CREATE FUNCTION tiktrack.top_values_final(tiktrack.top_values_state)
RETURNS jsonb
AS 'MODULE_PATHNAME', 'tiktrack_top_values_state_final'
LANGUAGE C IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.top_values_final(tiktrack.top_values_state) IS
	'Final function of top_values: the n most frequent values as jsonb, [] for a NULL state.';

CREATE AGGREGATE tiktrack.top_values(items text[], n integer) (
	SFUNC = tiktrack.top_values_accum,
	STYPE = tiktrack.top_values_state,
	SSPACE = 8176,
	FINALFUNC = tiktrack.top_values_final,
	COMBINEFUNC = tiktrack.top_values_combine,
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tiktrack.top_values(text[], integer) IS
	'The n (1..10000, the same in every row) most frequent elements of the arrays, as jsonb [{"value", "count"}] by count descending, then value in the collation of the arrays; count = number of occurrences (a hashtag once per caption: number of posts). NULL arrays and elements do not count; [] without any. Example: tiktrack.top_values(v.hashtags, 10).';

/*
 * Sparklines (src/sparkline.c): a series as one cell of block characters,
 * for psql result grids.  Here rather than in 80_bi.sql because the
 * campaign views of 40_campaigns.sql draw one (views_trend).
 */
CREATE FUNCTION tiktrack.sparkline("values" float8[])
RETURNS text
AS 'MODULE_PATHNAME', 'tiktrack_sparkline'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.sparkline(float8[]) IS
	'The values as a sparkline, one character each: ▁▂▃▄▅▆▇█ scaled linearly from the smallest (▁) to the largest (█) value, rounded to the nearest of the 8 heights; all equal values give ▄; NULL and NaN are a space; '''' for an empty array. Infinity is an error (22023). Example: tiktrack.sparkline(ARRAY[1, 2, 4, 8]) = ''▁▂▄█''.';

CREATE AGGREGATE tiktrack.sparkline_agg(value float8) (
	SFUNC = pg_catalog.array_append,
	STYPE = float8[],
	FINALFUNC = tiktrack.sparkline,
	INITCOND = '{}',
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tiktrack.sparkline_agg(float8) IS
	'Sparkline of the values of a group, in the order of the aggregate''s ORDER BY (as tiktrack.sparkline draws an array): SELECT handle, tiktrack.sparkline_agg(views ORDER BY captured_at) ... GROUP BY handle. NULL values are spaces.';
