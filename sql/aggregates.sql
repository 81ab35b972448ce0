-- The C aggregates: engagement_rate, completion_weighted_views, roi, roas,
-- cpm, cpv.  Exact values, NULL rules, errors, exact 128-bit sums, and the
-- same results under a parallel plan and as sliding-window functions.
CREATE EXTENSION tiktrack;

-- The worked example of metrics.md: 1,240,000 views, 84,000 likes and
-- 91,300 engagements in all, spend 50,000 cents, GMV 120,000 cents.
CREATE TABLE agg_posts (
	post		int PRIMARY KEY,
	campaign	text NOT NULL,
	views		bigint,
	likes		bigint,
	comments	bigint,
	shares		bigint,
	saves		bigint,
	completion_rate float8,
	cost_cents	bigint,
	revenue_cents bigint
);
INSERT INTO agg_posts VALUES
	(1, 'spring', 700000, 50000, 2000, 1500, 3000, 0.35, 30000, 80000),
	(2, 'spring', 400000, 25000, 1200,  800, 1500, 0.42, 15000, 30000),
	(3, 'spring', 140000,  9000, 1000,  800,  500, 0.5,   5000, 10000);

SELECT sum(views) AS views, sum(likes) AS likes, sum(likes + comments + shares) AS engagements
FROM agg_posts;

SELECT tiktrack.engagement_rate(views, likes, comments, shares) AS engagement_rate,
	   tiktrack.engagement_rate(views, likes, comments, shares, saves) AS engagement_rate_saves,
	   tiktrack.roi(revenue_cents, cost_cents) AS roi,
	   tiktrack.roas(revenue_cents, cost_cents) AS roas,
	   tiktrack.cpm(cost_cents, views) AS cpm,
	   tiktrack.cpv(cost_cents, views) AS cpv
FROM agg_posts;

-- The same figures computed by hand, to the last bit.
SELECT tiktrack.engagement_rate(views, likes, comments, shares) = 91300::float8 / 1240000 AS er_ok,
	   tiktrack.engagement_rate(views, likes, comments, shares, saves) = 96300::float8 / 1240000 AS er_saves_ok,
	   tiktrack.roi(revenue_cents, cost_cents) = 1.4::float8 AS roi_ok,
	   tiktrack.roas(revenue_cents, cost_cents) = 2.4::float8 AS roas_ok,
	   tiktrack.cpm(cost_cents, views) = 50000000::float8 / 1240000 AS cpm_ok,
	   tiktrack.cpv(cost_cents, views) = 50000::float8 / 1240000 AS cpv_ok
FROM agg_posts;
SELECT round(tiktrack.cpm(cost_cents, views)::numeric, 13) AS cpm_13_digits FROM agg_posts;

-- views x completion_rate: 245000 + 168000 + 70000.  Each product is
-- exact before one final rounding, so the result is the float8 nearest to
-- the exact sum of the float8 inputs' products.
SELECT tiktrack.completion_weighted_views(views, completion_rate) AS cwv
FROM agg_posts;

-- GROUP BY: one row per campaign, a second campaign with zero views.
INSERT INTO agg_posts VALUES
	(4, 'summer', 0, 0, 0, 0, 0, 0.0, 0, 500),
	(5, 'summer', 0, 0, 0, 0, 0, 1.0, 0, 0),
	(6, 'autumn', 1000, 30, 20, 10, 40, 0.25, 700, 0),
	(7, 'autumn', 3000, 90, 60, 30, 120, 0.75, 2100, 1400);
SELECT campaign,
	   tiktrack.engagement_rate(views, likes, comments, shares) AS er,
	   tiktrack.engagement_rate(views, likes, comments, shares, saves) AS er_saves,
	   tiktrack.completion_weighted_views(views, completion_rate) AS cwv,
	   tiktrack.roi(revenue_cents, cost_cents) AS roi,
	   tiktrack.roas(revenue_cents, cost_cents) AS roas,
	   tiktrack.cpm(cost_cents, views) AS cpm,
	   tiktrack.cpv(cost_cents, views) AS cpv
