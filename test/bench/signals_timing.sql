-- Timings for test/bench/signals.sh (psql variable: runs).  Each query
-- runs `runs` times inside the server; we report the best and the median
-- wall time in milliseconds, and the ratio of the obvious plain-SQL
-- formulation (views at an age from lag() over every snapshot of the
-- posts concerned) to tiktrack's, measured in the same run.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.bench(label text, q text, runs int,
							  OUT query text, OUT best_ms numeric, OUT median_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	ms float8[] := '{}';
BEGIN
	FOR i IN 1 .. runs LOOP
		t0 := clock_timestamp();
		EXECUTE q;
		ms := ms || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
	END LOOP;
	query := label;
	SELECT round(min(x)::numeric, 3), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 3)
		INTO best_ms, median_ms FROM unnest(ms) AS x;
END
$$;

-- The obvious formulation of "views of each of these posts at age a":
-- pair every snapshot with the one before it (lag) and keep the pair
-- around posted_at + a.
CREATE FUNCTION pg_temp.plain_views_at(ids bigint[], a interval)
RETURNS TABLE (video_id bigint, views numeric)
LANGUAGE sql STABLE AS $$
	SELECT s.video_id,
		   round(CASE WHEN s.captured_at = s.posted_at + a THEN s.views
					  ELSE coalesce(s.prev_views, 0) + (s.views - coalesce(s.prev_views, 0))
						   * extract(epoch FROM s.posted_at + a - coalesce(s.prev_at, s.posted_at))
						   / extract(epoch FROM s.captured_at - coalesce(s.prev_at, s.posted_at)) END)
	FROM (SELECT h.video_id, v.posted_at, h.captured_at, h.views,
				 lag(h.captured_at) OVER w AS prev_at, lag(h.views) OVER w AS prev_views
		  FROM tiktrack.snapshots h JOIN tiktrack.videos v ON v.id = h.video_id
		  WHERE h.video_id = ANY (ids)
		  WINDOW w AS (PARTITION BY h.video_id ORDER BY h.captured_at)) s
	WHERE s.captured_at >= s.posted_at + a AND (s.prev_at IS NULL OR s.prev_at < s.posted_at + a)
$$;

-- A young post of a creator with history, and its age now.
SELECT t.video_id AS young, t.creator_id AS young_creator, t.posted_at AS young_posted,
	   now() - t.posted_at AS young_age, (SELECT count(*) FROM tiktrack.early_traction) AS n_young
FROM (SELECT v.id AS video_id, v.creator_id, v.posted_at FROM tiktrack.videos v
	  ORDER BY v.posted_at DESC LIMIT 1 OFFSET 30) t \gset
\echo young post :young (creator :young_creator, age :young_age); :n_young posts in tiktrack.early_traction

\set plain_traction 'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b.views) FROM (SELECT p.views FROM pg_temp.plain_views_at(ARRAY(SELECT o.id FROM tiktrack.videos o WHERE o.creator_id = ' :young_creator ' AND o.posted_at < ' :'young_posted' '::timestamptz), now() - ' :'young_posted' '::timestamptz) p JOIN tiktrack.videos o ON o.id = p.video_id ORDER BY o.posted_at DESC LIMIT 30) b'
\set plain_forecast 'SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY ln(h.views + 1) - ln(a.views + 1)) FROM pg_temp.plain_views_at(ARRAY(SELECT o.id FROM tiktrack.videos o WHERE o.creator_id = ' :young_creator ' AND o.id <> ' :young '), now() - ' :'young_posted' '::timestamptz) a JOIN pg_temp.plain_views_at(ARRAY(SELECT o.id FROM tiktrack.videos o WHERE o.creator_id = ' :young_creator ' AND o.id <> ' :young '), interval ''7 days'') h USING (video_id)'
\set plain_early 'SELECT y.id, (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY b.views) FROM (SELECT p.views FROM pg_temp.plain_views_at(ARRAY(SELECT o.id FROM tiktrack.videos o WHERE o.creator_id = y.creator_id AND o.posted_at < y.posted_at), now() - y.posted_at) p JOIN tiktrack.videos o ON o.id = p.video_id ORDER BY o.posted_at DESC LIMIT 30) b) FROM tiktrack.videos y WHERE y.posted_at > now() - interval ''6 hours'''
\set plain_hour 'SELECT to_char(v.posted_at AT TIME ZONE ''UTC'', ''HH24''), count(*), percentile_cont(0.25) WITHIN GROUP (ORDER BY p.views), percentile_cont(0.5) WITHIN GROUP (ORDER BY p.views), percentile_cont(0.75) WITHIN GROUP (ORDER BY p.views) FROM pg_temp.plain_views_at(ARRAY(SELECT id FROM tiktrack.videos), interval ''2 hours'') p JOIN tiktrack.videos v ON v.id = p.video_id GROUP BY 1'
\set plain_backtest 'WITH p AS (SELECT v.id, v.creator_id, a.views::float8 AS va, h.views::float8 AS vh FROM pg_temp.plain_views_at(ARRAY(SELECT id FROM tiktrack.videos WHERE creator_id % 8 = 0), interval ''1 hour'') a JOIN pg_temp.plain_views_at(ARRAY(SELECT id FROM tiktrack.videos WHERE creator_id % 8 = 0), interval ''30 days'') h USING (video_id) JOIN tiktrack.videos v ON v.id = a.video_id), f AS (SELECT p.va, p.vh, (SELECT percentile_cont(ARRAY[0.1, 0.5, 0.9]) WITHIN GROUP (ORDER BY ln(o.vh + 1) - ln(o.va + 1)) FROM p o WHERE o.creator_id = p.creator_id AND o.id <> p.id) AS q FROM p) SELECT count(*), percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(greatest(va, round((va + 1) * exp(q[2]) - 1)) - vh) / nullif(vh, 0)) FROM f'

