-- Benchmark data for test/bench/campaign_metrics.sh (psql variables:
-- videos, snaps_per_video, posts_per_campaign, campaigns, chunk_videos).
-- Every counter is a pure function of (video, hour) so runs are comparable.
\set ON_ERROR_STOP on
\timing off
SET client_min_messages = warning;

\echo loading creators and videos
INSERT INTO tiktrack.creators (handle)
SELECT 'creator_' || c FROM generate_series(1, greatest(:videos / 10, 1)) AS c;

-- Video i belongs to creator (i % creators) + 1, posted one of 100 days,
-- with three hashtags out of 40 and a mention out of 10.
INSERT INTO tiktrack.videos (id, creator_id, url, caption, posted_at, state, track_until)
SELECT 7000000000000000000 + i,
	   cr.id,
	   'https://www.tiktok.com/@' || cr.handle || '/video/' || (7000000000000000000 + i),
	   format('Day %s #tag%s #tag%s #tag%s @brand%s', i % 100, i % 40, (i * 7) % 40, (i * 13) % 40, i % 10),
	   timestamptz '2026-01-01 00:00+00' + (i % 100) * interval '1 day' + (i % 24) * interval '1 hour',
	   'completed',
	   timestamptz '2026-06-01 00:00+00'
FROM generate_series(1, :videos) AS i
JOIN tiktrack.creators cr ON cr.handle = 'creator_' || (i % greatest(:videos / 10, 1) + 1);

-- Hourly snapshots from posting time on, in big statements (the statement
-- trigger folds each batch into latest_snapshots once).  Even videos come
-- from the Business API (saves, completion rate), odd ones from Display.
SELECT format($q$
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, saves, completion_rate, source)
SELECT v.id, v.posted_at + h * interval '1 hour',
	   h * (1000 + v.id %% 997), h * (50 + v.id %% 53), h * (2 + v.id %% 5), h * (1 + v.id %% 3),
	   CASE WHEN v.id %% 2 = 0 THEN h * (5 + v.id %% 7) END,
	   CASE WHEN v.id %% 2 = 0 THEN 0.2 + (v.id %% 50) / 100.0 END,
	   CASE WHEN v.id %% 2 = 0 THEN 'business' ELSE 'display' END
FROM tiktrack.videos v, generate_series(1, %s) AS h
WHERE v.id > 7000000000000000000 + %s AND v.id <= 7000000000000000000 + %s
ORDER BY v.id, h
$q$, :snaps_per_video, lo, lo + :chunk_videos) AS load_chunk
FROM generate_series(0, :videos - 1, :chunk_videos) AS lo
\gexec

\echo loading campaigns, posts and conversions
-- Campaign k takes every campaigns-th video from offset k: posts spread
-- over all creators and posting days.
SELECT count(tiktrack.create_campaign('Bench ' || k, 'USD', 500000)) AS campaigns FROM generate_series(1, :campaigns) AS k \gset
INSERT INTO tiktrack.campaign_posts (campaign_id, video_id, creator_id, fee_cents)
SELECT k.id, v.id, v.creator_id, 10000 + (v.id % 50) * 100
FROM tiktrack.campaigns k
JOIN tiktrack.videos v ON (v.id - 7000000000000000000) % :campaigns = k.id % :campaigns
WHERE (v.id - 7000000000000000000 - 1) / :campaigns < :posts_per_campaign;
INSERT INTO tiktrack.conversions (campaign_id, creator_id, video_id, revenue_cents, occurred_at, order_id)
SELECT cp.campaign_id, cp.creator_id, cp.video_id, 2000 + (cp.video_id % 31) * 100,
	   timestamptz '2026-01-01 00:00+00' + (cp.video_id % 120) * interval '1 day' + n * interval '1 hour',
	   cp.video_id || '-' || n
FROM tiktrack.campaign_posts cp, generate_series(1, 5) AS n;

\echo vacuum analyze
VACUUM (ANALYZE) tiktrack.snapshots, tiktrack.latest_snapshots, tiktrack.videos, tiktrack.creators,
	tiktrack.campaigns, tiktrack.campaign_posts, tiktrack.conversions;