FROM agg_posts GROUP BY campaign ORDER BY campaign;

-- NULL handling: a row counts only when every argument is known.  Post 8
-- has no shares (so neither its views nor its likes count in
-- engagement_rate), post 9 no saves (counts without saves only), post 10
-- no completion rate, post 11 no views at all, post 12 no cost.
CREATE TABLE agg_nulls (LIKE agg_posts);
INSERT INTO agg_nulls VALUES
	(8,  'x', 1000, 100, 10, NULL, 5, 0.5, 100, 300),
	(9,  'x', 2000, 100, 20, 30, NULL, 0.25, 200, 100),
	(10, 'x', 4000, 200, 40, 60, 80, NULL, 400, 800),
	(11, 'x', NULL, 300, 30, 30, 30, 0.5, 50, 50),
	(12, 'x', 8000, 400, 40, 40, 40, 0.125, NULL, 1000);
SELECT tiktrack.engagement_rate(views, likes, comments, shares) AS er,
	   (150 + 300 + 480)::float8 / (2000 + 4000 + 8000) AS er_expected,
	   tiktrack.engagement_rate(views, likes, comments, shares, saves) AS er_saves,
	   (380 + 560)::float8 / (4000 + 8000) AS er_saves_expected,
	   tiktrack.completion_weighted_views(views, completion_rate) AS cwv,
	   tiktrack.roi(revenue_cents, cost_cents) AS roi,
	   (1250 - 750)::float8 / 750 AS roi_expected,
	   tiktrack.cpm(cost_cents, views) AS cpm,
	   700000::float8 / 7000 AS cpm_expected
FROM agg_nulls;

-- No rows, only NULL rows, zero views or cost: NULL, never 0 or an error.
SELECT tiktrack.engagement_rate(views, likes, comments, shares) AS er,
	   tiktrack.engagement_rate(views, likes, comments, shares, saves) AS er_saves,
	   tiktrack.completion_weighted_views(views, completion_rate) AS cwv,
	   tiktrack.roi(revenue_cents, cost_cents) AS roi,
	   tiktrack.roas(revenue_cents, cost_cents) AS roas,
	   tiktrack.cpm(cost_cents, views) AS cpm,
	   tiktrack.cpv(cost_cents, views) AS cpv
FROM agg_posts WHERE false;
SELECT tiktrack.engagement_rate(v, v, v, v) AS er, tiktrack.completion_weighted_views(v, r) AS cwv,
	   tiktrack.roi(v, v) AS roi, tiktrack.cpm(v, v) AS cpm
FROM (VALUES (NULL::bigint, NULL::float8), (NULL, NULL)) t(v, r);
SELECT tiktrack.engagement_rate(0, 5, 0, 0) AS er_zero_views,
	   tiktrack.roi(100, 0) AS roi_zero_cost, tiktrack.roas(100, 0) AS roas_zero_cost,
	   tiktrack.cpm(100, 0) AS cpm_zero_views, tiktrack.cpv(100, 0) AS cpv_zero_views,
	   tiktrack.completion_weighted_views(0, 0.5) AS cwv_zero_views,
	   tiktrack.cpm(0, 10) AS cpm_free, tiktrack.roi(0, 10) AS roi_total_loss;
-- Refunds: revenue may be negative (a net loss beyond the spend).
SELECT tiktrack.roi(r, c) AS roi, tiktrack.roas(r, c) AS roas
FROM (VALUES (1000::bigint, 400::bigint), (-1200, 100)) t(r, c);

