-- track() and untrack(): from a pasted URL to a scheduled video.
CREATE EXTENSION tiktrack;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

-- (Inside one transaction now() stands still, so durations are exact.)
BEGIN;
SELECT tiktrack.track('https://www.tiktok.com/@Alice/video/7234567890123456789?is_from_webapp=1') AS video_id;
SELECT v.id, c.handle, v.kind, v.url, v.state, v.track_until - v.tracked_at AS tracked_for,
	   s.next_fetch_at = v.tracked_at AS due_now
FROM tiktrack.videos v JOIN tiktrack.creators c ON c.id = v.creator_id
JOIN tiktrack.video_schedule s ON s.video_id = v.id;

-- Tracking again extends, never duplicates.
SELECT tiktrack.track('https://m.tiktok.com/@alice/video/7234567890123456789', '30 days') AS video_id;
SELECT tiktrack.track('  tiktok.com/@alice/video/7234567890123456789/  ', '1 day') AS video_id;
SELECT count(*) AS videos, (SELECT count(*) FROM tiktrack.creators) AS creators,
	   max(track_until - tracked_at) AS tracked_for
FROM tiktrack.videos;
COMMIT;

-- A photo post, and a second creator.
SELECT tiktrack.track('https://www.tiktok.com/@bob.b/photo/7300000000000000001', '2 hours') AS video_id;
SELECT v.id, c.handle, v.kind, v.url, v.track_until - v.tracked_at AS tracked_for
FROM tiktrack.videos v JOIN tiktrack.creators c ON c.id = v.creator_id ORDER BY v.id;
-- A later, shorter request never shortens tracking.
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7234567890123456789', '1 minute') AS video_id;
SELECT track_until - tracked_at AS tracked_for FROM tiktrack.videos WHERE id = 7234567890123456789;

-- An embed link names no creator: track() needs it (TikTok serves a video
-- only through its creator's authorization), and nothing is written.
SELECT tiktrack.track('https://www.tiktok.com/embed/v2/7300000000000000002') AS video_id;
SELECT count(*) AS videos FROM tiktrack.videos WHERE id = 7300000000000000002;
-- With the creator, it is tracked under its canonical URL.
SELECT tiktrack.track('https://www.tiktok.com/embed/v2/7300000000000000002', creator_handle => '@Carol') AS video_id;
SELECT v.id, c.handle, v.url, v.state FROM tiktrack.videos v JOIN tiktrack.creators c ON c.id = v.creator_id
WHERE v.id = 7300000000000000002;
-- Once the video is known, its embed and full links need no handle.
SELECT tiktrack.track('https://m.tiktok.com/v/7300000000000000002.html') AS video_id;
SELECT tiktrack.track('https://www.tiktok.com/@carol/video/7300000000000000002') AS video_id;

-- A short link is stored for the fetcher to resolve, under a placeholder id.
SELECT tiktrack.track('https://vm.tiktok.com/ZMabc123/') < 0 AS placeholder;
SELECT tiktrack.track('https://vm.tiktok.com/ZMabc123') = (SELECT id FROM tiktrack.videos WHERE short_url IS NOT NULL) AS same_row;
SELECT short_url, state, creator_id, url FROM tiktrack.videos WHERE id < 0;

-- Profiles, bad URLs and bad durations are refused.
SELECT tiktrack.track('https://www.tiktok.com/@alice');
SELECT tiktrack.track('https://evil.example/@alice/video/7234567890123456789');
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7234567890123456789', '-1 day');
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7234567890123456789', '0');

-- untrack keeps history and stops the schedule.
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	VALUES (7234567890123456789, '2026-01-01', 10, 'manual');
SELECT tiktrack.untrack(7234567890123456789);
SELECT state, next_fetch_at FROM tiktrack.videos JOIN tiktrack.video_schedule ON video_id = id WHERE id = 7234567890123456789;
SELECT count(*) AS snapshots_kept FROM tiktrack.snapshots;
SELECT tiktrack.untrack(1);
-- Tracking a stopped video again revives it.
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7234567890123456789') AS video_id;
SELECT state, next_fetch_at IS NOT NULL AS scheduled FROM tiktrack.videos JOIN tiktrack.video_schedule ON video_id = id WHERE id = 7234567890123456789;

-- The worker's claim (tiktrack.claim_due_videos, which changes nothing):
-- the oldest due first, and with a window the same creator's videos due
-- within it (they share a request), found by the creator's schedule.
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7234567890123456790') AS second_video;
SELECT tiktrack.track('https://www.tiktok.com/@bob/video/7234567890123456791') AS bobs_video;
UPDATE tiktrack.video_schedule SET next_fetch_at = now() - interval '1 minute' WHERE video_id = 7234567890123456789;
UPDATE tiktrack.video_schedule SET next_fetch_at = now() + interval '2 minutes' WHERE video_id = 7234567890123456790;
UPDATE tiktrack.video_schedule SET next_fetch_at = now() + interval '1 minute' WHERE video_id = 7234567890123456791;
SELECT video_id, api, due_at > now() AS companion FROM tiktrack.claim_due_videos(10);
SELECT video_id, api, due_at > now() AS companion FROM tiktrack.claim_due_videos(10, '5 minutes') ORDER BY video_id;
SELECT v.id, s.creator_id = v.creator_id AS schedule_knows_creator
FROM tiktrack.videos v JOIN tiktrack.video_schedule s ON s.video_id = v.id ORDER BY v.id;

-- ensure_creator normalises handles and refuses junk.
SELECT tiktrack.ensure_creator('@Alice') = (SELECT id FROM tiktrack.creators WHERE handle = 'alice') AS same_creator;
SELECT tiktrack.ensure_creator('not a handle');

DROP EXTENSION tiktrack;
