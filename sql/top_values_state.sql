-- tiktrack.top_values_state, the state of top_values: its text and binary
-- forms, bad input, states stored in a table, and the combine function on
-- flat (hand-made) states, as Citus' coordinator and parallel leaders use it.
CREATE EXTENSION tiktrack;

-- Text form: jsonb, keys in jsonb's order.
SELECT '{"n": 2, "counts": {"fyp": 3, "ad": 1, "beach": 3}}'::tiktrack.top_values_state;
SELECT tiktrack.top_values_final('{"n": 2, "counts": {"fyp": 3, "ad": 1, "beach": 3}}');
SELECT tiktrack.top_values_final('{"n": 5, "counts": {}}');
SELECT tiktrack.top_values_final(NULL);

-- Binary form: n, number of values, then (count, length, bytes) each.
SELECT tiktrack.top_values_state_send('{"n": 2, "counts": {"é": 3}}');

-- Bad text: 22P02, naming what is wrong.
SELECT '{"n": 0, "counts": {}}'::tiktrack.top_values_state;
SELECT '{"n": 10001, "counts": {}}'::tiktrack.top_values_state;
SELECT '{"n": 2, "counts": {"a": 0}}'::tiktrack.top_values_state;
SELECT '{"n": 2, "counts": {"a": 1.5}}'::tiktrack.top_values_state;
SELECT '{"n": 2, "counts": {"a": "1"}}'::tiktrack.top_values_state;
SELECT '{"n": 2, "counts": {"a": 9223372036854775808}}'::tiktrack.top_values_state;
SELECT '{"n": 2, "counts": []}'::tiktrack.top_values_state;
SELECT '{"n": 2}'::tiktrack.top_values_state;
SELECT '{"n": 2, "counts": {}, "x": 1}'::tiktrack.top_values_state;
SELECT '[1]'::tiktrack.top_values_state;

-- States stored in a table (flat, possibly compressed) read back exactly.
CREATE TABLE tv_states (id int, s tiktrack.top_values_state);
INSERT INTO tv_states
SELECT k, (SELECT format('{"n": 3, "counts": %s}',
						 jsonb_object_agg('tag' || i, i * k))::tiktrack.top_values_state
		   FROM generate_series(1, 2000) i)
FROM generate_series(1, 2) k;
SELECT id, tiktrack.top_values_final(s), pg_column_size(s) < 2000 * 12 AS compressed
FROM tv_states ORDER BY id;

-- Combining flat states (the coordinator's side): counts add up, n must agree.
CREATE AGGREGATE tv_merge(tiktrack.top_values_state) (
	SFUNC = tiktrack.top_values_combine,
	STYPE = tiktrack.top_values_state,
	FINALFUNC = tiktrack.top_values_final
);
SELECT tv_merge(s) FROM tv_states;
SELECT tv_merge(s) FROM (VALUES ('{"n": 2, "counts": {"a": 2, "b": 1}}'::tiktrack.top_values_state),
								(NULL),
								('{"n": 2, "counts": {"b": 2, "c": 1}}')) v(s);
SELECT tv_merge(s) FROM (VALUES ('{"n": 2, "counts": {"a": 1}}'::tiktrack.top_values_state),
								('{"n": 3, "counts": {"a": 1}}')) v(s);
SELECT tv_merge(s) FROM (VALUES ('{"n": 1, "counts": {"a": 9223372036854775807}}'::tiktrack.top_values_state),
								('{"n": 1, "counts": {"a": 1}}')) v(s);
-- The transition functions refuse to run outside an aggregate.
SELECT tiktrack.top_values_accum(NULL, ARRAY['x'], 2);
-- Text round trip of a stored state.
SELECT tv_merge(s::text::tiktrack.top_values_state) = tv_merge(s) AS text_round_trip FROM tv_states;

DROP EXTENSION tiktrack CASCADE;