-- Bad input: counters and costs are never negative, a completion rate is
-- a fraction 0..1.
SELECT tiktrack.engagement_rate(-1, 0, 0, 0);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.engagement_rate(10, 1, 1, -3);
SELECT tiktrack.engagement_rate(10, 1, 1, 1, -4);
SELECT tiktrack.cpm(-50, 10);
SELECT tiktrack.cpv(50, -10);
SELECT tiktrack.roi(50, -10);
SELECT tiktrack.completion_weighted_views(-5, 0.5);
SELECT tiktrack.completion_weighted_views(1000, 42);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.completion_weighted_views(1000, -0.01);
SELECT tiktrack.completion_weighted_views(1000, 'NaN');
SELECT tiktrack.completion_weighted_views(1000, 'Infinity');
-- The error stops the query even when the bad row comes last.
SELECT tiktrack.completion_weighted_views(views, rate)
FROM (VALUES (10::bigint, 0.5::float8), (20, 1.000001)) t(views, rate);
-- The bounds themselves are fine.
SELECT tiktrack.completion_weighted_views(views, rate) AS cwv
FROM (VALUES (10::bigint, 0.0::float8), (20, 1.0), (30, '-0'::float8)) t(views, rate);

-- Exact sums beyond the int64 range: three posts of 9.2e18 views.
SELECT sum(views) AS total_views,
	   tiktrack.engagement_rate(views, likes, 0, 0) AS er,
	   tiktrack.cpm(cost, views) AS cpm
FROM (VALUES (9223372036854775807, 9223372036854775807, 9223372036854775807),
			 (9223372036854775807, 9223372036854775807, 9223372036854775807),
			 (9223372036854775807, 9223372036854775806, 1)) t(views, likes, cost);
-- revenue - cost is exactly 1 cent on a spend of 2^64 - 2 cents: float8
-- sums would lose it and say 0.
SELECT tiktrack.roi(r, c) AS roi, 1 / 18446744073709551614::float8 AS roi_expected,
	   (sum(r)::float8 - sum(c)::float8) / sum(c)::float8 AS float8_sums
FROM (VALUES (9223372036854775807::bigint, 9223372036854775807::bigint),
			 (9223372036854775807, 9223372036854775807),
			 (1, 0)) t(r, c);
SELECT tiktrack.completion_weighted_views(v, 1) AS cwv, sum(v::numeric) AS exact
FROM (VALUES (9223372036854775807::bigint), (9223372036854775807), (5)) t(v);

-- The state types: text form, range checks (22003), binary round trip.
SELECT tiktrack.engagement_rate_accum(tiktrack.engagement_rate_accum('(0,0,0)', 1240000, 84000, 4200, 3100),
									  9223372036854775807, 9223372036854775807, 9223372036854775807,
									  9223372036854775807) AS two_rows;
SELECT tiktrack.ratio_state_quotient('(2,170141183460469231731687303715884105727,1)') AS huge_ratio;
SELECT '(1,170141183460469231731687303715884105728,1)'::tiktrack.ratio_state;
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT '(1,1,-170141183460469231731687303715884105729)'::tiktrack.ratio_state;
SELECT '( 1 , -170141183460469231731687303715884105728 , 0 )'::tiktrack.ratio_state AS min_int128;
SELECT '(-1,0,0)'::tiktrack.ratio_state;
SELECT '(9223372036854775808,0,0)'::tiktrack.ratio_state;
SELECT '(1,2)'::tiktrack.ratio_state;
SELECT '(1,2,3) x'::tiktrack.ratio_state;
SELECT '(1,0,18446744073709551616)'::tiktrack.weighted_sum_state;
SELECT tiktrack.ratio_state_combine('(1,170141183460469231731687303715884105727,5)', '(1,1,5)');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.ratio_state_combine('(9223372036854775807,0,0)', '(1,0,0)');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.engagement_rate_accum('(1,170141183460469231731687303715884105727,1)', 1, 1, 0, 0);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.weighted_sum_state_combine('(1,170141183460469231731687303715884105727,18446744073709551615)', '(1,0,1)');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.ratio_state_combine('(1,2,3)', NULL) AS left_only,
	   tiktrack.ratio_state_combine(NULL, '(1,2,3)') AS right_only,
	   tiktrack.ratio_state_combine(NULL, NULL) AS neither,
	   tiktrack.ratio_state_combine('(1,2,3)', '(10,20,30)') AS both,
	   tiktrack.weighted_sum_state_combine('(1,2,9223372036854775808)', '(1,3,9223372036854775809)') AS carry;
