--
-- Campaign KPIs: campaign_metrics (now and as of a past moment),
-- campaign_posts, campaign_creators, post_windows and the BI views.
--
CREATE EXTENSION tiktrack;
\set SHOW_CONTEXT never
-- pg_regress's client defaults are PST8PDT and Postgres-style dates.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

--
-- The seed's worked example: one post, fee 50,000 cents, 1,240,000 views,
-- 84,000 likes, 91,300 engagements, GMV 120,000 cents.
--
SELECT tiktrack.create_campaign('Spring 2026 launch', 'USD') AS spring \gset
SELECT status, video_id FROM tiktrack.add_posts(:spring,
	'[{"url": "https://www.tiktok.com/@alice/video/7234567890123456789", "creator_handle": "alice", "fee_cents": 50000}]');

-- Before the first fetch the post is pending and every rate is undefined.
\x on
SELECT * FROM tiktrack.campaign_metrics(:spring);
\x off

UPDATE tiktrack.videos SET posted_at = '2026-05-15 10:00+00', caption = 'Ringside tonight #WWE'
WHERE id = 7234567890123456789;
-- Display API snapshots: no saves, no completion rate.
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source) VALUES
	(7234567890123456789, '2026-05-15 10:30+00',    5000,   400,   20,   10, 'manual'),
	(7234567890123456789, '2026-05-16 10:00+00',  400000, 28000, 1500,  900, 'manual'),
	(7234567890123456789, '2026-05-22 10:00+00', 1000000, 70000, 3500, 2500, 'manual'),
	(7234567890123456789, '2026-05-25 10:00+00', 1240000, 84000, 4100, 3200, 'manual');
SELECT tiktrack.record_conversion(:spring, 'alice', 100000, '2026-05-20 09:00+00', 'A-1') IS NOT NULL AS recorded;
SELECT tiktrack.record_conversion(:spring, 'alice', 20000, '2026-05-24 18:00+00', 'A-2') IS NOT NULL AS recorded;
SELECT tiktrack.record_conversion(:spring, 'alice', 20000, '2026-05-24 18:00+00', 'A-2') IS NOT NULL AS again;

-- ROI 1.4, ROAS 2.4, CPM 40.32 cents (the seed rounds it to 40),
-- engagement rate 0.0736 (91,300 / 1,240,000).
\x on
SELECT * FROM tiktrack.campaign_metrics(:spring);
\x off
SELECT round(cpm_cents) AS cpm_rounded, round(engagement_rate::numeric, 4) AS er_rounded
FROM tiktrack.campaign_metrics(:spring);

-- "What was the CPM on day 7?": the snapshot of 2026-05-22 10:00 and the
-- sale of 2026-05-20; the whole fee is spent from the start.
SELECT gmv_cents, roi, cpm_cents, total_views, total_engagement, engagement_rate, posts_published
FROM tiktrack.campaign_metrics(:spring, '2026-05-22 10:00+00');
-- A second earlier, the day-7 snapshot does not count yet.
SELECT total_views, cpm_cents FROM tiktrack.campaign_metrics(:spring, '2026-05-22 09:59:59+00');
-- Before the first snapshot: pending, no views, no sale.
SELECT gmv_cents, roi, cpm_cents, total_views, engagement_rate, posts_published, posts_pending
FROM tiktrack.campaign_metrics(:spring, '2026-05-15 10:00+00');
-- as_of in the future gives exactly the latest figures.
SELECT (SELECT m FROM tiktrack.campaign_metrics(:spring) m)
	 = (SELECT m FROM tiktrack.campaign_metrics(:spring, 'infinity') m) AS same;

-- Per post and per creator.
SELECT creator_handle, url, posted_at, fee_cents, views, likes, comments, shares, saves,
	   engagement, engagement_rate, completion_rate, cpm_cents, captured_at, status, tracking_state
FROM tiktrack.campaign_posts(:spring);
SELECT creator_handle, posts, posts_published, creator_fee_cents, gmv_cents, conversions,
	   views, engagement, engagement_rate, roi, roas, cpm_cents
FROM tiktrack.campaign_creators(:spring);

