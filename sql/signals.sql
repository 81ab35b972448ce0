--
-- Signals (issue 10): views_at_age, benchmark, traction, forecasts and
-- their backtest, on hand-built snapshot histories with exact values.
-- Fraud signals are in signals_fraud.sql.
--
CREATE EXTENSION tiktrack;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

INSERT INTO tiktrack.creators (id, handle) VALUES (1, 'ana'), (2, 'ben'), (3, 'cid');

--
-- views_at_age.  Post 10 is posted at midnight; snapshots at 00:30 (300
-- views), 02:00 (1,000) and 05:00 (1,001).
--
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until) VALUES
	(10, 1, '2026-03-01 00:00+00', '2026-04-01'),
	(11, 1, NULL, '2026-04-01');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, saves, source) VALUES
	(10, '2026-03-01 00:30+00', 300, 30, 3, 0, NULL, 'manual'),
	(10, '2026-03-01 02:00+00', 1000, 100, 10, 5, 2, 'manual'),
	(10, '2026-03-01 05:00+00', 1001, 101, 10, 5, 2, 'manual'),
	(11, '2026-03-01 05:00+00', 50, 1, 0, 0, NULL, 'manual');
SELECT a AS age, tiktrack.views_at_age(10, a) AS views
FROM unnest(ARRAY['0', '15 minutes', '30 minutes', '75 minutes', '2 hours',
				  '3 hours 30 minutes', '4 hours 59 minutes 59 seconds', '5 hours',
				  '5 hours 1 second', '-1 second', '1 day']::interval[]) a;
-- Halves round away from zero: 1,000 + 1 x 1.5/3 = 1,000.5 gives 1,001;
-- 1,000 + 1 x 1/3 = 1,000.33 gives 1,000.
SELECT tiktrack.views_at_age(10, '3 hours') AS third, tiktrack.views_at_age(10, '3 hours 30 minutes') AS half;
-- No posted_at, NULL arguments: NULL.  Unknown video: P0002.
SELECT tiktrack.views_at_age(11, '1 hour') AS no_posted_at,
	   tiktrack.views_at_age(NULL, '1 hour') AS null_id,
	   tiktrack.views_at_age(10, NULL) AS null_age;
SELECT tiktrack.views_at_age(999, '1 hour');
-- A snapshot without a view count (TikTok left it out) gives no value.
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source) VALUES
	(10, '2026-03-01 06:00+00', NULL, 'manual');
SELECT tiktrack.views_at_age(10, '5 hours 30 minutes') AS unknown, tiktrack.views_at_age(10, '6 hours') AS unknown_exact;
DELETE FROM tiktrack.videos WHERE id IN (10, 11);

--
-- A history: ana's posts 101..106 and ben's 201..203, one a day at
-- 18:00 UTC; each snapshotted at 1 h and 6 h.  Post 10x has 1000 x x views
-- at 1 h and 3000 x x at 6 h; ben's 20x have 5000 x x and 10000 x x.
--
INSERT INTO tiktrack.videos (id, creator_id, kind, posted_at, duration_s, caption, track_until)
SELECT 100 + i, 1, CASE WHEN i % 2 = 0 THEN 'photo' ELSE 'video' END,
	   timestamptz '2026-03-01 18:00+00' + i * interval '1 day',
	   (ARRAY[10, 15, 29.5, 45, 180, 181])[i],
	   CASE WHEN i <= 3 THEN '#Cats and #dogs' ELSE '#cats' END,
	   '2026-06-01'
FROM generate_series(1, 6) i;
INSERT INTO tiktrack.videos (id, creator_id, posted_at, duration_s, caption, track_until)
SELECT 200 + i, 2, timestamptz '2026-03-01 09:30+00' + i * interval '1 day', 60, 'no tags', '2026-06-01'
FROM generate_series(1, 3) i;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, completion_rate, source)
SELECT v.id, v.posted_at + h * interval '1 hour',
	   CASE WHEN v.creator_id = 1 THEN (v.id - 100) * (CASE h WHEN 1 THEN 1000 ELSE 3000 END)
			ELSE (v.id - 200) * (CASE h WHEN 1 THEN 5000 ELSE 10000 END) END,
	   10 * h, h, 0,
	   CASE WHEN v.creator_id = 1 AND h = 1 THEN 0.1 * (v.id - 100) END,
	   'manual'
FROM tiktrack.videos v, (VALUES (1), (6)) AS hh(h);

