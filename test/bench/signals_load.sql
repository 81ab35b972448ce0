-- Benchmark data for test/bench/signals.sh (psql variables: videos,
-- creators, chunk_videos).  Video i (1..videos) belongs to creator
-- i % creators + 1 and is posted (videos - i) x 3 minutes before the load,
-- so the newest ~120 are younger than the 6-hour early window.  Views
-- follow V(t) = Vinf (1 - exp(-t / tau)) with a lognormal-ish Vinf and tau
-- of 3 to 48 hours, pure functions of i (runs are comparable).  Snapshots
-- every 15 minutes for 6 hours, hourly to 24 hours, daily to 8 days (49),
-- then one at 9 days, or at 30 days for the posts of every 8th creator
-- (12.5 % of the posts, about 10,700 of them old enough:
-- forecast_backtest('1 hour', '30 days') runs over them), never after the
-- load time: 50 per post.
\set ON_ERROR_STOP on
\timing off
SET client_min_messages = warning;

SELECT now() AS load_time \gset

INSERT INTO tiktrack.creators (id, handle)
SELECT c, 'creator_' || c FROM generate_series(1, :creators) c;

INSERT INTO tiktrack.videos (id, creator_id, kind, caption, posted_at, duration_s, state, track_until)
SELECT i, i % :creators + 1,
	   CASE WHEN i % 7 = 0 THEN 'photo' ELSE 'video' END,
	   format('#tag%s #tag%s', i % 40, (i * 7) % 40),
	   timestamptz :'load_time' - (:videos - i) * interval '3 minutes',
	   5 + (i * 37) % 200,
	   'completed', timestamptz :'load_time' + interval '1 day'
FROM generate_series(1, :videos) i;

CREATE TEMP TABLE ages AS
SELECT n * interval '15 minutes' AS age FROM generate_series(1, 24) n
UNION ALL SELECT n * interval '1 hour' FROM generate_series(7, 24) n
UNION ALL SELECT n * interval '1 day' FROM generate_series(2, 8) n;

SELECT format($q$
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
SELECT v.id, v.posted_at + a.age, x.views, x.views / 20, x.views / 400, x.views / 300, 'manual'
FROM tiktrack.videos v
CROSS JOIN ages a
CROSS JOIN LATERAL (
	SELECT floor((2000 + 1000000 * pow(((v.id * 7919) %% 1000 + 1) / 1001.0, 6))
				 * (1 - exp(-extract(epoch FROM a.age) / 3600 / (3 + (v.id * 104729) %% 46)))) ::bigint AS views) x
WHERE v.id > %s AND v.id <= %s AND v.posted_at + a.age <= timestamptz %L
ORDER BY v.id, a.age
$q$, lo, lo + :chunk_videos, :'load_time') AS load_chunk
FROM generate_series(0, :videos - 1, :chunk_videos) AS lo
\gexec

-- The 50th snapshot: 30 days for every 8th creator's posts, else 9 days.
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
SELECT v.id, v.posted_at + a.age, x.views, x.views / 20, x.views / 400, x.views / 300, 'manual'
FROM tiktrack.videos v
CROSS JOIN LATERAL (SELECT CASE WHEN v.creator_id % 8 = 0 THEN interval '30 days' ELSE interval '9 days' END AS age) a
CROSS JOIN LATERAL (
	SELECT floor((2000 + 1000000 * pow(((v.id * 7919) % 1000 + 1) / 1001.0, 6))
				 * (1 - exp(-extract(epoch FROM a.age) / 3600 / (3 + (v.id * 104729) % 46))))::bigint AS views) x
WHERE v.posted_at + a.age <= timestamptz :'load_time';

VACUUM ANALYZE tiktrack.videos;
VACUUM ANALYZE tiktrack.snapshots;
VACUUM ANALYZE tiktrack.latest_snapshots;