-- The retract functions undo the accumulate functions exactly.
SELECT tiktrack.completion_weighted_views_accum('(0,0,0)', 3, 0.1) AS three_tenths,
	   tiktrack.completion_weighted_views_retract(
		   tiktrack.completion_weighted_views_accum('(5,7,11)', 123456789, 0.987654321), 123456789, 0.987654321) AS undone,
	   tiktrack.cost_views_retract(tiktrack.cost_views_accum('(0,0,0)', 10, 20), 10, 20) AS empty_again;
SELECT tiktrack.revenue_cost_retract('(0,0,0)', 1, 1);
-- Called directly: a NULL state is an empty one, a row with a NULL is skipped.
SELECT tiktrack.cost_views_accum(NULL, 10, 20) AS from_null_state,
	   tiktrack.cost_views_accum('(1,2,3)', NULL, 20) AS null_row_skipped,
	   tiktrack.engagement_rate_retract('(1,2,3)', 3, 2, NULL, 0) AS null_row_not_removed,
	   tiktrack.completion_weighted_views_accum(NULL, NULL, 0.5) IS NULL AS still_null;
SELECT tiktrack.ratio_state_send('(3,91300,1240000)') AS ratio_send,
	   tiktrack.weighted_sum_state_send('(1,-1,1)') AS weighted_send;
CREATE TABLE agg_states (r tiktrack.ratio_state, w tiktrack.weighted_sum_state);
INSERT INTO agg_states VALUES ('(3,91300,1240000)', '(2,483000,0)'),
	('(1,-170141183460469231731687303715884105728,170141183460469231731687303715884105727)',
	 '(9223372036854775807,-1,18446744073709551615)');
\copy agg_states TO 'results/aggregates_states.bin' WITH (FORMAT binary)
CREATE TABLE agg_states_copy (LIKE agg_states);
\copy agg_states_copy FROM 'results/aggregates_states.bin' WITH (FORMAT binary)
SELECT r, w FROM agg_states_copy;
SELECT (SELECT array_agg(r::text ORDER BY r::text) FROM agg_states) =
	   (SELECT array_agg(r::text ORDER BY r::text) FROM agg_states_copy) AS ratio_round_trip,
	   (SELECT array_agg(w::text ORDER BY w::text) FROM agg_states) =
	   (SELECT array_agg(w::text ORDER BY w::text) FROM agg_states_copy) AS weighted_round_trip;

-- A bigger table for the parallel and window tests: 30,000 snapshots of
-- 300 videos with a sprinkling of NULLs.  Completion rates are multiples of
-- 2^-20 (rate_units / 2^20), so plain numeric arithmetic can compute the
-- exact completion-weighted sum to check against.
CREATE TABLE agg_snapshots AS
SELECT i AS id, i % 300 AS video,
	   CASE WHEN i % 101 = 0 THEN NULL ELSE (i * 7919) % 1000003 END AS views,
	   (i * 104729) % 50021 AS likes,
	   (i * 1299709) % 3001 AS comments,
	   CASE WHEN i % 97 = 0 THEN NULL ELSE (i * 15485863) % 2003 END AS shares,
	   (i * 179426549) % 4001 AS saves,
	   CASE WHEN i % 89 = 0 THEN NULL ELSE (i * 2654435761) % 1048577 END AS rate_units,
	   CASE WHEN i % 89 = 0 THEN NULL ELSE ((i * 2654435761) % 1048577)::float8 / 1048576 END AS completion_rate,
	   (i * 32452843) % 90001 AS cost_cents,
	   (i * 49979687) % 250007 - 5000 AS revenue_cents
FROM generate_series(1::bigint, 30000) i;
ANALYZE agg_snapshots;