-- At 1 hour, by creator: ana 1000..6000, ben 5000..15000.
SELECT * FROM tiktrack.benchmark('1 hour');
-- At 3.5 hours, interpolated: ana's 10x has 1000x + 2000x / 2 = 2000x.
SELECT * FROM tiktrack.benchmark('3 hours 30 minutes', 'all');
SELECT * FROM tiktrack.benchmark('1 hour', 'kind');
-- Length buckets: 10 s, 15 s, 29.5 s, 45 s, 180 s (90-180s), 181 s, and
-- ben's three 60 s posts.
SELECT * FROM tiktrack.benchmark('1 hour', 'length');
SELECT * FROM tiktrack.benchmark('1 hour', 'hour');
-- 2026-03-02 is a Monday.
SELECT * FROM tiktrack.benchmark('1 hour', 'weekday');
SELECT * FROM tiktrack.benchmark('1 hour', 'hashtag');
-- Engagement rate at 1 h: (10 + 1) / views.
SELECT key, posts, round(p25::numeric, 6) AS p25, round(median::numeric, 6) AS median,
	   round(p75::numeric, 6) AS p75
FROM tiktrack.benchmark('1 hour', 'creator', 'engagement_rate');
-- Completion rate: latest reported at or before the age; ben's posts
-- never report one; at 2 hours ana's posts still count (observed at 6 h).
SELECT key, posts, round(p25::numeric, 4) AS p25, round(median::numeric, 4) AS median,
	   round(p75::numeric, 4) AS p75
FROM tiktrack.benchmark('2 hours', 'creator', 'completion_rate');
-- Not observed at 7 hours: nothing; since keeps later posts only.
SELECT count(*) FROM tiktrack.benchmark('7 hours', 'all');
SELECT * FROM tiktrack.benchmark('1 hour', 'creator', 'views', '2026-03-04 18:00+00');
-- Bad arguments name the value.
SELECT * FROM tiktrack.benchmark('-1 hour');
SELECT * FROM tiktrack.benchmark('1 hour', 'month');
SELECT * FROM tiktrack.benchmark('1 hour', 'all', 'likes');

--
-- Traction.  Ana's new post 107 (posted 2026-03-08 18:00): at 1 h its
-- baseline is ana's 6 earlier posts at 1 h (1000..6000, median 3500).
--
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until) VALUES
	(107, 1, '2026-03-08 18:00+00', '2026-06-01');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source) VALUES
	(107, '2026-03-08 18:30+00', 2000, 'manual'),
	(107, '2026-03-08 19:00+00', 3000, 'manual'),
	(107, '2026-03-08 19:15+00', 12000, 'manual');
-- At 1 h: 3000 / 3500, two posts had fewer (1000, 2000): 2 / 6.
SELECT * FROM tiktrack.traction(107, '2026-03-08 19:00+00');
-- At 1 h 15 min: baseline interpolated between 1 h and 6 h:
-- 1000x + 2000x x 15/300 = 1100x, median 3850; 12,000 / 3,850 = 3.12 is
-- a breakout (>= 3.0), percentile 1.
SELECT * FROM tiktrack.traction(107, '2026-03-08 19:15+00');
-- At 30 min the views of the 30 min snapshot; baseline 500x, median 1750.
SELECT * FROM tiktrack.traction(107, '2026-03-08 18:30+00');
-- Ties: 3500 equals no baseline value; 3000 ties ana's 103: "fewer" is
-- strict, so 102 and 101 only.
SELECT views, percentile FROM tiktrack.traction(107, '2026-03-08 19:00+00');
-- Breakout at exactly 3.0: post 108's baseline is ana's 7 earlier posts
-- (107 included, 3,000 at 1 h): median 3,000; 9,000 at 1 h.
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until) VALUES
	(108, 1, '2026-03-09 18:00+00', '2026-06-01');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source) VALUES
	(108, '2026-03-09 19:00+00', 9000, 'manual');
SELECT video_id, views, baseline, baseline_posts, baseline_median, traction_index, status
FROM tiktrack.traction(108, '2026-03-09 19:00+00');
-- 1,000 at 1 h against 8 earlier posts (median 3,500): below (<= 0.5).
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until) VALUES
	(109, 1, '2026-03-10 18:00+00', '2026-06-01');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source) VALUES
	(109, '2026-03-10 19:00+00', 1000, 'manual');