\echo
\echo -- the fast paths and the baselines agree (else the benchmark stops)
SELECT (SELECT baseline_median FROM tiktrack.traction(:young)) AS t_median, (:plain_traction) AS p_median \gset
SELECT (SELECT count(*) FROM tiktrack.benchmark('2 hours', 'hour')) AS hours,
	   (SELECT sum(posts) FROM tiktrack.benchmark('2 hours', 'hour')) AS hour_posts,
	   (SELECT sum(median) FROM tiktrack.benchmark('2 hours', 'hour')) AS hour_medians,
	   (SELECT sum(x.median) FROM (SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY p.views) AS median FROM pg_temp.plain_views_at(ARRAY(SELECT id FROM tiktrack.videos), interval '2 hours') p JOIN tiktrack.videos v ON v.id = p.video_id GROUP BY to_char(v.posted_at AT TIME ZONE 'UTC', 'HH24')) x) AS plain_hour_medians \gset
SELECT posts AS bt_posts, round(median_ape::numeric, 4) AS bt_ape, round(coverage::numeric, 4) AS bt_coverage,
	   round(naive_median_ape::numeric, 4) AS bt_naive
FROM tiktrack.forecast_backtest('1 hour', '30 days') \gset
\echo traction baseline median :t_median, plain SQL :p_median
\echo benchmark(2 hours, hour): :hours hours, :hour_posts posts, sum of medians :hour_medians, plain SQL :plain_hour_medians
\echo forecast_backtest(1 hour, 30 days): :bt_posts posts, median APE :bt_ape, coverage :bt_coverage, naive median APE :bt_naive
SELECT :'t_median'::float8 = :'p_median'::float8 AND :'hour_medians'::float8 = :'plain_hour_medians'::float8 AS ok \gset
\if :ok
\else
\echo the signals disagree with the plain-SQL baselines
\quit 3
\endif

\echo
\echo -- timings (ms, best and median of :runs runs, measured in the server; targets from issue 10)
CREATE TEMP TABLE result AS
SELECT *, 100::numeric AS target_ms FROM pg_temp.bench('early_traction (all young posts)', 'SELECT count(*) FROM tiktrack.early_traction', :runs)
UNION ALL
SELECT *, NULL FROM pg_temp.bench('  plain SQL baseline', :'plain_early', :runs)
UNION ALL
SELECT *, 2 FROM pg_temp.bench('traction(one young post)', 'SELECT * FROM tiktrack.traction(' || :young || ')', :runs * 10)
UNION ALL
SELECT *, NULL FROM pg_temp.bench('  plain SQL baseline', :'plain_traction', :runs * 10)
UNION ALL
SELECT *, 2 FROM pg_temp.bench('forecast_views(one young post)', 'SELECT * FROM tiktrack.forecast_views(' || :young || ')', :runs * 10)
UNION ALL
SELECT *, NULL FROM pg_temp.bench('  plain SQL baseline', :'plain_forecast', :runs * 10)
UNION ALL
SELECT *, 1000 FROM pg_temp.bench('benchmark(2 hours, by => hour)', 'SELECT * FROM tiktrack.benchmark(''2 hours'', ''hour'')', greatest(:runs / 4, 2))
UNION ALL
SELECT *, NULL FROM pg_temp.bench('  plain SQL baseline', :'plain_hour', 2)
UNION ALL
SELECT *, 5000 FROM pg_temp.bench('forecast_backtest(1 hour, 30 days)', 'SELECT * FROM tiktrack.forecast_backtest(''1 hour'', ''30 days'')', greatest(:runs / 4, 2))
UNION ALL
SELECT *, NULL FROM pg_temp.bench('  plain SQL baseline (LOO self-join)', :'plain_backtest', 1);

SELECT query, best_ms, median_ms, target_ms,
	   CASE WHEN target_ms IS NOT NULL THEN CASE WHEN best_ms < target_ms THEN 'met' ELSE 'MISSED' END END AS target,
	   CASE WHEN target_ms IS NULL THEN round(best_ms / nullif(lag(best_ms) OVER (ORDER BY ord), 0), 1) END AS baseline_over_tiktrack
FROM (SELECT r.*, row_number() OVER () AS ord FROM result r) x
ORDER BY ord;