CREATE TEMP TABLE serial_totals AS
SELECT tiktrack.engagement_rate(views, likes, comments, shares) AS er,
	   tiktrack.engagement_rate(views, likes, comments, shares, saves) AS er_saves,
	   tiktrack.completion_weighted_views(views, completion_rate) AS cwv,
	   tiktrack.roi(revenue_cents, cost_cents) AS roi,
	   tiktrack.roas(revenue_cents, cost_cents) AS roas,
	   tiktrack.cpm(cost_cents, views) AS cpm,
	   tiktrack.cpv(cost_cents, views) AS cpv
FROM agg_snapshots;
CREATE TEMP TABLE serial_by_video AS
SELECT video, tiktrack.engagement_rate(views, likes, comments, shares) AS er,
	   tiktrack.completion_weighted_views(views, completion_rate) AS cwv,
	   tiktrack.roi(revenue_cents, cost_cents) AS roi, tiktrack.cpm(cost_cents, views) AS cpm
FROM agg_snapshots GROUP BY video;
SELECT * FROM serial_totals;

-- The same values from exact numeric arithmetic in plain SQL.
SELECT s.er = (sum(likes + comments + shares) FILTER (WHERE views IS NOT NULL AND shares IS NOT NULL))::float8
			  / sum(views) FILTER (WHERE shares IS NOT NULL) AS er_ok,
	   s.cwv = (sum(views * rate_units)::numeric(60, 30) / 1048576)::float8 AS cwv_ok,
	   s.roi = (sum(revenue_cents) - sum(cost_cents))::float8 / sum(cost_cents) AS roi_ok,
	   s.cpm = (sum(cost_cents) FILTER (WHERE views IS NOT NULL) * 1000)::float8
			   / sum(views) FILTER (WHERE cost_cents IS NOT NULL) AS cpm_ok
FROM agg_snapshots, serial_totals s GROUP BY s.er, s.cwv, s.roi, s.cpm;

-- Force a parallel plan in which only the workers aggregate, so every row
-- goes through a partial state and the combine function.
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT tiktrack.engagement_rate(views, likes, comments, shares),
	   tiktrack.engagement_rate(views, likes, comments, shares, saves),
	   tiktrack.completion_weighted_views(views, completion_rate),
	   tiktrack.roi(revenue_cents, cost_cents), tiktrack.roas(revenue_cents, cost_cents),
	   tiktrack.cpm(cost_cents, views), tiktrack.cpv(cost_cents, views)
FROM agg_snapshots;
CREATE TEMP TABLE parallel_totals AS
SELECT tiktrack.engagement_rate(views, likes, comments, shares) AS er,
	   tiktrack.engagement_rate(views, likes, comments, shares, saves) AS er_saves,
	   tiktrack.completion_weighted_views(views, completion_rate) AS cwv,
	   tiktrack.roi(revenue_cents, cost_cents) AS roi,
	   tiktrack.roas(revenue_cents, cost_cents) AS roas,
	   tiktrack.cpm(cost_cents, views) AS cpm,
	   tiktrack.cpv(cost_cents, views) AS cpv
FROM agg_snapshots;
SELECT * FROM parallel_totals;
SELECT p.er = s.er AND p.er_saves = s.er_saves AND p.cwv = s.cwv AND p.roi = s.roi
	   AND p.roas = s.roas AND p.cpm = s.cpm AND p.cpv = s.cpv AS parallel_equals_serial
FROM parallel_totals p, serial_totals s;

EXPLAIN (COSTS OFF)
SELECT video, tiktrack.engagement_rate(views, likes, comments, shares),
	   tiktrack.completion_weighted_views(views, completion_rate),
	   tiktrack.roi(revenue_cents, cost_cents), tiktrack.cpm(cost_cents, views)
FROM agg_snapshots GROUP BY video;
SELECT count(*) AS videos,
	   count(*) FILTER (WHERE p.er IS NOT DISTINCT FROM s.er AND p.cwv IS NOT DISTINCT FROM s.cwv
						AND p.roi IS NOT DISTINCT FROM s.roi AND p.cpm IS NOT DISTINCT FROM s.cpm) AS equal