SELECT * FROM tiktrack.traction(109, '2026-03-10 19:00+00');
-- Ben's first post has no earlier posts of his: the baseline is every
-- other creator's posts
-- -- (ana's 9: 1000..6000, 3000, 9000, 1000; median 3,000); 6 of 9 fewer.
SELECT * FROM tiktrack.traction(201, '2026-03-02 10:30+00');
-- His third post has 2 earlier posts of his own, fewer than 5: still all.
SELECT baseline, baseline_posts FROM tiktrack.traction(203, '2026-03-04 10:30+00');
-- cid has one post and nobody else is observed at 11 days: too little.
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until) VALUES
	(301, 3, '2026-03-01 00:00+00', '2026-06-01');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source) VALUES
	(301, '2026-03-12 00:00+00', 10, 'manual');
SELECT * FROM tiktrack.traction(301, '2026-03-12 00:00+00');
-- Before posting, or before any snapshot: insufficient history.
SELECT * FROM tiktrack.traction(301, '2026-02-01 00:00+00');
SELECT * FROM tiktrack.traction(301, '2026-03-11 00:00+00');
SELECT status FROM tiktrack.traction(301, '2026-03-02 00:00+00');
SELECT * FROM tiktrack.traction(999);
SELECT * FROM tiktrack.traction(301, NULL);
SELECT tiktrack.traction_breakout_threshold() AS breakout, tiktrack.early_window() AS early_window;
-- The breakout setting is reloadable, not per session.
SET tiktrack.traction_breakout = 2;

-- early_traction lists posts younger than the early window: none yet.
SELECT count(*) FROM tiktrack.early_traction;

--
-- The traction.breakout event: storing a snapshot that puts a young post
-- at breakout records it in traction_alerts and notifies once (the TAP
-- test test/t/081_traction_breakout.pl checks the NOTIFY itself).  Post
-- 110, posted 2 hours ago, has 20,000 views at 1 h against ana's 10
-- earlier posts (111, posted 7 hours ago, has 20,000 at 1 h too): median
-- 3,500, index 5.71.
--
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until) VALUES
	(110, 1, now() - interval '2 hours', now() + interval '7 days'),
	(111, 1, now() - interval '7 hours', now() + interval '7 days');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
SELECT 110, posted_at + interval '30 minutes', 2000, 'manual' FROM tiktrack.videos WHERE id = 110;
SELECT count(*) AS alerts FROM tiktrack.traction_alerts;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
SELECT id, posted_at + interval '1 hour', 20000, 'manual' FROM tiktrack.videos WHERE id IN (110, 111);
SELECT video_id, age, views, round(traction_index::numeric, 4) AS traction_index FROM tiktrack.traction_alerts;
-- Once only: a later snapshot, still a breakout, adds nothing.
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
SELECT 110, posted_at + interval '90 minutes', 40000, 'manual' FROM tiktrack.videos WHERE id = 110;
SELECT video_id, views FROM tiktrack.traction_alerts;
-- 111 is older than the early window: neither alerted nor listed.
SELECT video_id, creator_handle, views, baseline, baseline_posts, status FROM tiktrack.early_traction;

--
-- Forecasts.  From 1 h to 6 h ana's posts grow 1000x -> 3000x:
-- r = ln(3000x + 1) - ln(1000x + 1), so post 107 with 3,000 views at 1 h
-- is predicted about 9,000.
--
SELECT * FROM tiktrack.forecast_views(107, '6 hours', 0.8, '2026-03-08 19:00+00');
-- The interval: quantiles 0.1 and 0.9 of r over ana's 7 other posts
-- (101..106 and 108; 108 is not observed at 6 h: 6 posts).
SELECT round(percentile_cont(0.5) WITHIN GROUP (ORDER BY r)::numeric, 9) AS median_r,
	   round(percentile_cont(0.1) WITHIN GROUP (ORDER BY r)::numeric, 9) AS low_r,
	   round(percentile_cont(0.9) WITHIN GROUP (ORDER BY r)::numeric, 9) AS high_r,
	   round(3001 * exp(percentile_cont(0.5) WITHIN GROUP (ORDER BY r)) - 1) AS predicted
