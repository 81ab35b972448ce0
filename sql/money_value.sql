--
-- Money, part 3: holdout lift against hand-computed figures, and budget
-- pacing on tiktrack.forecast_views().
--
CREATE EXTENSION tiktrack;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

--
-- Holdout lift.  3 % of 10,000 exposed users converted against 2 % of
-- 10,000 held out: lift 0.5; Katz se = sqrt(1/300 - 1/10000 + 1/200 -
-- 1/10000) = 0.090185, 95 % interval exp(ln 1.5 -+ 1.959964 x 0.090185) - 1
-- = 0.25697 .. 0.79002; pooled rate 0.025, z = 0.01 / sqrt(0.025 x 0.975 x
-- 2/10000) = 4.5291, p = 5.92e-6; incremental 300 - 0.02 x 10000 = 100.
--
SELECT * FROM tiktrack.holdout_lift(10000, 300, 10000, 200);
SELECT round(ci_low::numeric, 5) AS ci_low, round(ci_high::numeric, 5) AS ci_high,
	   round(p_value::numeric, 8) AS p_value
FROM tiktrack.holdout_lift(10000, 300, 10000, 200);
-- 90 %: z = 1.644854, a narrower interval.
SELECT round(ci_low::numeric, 5) AS ci_low, round(ci_high::numeric, 5) AS ci_high
FROM tiktrack.holdout_lift(10000, 300, 10000, 200, 0.9);
-- Unequal groups: 120 of 4,000 against 25 of 1,000 (lift 0.2, not
-- significant: z = 0.005 / sqrt(0.029 x 0.971 x (1/4000 + 1/1000)) = 0.8428,
-- p = 0.39936; se = sqrt(1/120 - 1/4000 + 1/25 - 1/1000) = 0.216987).
SELECT exposed_rate, holdout_rate, round(lift::numeric, 10) AS lift, round(ci_low::numeric, 5) AS ci_low,
	   round(ci_high::numeric, 5) AS ci_high, round(p_value::numeric, 5) AS p_value, incremental_conversions
FROM tiktrack.holdout_lift(4000, 120, 1000, 25);
-- No holdout conversion: no lift, no interval; nobody converted: no p-value.
SELECT * FROM tiktrack.holdout_lift(1000, 30, 1000, 0);
SELECT * FROM tiktrack.holdout_lift(1000, 0, 1000, 0);
-- Bad arguments.
SELECT tiktrack.holdout_lift(0, 0, 10, 1);
SELECT tiktrack.holdout_lift(10, 11, 10, 1);
SELECT tiktrack.holdout_lift(10, 1, -1, 0);
SELECT tiktrack.holdout_lift(10, 1, 10, 11);
SELECT tiktrack.holdout_lift(10, 1, 10, 1, 1);
SELECT tiktrack.holdout_lift(10, 1, 10, 1, 'NaN');
SELECT tiktrack.holdout_lift(10, 1, 10, 1, NULL) IS NULL AS strict;

--
-- Budget pacing.  Erin's five earlier posts all doubled (1,000 views at one
-- day, 2,000 at ten days), so her campaign post, at 1,000 views one day in,
-- is forecast at (1,000 + 1) x 2,001 / 1,001 - 1 = 2,000 views at the end
-- of the ten-day flight.
--
SELECT tiktrack.ensure_creator('erin') AS erin \gset
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until, state)
SELECT 7300000000000000000 + i, :erin, '2026-05-01 00:00+00'::timestamptz + i * interval '2 days',
	   '2026-05-30 00:00+00', 'completed'
FROM generate_series(1, 5) i;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, source)
SELECT v.id, v.posted_at + a.age, a.views, a.views / 10, 'manual'
FROM tiktrack.videos v
CROSS JOIN (VALUES (interval '1 day', 1000), (interval '10 days', 2000)) a(age, views)
WHERE v.creator_id = :erin;

SELECT tiktrack.create_campaign('Flight', 'USD', 0, 100000, '2026-06-01 00:00+00', '2026-06-11 00:00+00') AS f \gset
SELECT status FROM tiktrack.add_posts(:f, '[
	{"url": "https://www.tiktok.com/@erin/video/7300000000000000010", "creator_handle": "erin", "fee_cents": 30000},
	{"url": "https://www.tiktok.com/@erin/video/7300000000000000011", "creator_handle": "erin", "fee_cents": 0}]');
UPDATE tiktrack.videos SET posted_at = '2026-06-01 00:00+00' WHERE id = 7300000000000000010;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, source) VALUES
	(7300000000000000010, '2026-06-02 00:00+00', 1000, 100, 'manual');
SELECT age, views, predicted, method, training_posts
FROM tiktrack.forecast_views(7300000000000000010, '10 days', 0.8, '2026-06-02 00:00+00');
-- A tenth of the flight, 30 % of the budget: pacing index 3; projected CPM
-- 30,000 x 1000 / 2,000 = 15,000 cents, CPV 15 (the second post is not
-- posted yet: no views, no forecast).
SELECT * FROM tiktrack.campaign_pacing(:f, '2026-06-02 00:00+00');
-- Before the flight and after it.
SELECT flight_elapsed, budget_used, pacing_index FROM tiktrack.campaign_pacing(:f, '2026-05-20 00:00+00');
SELECT flight_elapsed, pacing_index FROM tiktrack.campaign_pacing(:f, '2026-07-01 00:00+00');
-- No budget and no end: no shares, forecasts at 30 days of age (beyond
-- the training posts' history: no forecast, the views now count).
SELECT tiktrack.create_campaign('Open', 'USD') AS o \gset
SELECT status FROM tiktrack.add_posts(:o, '[{"url": "https://www.tiktok.com/@erin/video/7300000000000000010", "creator_handle": "erin", "fee_cents": 5000}]');
SELECT * FROM tiktrack.campaign_pacing(:o, '2026-06-02 00:00+00');
-- Bad arguments.
SELECT tiktrack.campaign_pacing(999);
SELECT tiktrack.campaign_pacing(:f, NULL);

DROP EXTENSION tiktrack;
