/*
 * Citus (issue 13): top_values gets a state type of its own,
 * tiktrack.top_values_state, instead of "internal", so that Citus
 * aggregates it partially on the shards.  A state type cannot be altered:
 * the aggregate and its support functions are dropped and created again
 * exactly as in sql/install/30_aggregates.sql.  Nothing stored depends on
 * them (campaign_metrics() is PL/pgSQL and resolves them at run time).
 */
DROP AGGREGATE tiktrack.top_values(text[], integer);
DROP FUNCTION tiktrack.top_values_accum(internal, text[], integer);
DROP FUNCTION tiktrack.top_values_combine(internal, internal);
DROP FUNCTION tiktrack.top_values_serialize(internal);
DROP FUNCTION tiktrack.top_values_deserialize(bytea, internal);
DROP FUNCTION tiktrack.top_values_final(internal);

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

-- Not for PUBLIC, as every aggregate support and type I/O function
-- (80_bi.sql of the install script).
REVOKE EXECUTE ON FUNCTION
	tiktrack.top_values_state_in(cstring),
	tiktrack.top_values_state_out(tiktrack.top_values_state),
	tiktrack.top_values_state_recv(internal),
	tiktrack.top_values_state_send(tiktrack.top_values_state),
	tiktrack.top_values_accum(tiktrack.top_values_state, text[], integer),
	tiktrack.top_values_combine(tiktrack.top_values_state, tiktrack.top_values_state),
	tiktrack.top_values_final(tiktrack.top_values_state)
	FROM PUBLIC;