FROM (SELECT ln(3000.0 * x + 1) - ln(1000.0 * x + 1) AS r FROM generate_series(1, 6) x) t;
-- Observed at the horizon already: the observed value.
SELECT * FROM tiktrack.forecast_views(103, '6 hours', 0.8, '2026-03-05 00:00+00');
SELECT * FROM tiktrack.forecast_views(103, '3 hours 30 minutes', 0.8, '2026-03-05 00:00+00');
-- Ben has 2 other posts: every other post observed at both ages trains:
-- ana's 6, ben's 2 and cid's 301 (its one snapshot at 11 days puts it at
-- 0 views at 1 h and at 6 h by interpolation from 0 at posted_at).
SELECT * FROM tiktrack.forecast_views(201, '6 hours', 0.5, '2026-03-02 10:30+00');
-- Never below the views already seen: cid's posts 302..306 lost views
-- between 1 h and 6 h (TikTok removed invalid views: 1,000 -> 800), so
-- the ratio predicts fewer views than his post 307 already has (500 at
-- 1 h): the forecast and its interval stay at 500.
DELETE FROM tiktrack.videos WHERE id = 301;
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until)
SELECT 300 + i, 3, timestamptz '2026-03-01 00:00+00' + i * interval '1 day', '2026-06-01'
FROM generate_series(2, 7) i;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
SELECT v.id, v.posted_at + a.age, a.views, 'manual'
FROM tiktrack.videos v, (VALUES (interval '1 hour', 1000), (interval '6 hours', 800)) AS a(age, views)
WHERE v.id BETWEEN 302 AND 306;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source) VALUES
	(307, '2026-03-08 01:00+00', 500, 'manual');
SELECT * FROM tiktrack.forecast_views(307, '6 hours', 0.8, '2026-03-08 01:00+00');
DELETE FROM tiktrack.videos WHERE creator_id = 3;
-- Nothing to train on at 20 days: none.
SELECT * FROM tiktrack.forecast_views(107, '20 days', 0.8, '2026-03-08 19:00+00');
-- No snapshot yet, or before posting: none.
SELECT * FROM tiktrack.forecast_views(108, '6 hours', 0.8, '2026-03-09 18:30+00');
SELECT * FROM tiktrack.forecast_views(999);
SELECT * FROM tiktrack.forecast_views(107, '0 hours');
SELECT * FROM tiktrack.forecast_views(107, '6 hours', 1.0);
SELECT * FROM tiktrack.forecast_views(107, '6 hours', NULL);

--
-- Backtest, 1 h -> 6 h (107..109 are not observed at 6 h): ana's 6 posts
-- are forecast from her 5 others, ben's 3 from all 8 others.
--
SELECT posts, round(median_ape::numeric, 6) AS median_ape, round(coverage::numeric, 6) AS coverage,
	   round(naive_median_ape::numeric, 6) AS naive_median_ape
FROM tiktrack.forecast_backtest('1 hour', '6 hours');
-- The same by hand, post by post, with forecast_views's arithmetic.
WITH p AS (
	SELECT v.id, v.creator_id, tiktrack.views_at_age(v.id, '1 hour')::float8 AS va,
		   tiktrack.views_at_age(v.id, '6 hours')::float8 AS vh
	FROM tiktrack.videos v
	WHERE tiktrack.views_at_age(v.id, '1 hour') IS NOT NULL AND tiktrack.views_at_age(v.id, '6 hours') IS NOT NULL
), f AS (
	SELECT p.id, p.va, p.vh,
		   (SELECT percentile_cont(ARRAY[0.1, 0.5, 0.9]) WITHIN GROUP (ORDER BY ln(o.vh + 1) - ln(o.va + 1))
			FROM p o
			WHERE o.id <> p.id
			  AND (o.creator_id = p.creator_id
				   OR (SELECT count(*) FROM p q WHERE q.creator_id = p.creator_id AND q.id <> p.id) < 5)) AS q
	FROM p
), g AS (
	SELECT f.id, f.va, f.vh,
		   greatest(f.va, round((f.va + 1) * exp(f.q[2]) - 1)) AS predicted,
		   greatest(f.va, round((f.va + 1) * exp(f.q[1]) - 1)) AS low,
		   greatest(f.va, round((f.va + 1) * exp(f.q[3]) - 1)) AS high
	FROM f
)
SELECT count(*) AS posts,
	   round(percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(predicted - vh) / vh)::numeric, 6) AS median_ape,
	   round(avg((vh BETWEEN low AND high)::int)::numeric, 6) AS coverage,
	   round(percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(va - vh) / vh)::numeric, 6) AS naive_median_ape
FROM g;
-- Too few posts anywhere: nothing forecast.
SELECT * FROM tiktrack.forecast_backtest('1 hour', '20 days');
SELECT * FROM tiktrack.forecast_backtest('6 hours', '1 hour');
SELECT * FROM tiktrack.forecast_backtest('1 hour', '6 hours', 0);

DROP EXTENSION tiktrack;
