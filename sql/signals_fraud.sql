--
-- Explainable fraud signals and the authenticity score, on hand-built
-- histories: "real" behaves, "fake" trips every signal, "empty" has no
-- data, and 24 peers make the micro tier's band.
--
CREATE EXTENSION tiktrack;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

INSERT INTO tiktrack.creators (id, handle) VALUES (1, 'real'), (2, 'fake'), (3, 'empty');
-- 24 micro-tier peers (20,000 followers), one post each: engagement rate
-- (420 + 20 n) / 10,000, comments / likes 20 / (400 + 20 n).
INSERT INTO tiktrack.creators (id, handle) SELECT 100 + n, 'peer_' || n FROM generate_series(1, 24) n;
INSERT INTO tiktrack.creator_stats (creator_id, captured_at, followers, source)
SELECT 100 + n, '2026-03-01', 20000, 'manual' FROM generate_series(1, 24) n;
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until)
SELECT 1000 + n, 100 + n, '2026-03-01', '2026-04-01' FROM generate_series(1, 24) n;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
SELECT 1000 + n, '2026-03-02', 10000, 400 + 20 * n, 20, 0, 'manual' FROM generate_series(1, 24) n;

-- real: 10 posts of 10,000 views, 800 likes, 30 comments, 20 shares,
-- reached in four even hourly steps; followers +90, +100, +110 a day.
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until)
SELECT 100 + i, 1, timestamptz '2026-03-01 00:00+00' + i * interval '1 day', '2026-05-01'
FROM generate_series(1, 10) i;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
SELECT v.id, v.posted_at + k * interval '1 hour', 2500 * k, 200 * k, 7 * k + k / 2, 5 * k, 'manual'
FROM tiktrack.videos v, generate_series(1, 4) k WHERE v.creator_id = 1;
INSERT INTO tiktrack.creator_stats (creator_id, captured_at, followers, source)
SELECT 1, timestamptz '2026-04-01 12:00+00' + d * interval '1 day',
	   50000 + (SELECT coalesce(sum(90 + 10 * (x % 3)), 0) FROM generate_series(1, d) x), 'manual'
FROM generate_series(0, 13) d;

-- fake: 501 and 502 have more likes than views, 503 too but under 100
-- views; 504's fifth hour brings 50,000 views and 2 likes; 505 is posted
-- in the week of the follower spike (+20,000 on 2026-04-10) and does no
-- better than the posts before.
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until) VALUES
	(501, 2, '2026-03-20 12:00+00', '2026-05-01'),
	(502, 2, '2026-03-25 12:00+00', '2026-05-01'),
	(503, 2, '2026-03-28 12:00+00', '2026-05-01'),
	(504, 2, '2026-03-30 00:00+00', '2026-05-01'),
	(505, 2, '2026-04-08 12:00+00', '2026-05-01');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source) VALUES
	(501, '2026-03-21 12:00+00', 500, 900, 0, 0, 'manual'),
	(502, '2026-03-26 12:00+00', 100, 101, 0, 0, 'manual'),
	(503, '2026-03-29 12:00+00', 50, 80, 0, 0, 'manual'),
	(504, '2026-03-30 01:00+00', 1000, 100, 5, 0, 'manual'),
	(504, '2026-03-30 02:00+00', 2000, 200, 5, 0, 'manual'),
	(504, '2026-03-30 03:00+00', 3000, 300, 5, 0, 'manual'),
	(504, '2026-03-30 04:00+00', 4000, 400, 5, 0, 'manual'),
	(504, '2026-03-30 05:00+00', 54000, 402, 5, 0, 'manual'),
	(504, '2026-03-30 06:00+00', 55000, 500, 5, 0, 'manual'),
	(505, '2026-04-09 12:00+00', 200, 10, 0, 0, 'manual');
INSERT INTO tiktrack.creator_stats (creator_id, captured_at, followers, source)
SELECT 2, timestamptz '2026-04-01 08:00+00' + d * interval '1 day',
	   50000 + 100 * d + CASE WHEN d >= 9 THEN 20000 ELSE 0 END, 'manual'
FROM generate_series(0, 13) d;
-- Two readings on one day count once (the later).
INSERT INTO tiktrack.creator_stats (creator_id, captured_at, followers, source) VALUES
	(2, '2026-04-01 07:00+00', 1, 'manual');

SELECT * FROM tiktrack.fraud_signals('real', '2026-05-01');
SELECT * FROM tiktrack.fraud_signals('@Fake', '2026-05-01');
SELECT * FROM tiktrack.fraud_signals('empty', '2026-05-01');
-- As of an earlier moment only what was known then counts: before the
-- spike and before 504's burst.
SELECT signal, value, flagged FROM tiktrack.fraud_signals('fake', '2026-03-30 04:30+00');

SELECT * FROM tiktrack.authenticity('real');
SELECT * FROM tiktrack.authenticity('fake');
SELECT * FROM tiktrack.authenticity('empty');

SELECT tiktrack.follower_tier(f) AS tier, f
FROM unnest(ARRAY[0, 9999, 10000, 99999, 100000, 499999, 500000, 999999, 1000000]::bigint[]) f;

SELECT * FROM tiktrack.fraud_signals('nobody');
SELECT * FROM tiktrack.authenticity('nobody');
SELECT * FROM tiktrack.fraud_signals('real', NULL);

DROP EXTENSION tiktrack;