-- At the same age: 24 h and 7 d fall on snapshots; 72 h is interpolated
-- between 24 h (400,000) and 7 d (1,000,000): 400,000 + 600,000 x 48/144;
-- 30 days is not observed yet (last snapshot at 10 days).
SELECT * FROM tiktrack.post_windows(:spring);

--
-- Several creators, an agency fee, Business API posts (saves, completion
-- rate) next to Display API ones, a pending post, hashtags and mentions.
--
SELECT tiktrack.create_campaign('Summer mix', 'USD', 10000) AS summer \gset
SELECT status, video_id FROM tiktrack.add_posts(:summer, $$[
	{"url": "https://www.tiktok.com/@bob/video/7300000000000000001", "creator_handle": "bob", "fee_cents": 20000},
	{"url": "https://www.tiktok.com/@bob/video/7300000000000000002", "creator_handle": "bob", "fee_cents": 5000},
	{"url": "https://www.tiktok.com/@carol/video/7300000000000000003", "creator_handle": "carol", "fee_cents": 15000},
	{"url": "https://www.tiktok.com/@dan/video/7300000000000000004", "creator_handle": "dan", "fee_cents": 10000}
]$$);
UPDATE tiktrack.videos v SET posted_at = x.posted_at::timestamptz, caption = x.caption
FROM (VALUES (7300000000000000001, '2026-06-01 12:00+00', 'Summer vibes #summer #beach @brand'),
			 (7300000000000000002, '2026-06-02 12:00+00', '#Summer sale with @Brand and @bob'),
			 (7300000000000000003, '2026-06-01 18:00+00', '#beach day #summer #OOTD @brand')) AS x(id, posted_at, caption)
WHERE v.id = x.id;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, saves, completion_rate, source) VALUES
	(7300000000000000001, '2026-06-01 20:00+00',  80000,  4000, 200, 100,  500, 0.30, 'manual'),
	(7300000000000000001, '2026-06-03 12:00+00', 200000, 10000, 500, 300, 1200, 0.25, 'manual'),
	(7300000000000000002, '2026-06-03 20:00+00',  30000,  1200,  60,  30,  210, 0.55, 'manual'),
	(7300000000000000002, '2026-06-06 12:00+00',  50000,  2000, 100,  50,  350, 0.50, 'manual'),
	(7300000000000000003, '2026-06-02 06:00+00',  20000,  1000,  40,  20, NULL, NULL, 'manual'),
	(7300000000000000003, '2026-06-02 18:00+00',  60000,  3000, 120,  60, NULL, NULL, 'manual'),
	(7300000000000000003, '2026-06-05 18:00+00', 100000,  5000, 200, 100, NULL, NULL, 'manual');
SELECT tiktrack.record_conversion(:summer, 'bob', 30000, '2026-06-04 00:00+00', 'S-1', 'BOB10') IS NOT NULL AS recorded;
SELECT tiktrack.record_conversion(:summer, 'carol', 60000, '2026-06-04 00:00+00', 'S-2', 'CAROL15') IS NOT NULL AS recorded;