FROM (SELECT video, tiktrack.engagement_rate(views, likes, comments, shares) AS er,
			 tiktrack.completion_weighted_views(views, completion_rate) AS cwv,
			 tiktrack.roi(revenue_cents, cost_cents) AS roi, tiktrack.cpm(cost_cents, views) AS cpm
	  FROM agg_snapshots GROUP BY video) p
	 JOIN serial_by_video s USING (video);
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

-- As window functions over a sliding frame (its head moves, so PostgreSQL
-- runs the aggregates in moving mode: one forward and one inverse
-- transition per row).  Rows with NULLs and rates of every magnitude pass
-- through the frames.
CREATE TABLE agg_series AS
SELECT id::int, views, likes, comments, shares, saves, completion_rate, cost_cents, revenue_cents
FROM agg_snapshots WHERE video = 7 ORDER BY id;
INSERT INTO agg_series VALUES
	(100001, 1000000000000000, 1, 1, 1, 1, 0.3, 1, 1),
	(100002, 1, 1, 1, 1, 1, 1e-15, 1, 1),
	(100003, 3, 1, 1, 1, 1, 0.1, 1, 1),
	(100004, 7, 1, 1, 1, 1, 0.7, 1, 1),
	(100005, 0, 0, 0, 0, 0, 0.5, 0, 0);
CREATE TEMP TABLE windowed AS
SELECT id,
	   tiktrack.engagement_rate(views, likes, comments, shares) OVER w AS er,
	   tiktrack.engagement_rate(views, likes, comments, shares, saves) OVER w AS er_saves,
	   tiktrack.completion_weighted_views(views, completion_rate) OVER w AS cwv,
	   tiktrack.roi(revenue_cents, cost_cents) OVER w AS roi,
	   tiktrack.roas(revenue_cents, cost_cents) OVER w AS roas,
	   tiktrack.cpm(cost_cents, views) OVER w AS cpm,
	   tiktrack.cpv(cost_cents, views) OVER w AS cpv,
	   (sum(likes + comments + shares) FILTER (WHERE views IS NOT NULL) OVER w)::float8
		   / nullif(sum(views) FILTER (WHERE likes + comments + shares IS NOT NULL) OVER w, 0) AS plain_er,
	   (sum(revenue_cents) OVER w - sum(cost_cents) OVER w)::float8
		   / nullif(sum(cost_cents) OVER w, 0) AS plain_roi,
	   (sum(cost_cents) FILTER (WHERE views IS NOT NULL) OVER w * 1000)::float8
		   / nullif(sum(views) OVER w, 0) AS plain_cpm
FROM agg_series
WINDOW w AS (ORDER BY id ROWS BETWEEN 2 PRECEDING AND CURRENT ROW);
-- Each frame aggregated on its own, without a window.
CREATE TEMP TABLE framed AS
SELECT a.id, f.*
FROM agg_series a,
	 LATERAL (SELECT tiktrack.engagement_rate(views, likes, comments, shares) AS er,
					 tiktrack.engagement_rate(views, likes, comments, shares, saves) AS er_saves,
					 tiktrack.completion_weighted_views(views, completion_rate) AS cwv,
					 tiktrack.roi(revenue_cents, cost_cents) AS roi,
					 tiktrack.roas(revenue_cents, cost_cents) AS roas,
					 tiktrack.cpm(cost_cents, views) AS cpm,
					 tiktrack.cpv(cost_cents, views) AS cpv
			  FROM (SELECT * FROM agg_series b WHERE b.id <= a.id ORDER BY b.id DESC LIMIT 3) frame) f;
