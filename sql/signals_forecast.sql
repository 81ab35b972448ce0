--
-- The forecast on synthetic histories with known growth: 40 creators of
-- 25 posts, V(t) = Vinf (1 - exp(-t / tau)) with lognormal Vinf and a
-- creator-specific tau, snapshots every 30 minutes for 6 hours, then at
-- 1, 3 and 7 days.  tau varies from post to post (lognormal noise on
-- r), so the 80 % interval must cover about 80 % of the held-out posts;
-- the forecast must be far better than "views now".  Deterministic:
-- setseed.
--
CREATE EXTENSION tiktrack;
SET timezone = 'UTC';
SELECT setseed(0.42);
INSERT INTO tiktrack.creators (id, handle)
SELECT c, 'synth_' || c FROM generate_series(1, 40) c;
CREATE TEMP TABLE truth AS
SELECT (c * 1000 + p)::bigint AS id, c AS creator_id,
	   timestamptz '2026-01-01 00:00+00' + (c * 25 + p) * interval '37 minutes' AS posted_at,
	   -- lognormal Vinf (median 50,000) and tau around the creator's own
	   exp(ln(50000) + 1.2 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())) AS vinf,
	   (6 + c % 5 * 6) * exp(0.35 * sqrt(-2 * ln(random())) * cos(2 * pi() * random())) AS tau_h
FROM generate_series(1, 40) c, generate_series(1, 25) p;
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until)
SELECT id, creator_id, posted_at, posted_at + interval '8 days' FROM truth;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
SELECT t.id, t.posted_at + a.age,
	   round(t.vinf * (1 - exp(-extract(epoch FROM a.age) / 3600 / t.tau_h)))::bigint, 0, 0, 0, 'manual'
FROM truth t,
	 (SELECT n * interval '30 minutes' FROM generate_series(1, 12) n
	  UNION ALL VALUES (interval '1 day'), (interval '3 days'), (interval '7 days')) AS a(age);

SELECT count(*) AS posts FROM tiktrack.videos;
SELECT count(*) AS snapshots FROM tiktrack.snapshots;

-- 6 hours -> 7 days, 80 % interval.
SELECT posts, round(median_ape::numeric, 2) AS median_ape, round(coverage::numeric, 2) AS coverage,
	   round(naive_median_ape::numeric, 2) AS naive_median_ape,
	   median_ape < 0.25 AS small_error,
	   coverage BETWEEN 0.7 AND 0.9 AS calibrated,
	   median_ape < naive_median_ape / 3 AS beats_naive
FROM tiktrack.forecast_backtest('6 hours', '7 days', 0.8);
-- 2 hours -> 3 days: earlier, so less certain, still calibrated.
SELECT posts, round(median_ape::numeric, 2) AS median_ape, round(coverage::numeric, 2) AS coverage,
	   round(naive_median_ape::numeric, 2) AS naive_median_ape,
	   median_ape < 0.25 AS small_error,
	   coverage BETWEEN 0.7 AND 0.9 AS calibrated,
	   median_ape < naive_median_ape / 3 AS beats_naive
FROM tiktrack.forecast_backtest('2 hours', '3 days', 0.8);
-- A wider confidence covers more.
SELECT (SELECT coverage FROM tiktrack.forecast_backtest('2 hours', '3 days', 0.95))
	 > (SELECT coverage FROM tiktrack.forecast_backtest('2 hours', '3 days', 0.5)) AS wider_covers_more;
-- One post's forecast: the truth lies in its interval, method creator from
-- its 24 siblings.
SELECT f.method, f.training_posts, f.views = tiktrack.views_at_age(t.id, '6 hours') AS views_now,
	   f.low <= f.predicted AND f.predicted <= f.high AS ordered,
	   tiktrack.views_at_age(t.id, '7 days') BETWEEN f.low AND f.high AS truth_inside
FROM truth t, tiktrack.forecast_views(t.id, '7 days', 0.8, t.posted_at + interval '6 hours') f
WHERE t.id = 7012;

DROP EXTENSION tiktrack;