-- spend 60,000 = fees 50,000 (pending post included) + agency 10,000;
-- engagement 19,800 = likes 17,000 + comments 800 + shares 450 + saves 1,550
-- (carol's Display API posts report no saves); completion-weighted views
-- 200,000 x 0.25 + 50,000 x 0.5 (carol's completion rate is unknown).
\x on
SELECT * FROM tiktrack.campaign_metrics(:summer);
\x off

SELECT creator_handle, fee_cents, views, saves, engagement, engagement_rate, completion_rate, cpm_cents, captured_at, status
FROM tiktrack.campaign_posts(:summer);
-- ROI per creator on the creator's own fees (the agency fee stays campaign-wide).
SELECT creator_handle, posts, posts_published, creator_fee_cents, gmv_cents, conversions,
	   views, engagement, engagement_rate, roi, roas, cpm_cents
FROM tiktrack.campaign_creators(:summer);

-- bob's first post: 24 h falls between 8 h (80,000) and 48 h (200,000):
-- 80,000 + 120,000 x 16/40 = 128,000; engagement 4,800 + 7,200 x 0.4 = 7,680.
-- bob's second post: first snapshot at 32 h, so 24 h is interpolated from
-- 0 at posting (as tiktrack.views_at_age does): 30,000 x 24/32 = 22,500,
-- engagement 1,500 x 0.75 = 1,125; 72 h between 32 h and 96 h:
-- 30,000 + 20,000 x 40/64 = 42,500.
-- carol: 24 h between 12 h and 24 h exactly: 60,000; 72 h between 24 h and
-- 96 h: 60,000 + 40,000 x 48/72 = 86,666.67, rounded.
-- dan has no posted_at yet.
SELECT * FROM tiktrack.post_windows(:summer);

-- as_of in the middle of the campaign: each post's last snapshot before it.
SELECT spend_cents, gmv_cents, total_views, total_saves, total_engagement,
	   completion_weighted_views, posts_published, posts_pending, roi
FROM tiktrack.campaign_metrics(:summer, '2026-06-03 12:00+00');

--
-- JPY has no minor units: amounts are whole yen.
--
SELECT tiktrack.create_campaign('Tokyo drop', 'JPY', 30000) AS tokyo \gset
SELECT status FROM tiktrack.add_posts(:tokyo,
	'[{"url": "https://www.tiktok.com/@carol/video/7300000000000000003", "creator_handle": "carol", "fee_cents": 70000}]');
SELECT currency, spend_cents, creator_fee_cents, cpm_cents, cpv_cents, total_views
FROM tiktrack.campaign_metrics(:tokyo);

-- An empty campaign.
SELECT tiktrack.create_campaign('Empty') AS empty \gset
\x on
SELECT * FROM tiktrack.campaign_metrics(:empty);
\x off
SELECT count(*) FROM tiktrack.campaign_posts(:empty);
SELECT count(*) FROM tiktrack.campaign_creators(:empty);
SELECT count(*) FROM tiktrack.post_windows(:empty);

-- Unknown campaigns are errors, not empty results.
SELECT * FROM tiktrack.campaign_metrics(424242);
SELECT * FROM tiktrack.campaign_posts(424242);
SELECT * FROM tiktrack.campaign_creators(424242);
SELECT * FROM tiktrack.post_windows(424242);

--
-- Views for BI tools.
--
SELECT name, currency, creators, posts, posts_published, posts_pending, spend_cents, gmv_cents,
	   roi, roas, cpm_cents, total_views, total_engagement, engagement_rate
FROM tiktrack.campaign_summary ORDER BY campaign_id;
SELECT video_id, creator_handle, hashtags, mentions, captured_at, views, engagement, engagement_rate, snapshot_count
FROM tiktrack.video_latest_stats ORDER BY video_id;
SELECT count(*) AS post_rows FROM tiktrack.campaign_post_stats;
SELECT count(*) AS creator_rows FROM tiktrack.campaign_creator_stats;

-- A post dropped from the campaign after its creator made a sale: the sale
-- stays in the campaign's GMV and in the creator's row (no posts, no fees).
SELECT tiktrack.record_conversion(:summer, 'dan', 5000, '2026-06-05 00:00+00', 'S-3') IS NOT NULL AS recorded;
DELETE FROM tiktrack.campaign_posts WHERE campaign_id = :summer AND video_id = 7300000000000000004;
SELECT creator_handle, posts, posts_published, creator_fee_cents, gmv_cents, conversions, views, roi, roas
FROM tiktrack.campaign_creators(:summer);
SELECT spend_cents, gmv_cents, roi, posts_published, posts_pending,
	   gmv_cents = (SELECT sum(gmv_cents) FROM tiktrack.campaign_creators(:summer)) AS creators_add_up
FROM tiktrack.campaign_metrics(:summer);

-- Every public object of this part is documented.
SELECT p.oid::regprocedure::text AS undocumented
FROM pg_proc p
WHERE p.pronamespace = 'tiktrack'::regnamespace AND obj_description(p.oid, 'pg_proc') IS NULL
UNION ALL
SELECT c.oid::regclass::text
FROM pg_class c
WHERE c.relnamespace = 'tiktrack'::regnamespace AND c.relkind IN ('r', 'v')
  AND obj_description(c.oid, 'pg_class') IS NULL;

DROP EXTENSION tiktrack;