SELECT count(*) AS frames,
	   count(*) FILTER (WHERE w.er IS NOT DISTINCT FROM f.er AND w.er_saves IS NOT DISTINCT FROM f.er_saves
						AND w.cwv IS NOT DISTINCT FROM f.cwv AND w.roi IS NOT DISTINCT FROM f.roi
						AND w.roas IS NOT DISTINCT FROM f.roas AND w.cpm IS NOT DISTINCT FROM f.cpm
						AND w.cpv IS NOT DISTINCT FROM f.cpv) AS same_as_each_frame_alone,
	   count(*) FILTER (WHERE w.er IS NOT DISTINCT FROM w.plain_er AND w.roi IS NOT DISTINCT FROM w.plain_roi
						AND w.cpm IS NOT DISTINCT FROM w.plain_cpm) AS same_as_plain_sql
FROM windowed w JOIN framed f USING (id);
-- The frames around the extreme rows: a 1e15-view post enters and leaves
-- the completion-weighted frame, and nothing of it is left behind.
SELECT id, cwv, er, cpm, roi FROM windowed WHERE id > 100000 ORDER BY id;
SELECT w.id, w.cwv, f.cwv AS frame_alone FROM windowed w JOIN framed f USING (id)
WHERE w.id IN (SELECT id FROM agg_series ORDER BY id LIMIT 5) ORDER BY id;

-- top_values: the n most frequent elements over a set of arrays, by count
-- then value; NULL arrays and NULL elements do not count.
CREATE TABLE agg_tags (post int, tags text[]);
INSERT INTO agg_tags VALUES
	(1, '{summer,beach,ootd}'), (2, '{summer,beach}'), (3, '{summer,ootd}'),
	(4, NULL), (5, '{}'), (6, '{NULL,summer}'), (7, '{zebra,apple}');
SELECT tiktrack.top_values(tags, 3) FROM agg_tags;
SELECT tiktrack.top_values(tags, 10) FROM agg_tags;
SELECT tiktrack.top_values(tags, 1) FROM agg_tags WHERE post IN (7);
SELECT post % 2 AS odd, tiktrack.top_values(tags, 2) FROM agg_tags GROUP BY post % 2 ORDER BY 1;
-- No rows, only NULL arrays: an empty list, not NULL.
SELECT tiktrack.top_values(tags, 5) AS no_rows FROM agg_tags WHERE false;
SELECT tiktrack.top_values(tags, 5) AS only_null FROM agg_tags WHERE post = 4;
-- As a window function: the running top 2 (the final function runs once
-- per row on the same state).
SELECT post, tiktrack.top_values(tags, 2) OVER (ORDER BY post) FROM agg_tags ORDER BY post;
-- n must be 1..10000 and the same in every row.
SELECT tiktrack.top_values(tags, 0) FROM agg_tags;
SELECT tiktrack.top_values(tags, 10001) FROM agg_tags;
SELECT tiktrack.top_values(tags, NULL) FROM agg_tags;
SELECT tiktrack.top_values(tags, post) FROM agg_tags;

-- Partial counts from parallel workers (serialized, combined) give the
-- same list: 30,000 arrays over 300 videos.
CREATE TEMP TABLE serial_top AS
SELECT tiktrack.top_values(ARRAY['v' || video % 7, 'w' || video % 11, NULL], 5) AS top
FROM agg_snapshots;
SELECT top FROM serial_top;
SET parallel_setup_cost = 0;
SET parallel_tuple_cost = 0;
SET min_parallel_table_scan_size = 0;
SET max_parallel_workers_per_gather = 2;
SET parallel_leader_participation = off;
EXPLAIN (COSTS OFF)
SELECT tiktrack.top_values(ARRAY['v' || video % 7, 'w' || video % 11, NULL], 5) FROM agg_snapshots;
SELECT tiktrack.top_values(ARRAY['v' || video % 7, 'w' || video % 11, NULL], 5) = s.top AS parallel_equals_serial
FROM agg_snapshots, serial_top s GROUP BY s.top;
RESET parallel_setup_cost;
RESET parallel_tuple_cost;
RESET min_parallel_table_scan_size;
RESET max_parallel_workers_per_gather;
RESET parallel_leader_participation;

DROP EXTENSION tiktrack CASCADE;
