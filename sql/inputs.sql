--
-- What a careless user types (issue 9): NULLs, infinite times, NaN, huge
-- or blank strings, control characters, embed links, an order recorded
-- twice, out-of-range intervals; and campaign totals beyond bigint.
-- Each error is shown with its SQLSTATE, and each is followed by a check
-- that nothing was half written.
--
CREATE EXTENSION tiktrack;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

--
-- NULL where a value is needed: 22004, before anything is written.
--
SELECT tiktrack.track(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.track(NULL, '1 day', 'alice');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.ensure_creator(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- No creator row and no identity value burnt: the first creator gets id 1.
SELECT count(*) AS creators FROM tiktrack.creators;
SELECT tiktrack.ensure_creator('@Alice') AS alice_id;
SELECT tiktrack.create_campaign('c', NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.create_campaign(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS campaigns FROM tiktrack.campaigns;

SELECT tiktrack.create_campaign('Launch') AS launch \gset
SELECT status, video_id, reason FROM tiktrack.add_posts(:launch, $$[
	{"url": "https://www.tiktok.com/@alice/video/7300000000000000001", "creator_handle": "alice", "fee_cents": 1000},
	{"url": "https://www.tiktok.com/@bob/video/7300000000000000002", "creator_handle": "bob", "fee_cents": 2000}
]$$);
SELECT tiktrack.record_conversion(:launch, NULL, 100);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- A 100 kB handle is quoted clipped.
SELECT tiktrack.record_conversion(:launch, repeat('h', 102400), 100);
SELECT tiktrack.ensure_creator(repeat('h', 102400));
SELECT tiktrack.track('https://www.tiktok.com/embed/v2/7300000000000000009', creator_handle => repeat('h', 102400));
SELECT count(*) AS conversions FROM tiktrack.conversions;

--
-- Infinite times and NaN: refused by the functions (22023) and, for direct
-- INSERTs, by CHECK constraints (23514).
--
SELECT tiktrack.create_campaign('Forever', 'USD', 0, NULL, '2026-01-01', 'infinity');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.create_campaign('Since ever', 'USD', 0, NULL, '-infinity');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.record_conversion(:launch, 'alice', 100, 'infinity');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.record_conversion(:launch, 'alice', 100, '-infinity');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- (The DETAIL of a CHECK violation shows the row, including now(): terse.)
\set VERBOSITY terse
INSERT INTO tiktrack.campaigns (name, ends_at) VALUES ('Forever', 'infinity');
INSERT INTO tiktrack.campaigns (name, starts_at) VALUES ('Since ever', '-infinity');
INSERT INTO tiktrack.conversions (campaign_id, creator_id, revenue_cents, occurred_at)
	VALUES (:launch, 1, 100, 'infinity');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	VALUES (7300000000000000001, 'infinity', 10, 'manual');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	VALUES (7300000000000000001, '-infinity', 10, 'manual');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, avg_watch_time_s, source)
	VALUES (7300000000000000001, '2026-05-01', 10, 'NaN', 'business');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, total_watch_time_s, source)
	VALUES (7300000000000000001, '2026-05-01', 10, 'NaN', 'business');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, total_watch_time_s, source)
	VALUES (7300000000000000001, '2026-05-01', 10, 'Infinity', 'business');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
\set VERBOSITY default
SELECT (SELECT count(*) FROM tiktrack.campaigns) AS campaigns,
	   (SELECT count(*) FROM tiktrack.conversions) AS conversions,
	   (SELECT count(*) FROM tiktrack.snapshots) AS snapshots,
	   (SELECT count(*) FROM tiktrack.latest_snapshots) AS latest_snapshots;
-- A finite watch time is fine.
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, avg_watch_time_s, total_watch_time_s, source)
	VALUES (7300000000000000001, '2026-05-01', 10, 4.5, 45, 'business');
SELECT video_id, captured_at, avg_watch_time_s, total_watch_time_s FROM tiktrack.latest_snapshots;

--
-- Order ids: trimmed; the same sale again counts once; another sale under
-- the same id is an error (23505) and changes nothing.
--
SELECT tiktrack.record_conversion(:launch, 'alice', 5000, '2026-05-02 10:00+00', ' X1 ') AS x1 \gset
SELECT order_id, revenue_cents FROM tiktrack.conversions WHERE id = :x1;
SELECT tiktrack.record_conversion(:launch, '@ALICE', 5000, '2026-05-02 11:00+00', 'X1') = :x1 AS same_id;
SELECT tiktrack.record_conversion(:launch, 'alice', 5001, '2026-05-02 10:00+00', 'X1');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.record_conversion(:launch, 'bob', 5000, '2026-05-02 10:00+00', 'X1 ');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.record_conversion(:launch, 'alice', 5000, '2026-05-02 10:00+00', 'X1',
								  video_id => 7300000000000000001);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- Tabs and line breaks around the id are trimmed too.
SELECT tiktrack.record_conversion(:launch, 'alice', 5000, '2026-05-02 10:00+00', E'\tX1\n') = :x1 AS same_id;
SELECT tiktrack.record_conversion(:launch, 'alice', 5000, order_id => E' \t\n ');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.record_conversion(:launch, 'alice', 5000, order_id => '');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- 100 kB values: the length limits, the message clipped.
SELECT tiktrack.record_conversion(:launch, 'alice', 5000, order_id => repeat('o', 102400));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.record_conversion(:launch, 'alice', 5000, promo_code => repeat('p', 201));
SELECT tiktrack.record_conversion(:launch, 'alice', 5000, utm_source => repeat('s', 102400));
SELECT tiktrack.record_conversion(:launch, 'alice', 5000, utm_content => repeat('c', 501));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
-- At the limits, accepted.
SELECT tiktrack.record_conversion(:launch, 'alice', 1, order_id => repeat('o', 200), promo_code => repeat('p', 200),
								  utm_source => repeat('s', 500), utm_medium => repeat('m', 500),
								  utm_campaign => repeat('n', 500), utm_content => repeat('c', 500)) > :x1 AS recorded;
SELECT count(*) AS conversions, sum(revenue_cents) AS revenue_cents FROM tiktrack.conversions;

--
-- Campaign names: at most 200 characters, no control characters.
--
SELECT tiktrack.create_campaign(repeat('n', 102400));
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.create_campaign(E'Summer\tdrop');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.create_campaign(E'Summer\ndrop');
SELECT tiktrack.create_campaign('  Summer drop ') IS NOT NULL AS trimmed_ok;
SELECT tiktrack.create_campaign(repeat('n', 200)) AS at_limit \gset
SELECT length(name) FROM tiktrack.campaigns WHERE id = :at_limit;
DELETE FROM tiktrack.campaigns WHERE id = :at_limit;
SELECT name FROM tiktrack.campaigns WHERE name LIKE 'Summer%';

--
-- Embed links name no creator.  add_posts() uses the creator it is given;
-- track() needs creator_handle unless the video is known already.
--
SELECT url, status, video_id, reason FROM tiktrack.add_posts(:launch, $$[
	{"url": "https://www.tiktok.com/embed/v2/7300000000000000003", "creator_handle": "@Carol", "fee_cents": 300},
	{"url": "https://m.tiktok.com/v/7300000000000000004.html", "creator_handle": "dave"}
]$$);
SELECT v.id, c.handle, v.url, v.state, s.next_fetch_at IS NOT NULL AS scheduled
FROM tiktrack.videos v JOIN tiktrack.creators c ON c.id = v.creator_id
JOIN tiktrack.video_schedule s ON s.video_id = v.id
WHERE v.id IN (7300000000000000003, 7300000000000000004) ORDER BY v.id;
SELECT tiktrack.track('https://www.tiktok.com/embed/v2/7300000000000000005');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.track('https://www.tiktok.com/embed/v2/7300000000000000005', creator_handle => 'not a handle');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.track('https://www.tiktok.com/@erin/video/7300000000000000005', creator_handle => 'frank');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT count(*) AS videos_5 FROM tiktrack.videos WHERE id = 7300000000000000005;
SELECT tiktrack.track('https://www.tiktok.com/embed/v2/7300000000000000005', creator_handle => 'erin') AS video_id;
SELECT v.url, c.handle FROM tiktrack.videos v JOIN tiktrack.creators c ON c.id = v.creator_id
WHERE v.id = 7300000000000000005;
-- Known now: the embed link alone resolves its creator.
SELECT tiktrack.track('https://www.tiktok.com/embed/v2/7300000000000000005', '30 days') AS video_id;

--
-- A post never changes hands: a URL or handle naming another creator is
-- refused (22023 naming both), as add_posts() refuses it.
--
SELECT tiktrack.track('https://www.tiktok.com/@mallory/video/7300000000000000001');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.track('https://www.tiktok.com/embed/v2/7300000000000000001', creator_handle => 'mallory');
SELECT tiktrack.create_campaign('Other') AS other \gset
SELECT status, reason FROM tiktrack.add_posts(:other, $$[
	{"url": "https://www.tiktok.com/@mallory/video/7300000000000000001", "creator_handle": "mallory"},
	{"url": "https://www.tiktok.com/embed/7300000000000000001", "creator_handle": "mallory"}
]$$);
SELECT count(*) AS mallory FROM tiktrack.creators WHERE handle = 'mallory';
SELECT v.id, c.handle FROM tiktrack.videos v JOIN tiktrack.creators c ON c.id = v.creator_id
WHERE v.id = 7300000000000000001;

--
-- track_for: positive and at most 10 years.
--
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7300000000000000001', '1000 years');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7300000000000000001', '100000000 years');
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7300000000000000001', '10 years 1 day');
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7300000000000000001', '3700 days');
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7300000000000000001', NULL);
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7300000000000000001', '10 years') AS video_id;
SELECT track_until BETWEEN now() + interval '10 years' - interval '1 minute' AND now() + interval '10 years' AS ten_years
FROM tiktrack.videos WHERE id = 7300000000000000001;

--
-- The fetching functions check their arguments before any request.
--
SELECT tiktrack.connect_creator('act.x', 'rft.x', api => NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.connect_creator('act.x', 'rft.x', refresh_expires_in => -1);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.connect_creator('act.x', 'rft.x', refresh_expires_in => 0);
SELECT tiktrack.disconnect_creator('alice', purge => NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.disconnect_creator(NULL);
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.track_creator_videos('alice', track_for => '-1 day');
\echo SQLSTATE :LAST_ERROR_SQLSTATE
SELECT tiktrack.track_creator_videos('alice', track_for => '1000 years');
SELECT tiktrack.track_creator_videos('alice', track_for => NULL);
-- Nothing was asked of TikTok, nothing changed.
SELECT count(*) AS requests FROM tiktrack.fetch_log;
SELECT handle, auth_status, last_error FROM tiktrack.creators WHERE handle = 'alice';
SELECT state FROM tiktrack.videos WHERE id = 7300000000000000001;

--
-- Totals beyond bigint: every amount may be up to 2^63-1; a campaign's
-- spend and GMV are exact numerics, and one such campaign breaks no view.
--
SELECT tiktrack.create_campaign('Whale', 'USD', 9223372036854775807) AS whale \gset
SELECT status, reason FROM tiktrack.add_posts(:whale, $$[
	{"url": "https://www.tiktok.com/@alice/video/7300000000000000001", "creator_handle": "alice", "fee_cents": 9223372036854775807},
	{"url": "https://www.tiktok.com/@alice/video/7300000000000000006", "creator_handle": "alice", "fee_cents": 9223372036854775806},
	{"url": "https://www.tiktok.com/@bob/video/7300000000000000002", "creator_handle": "bob", "fee_cents": 9223372036854775807}
]$$);
SELECT tiktrack.record_conversion(:whale, 'alice', 9223372036854775807, '2026-05-01', 'W1') > 0 AS w1,
	   tiktrack.record_conversion(:whale, 'alice', 9223372036854775807, '2026-05-02', 'W2') > 0 AS w2,
	   tiktrack.record_conversion(:whale, 'bob', 9223372036854775807, '2026-05-03', 'W3') > 0 AS w3,
	   tiktrack.record_conversion(:whale, 'bob', 8, '2026-05-03', 'W4') > 0 AS w4;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, saves, source)
	VALUES (7300000000000000006, '2026-05-01', 9223372036854775807, 9223372036854775807,
			9223372036854775807, 9223372036854775807, 9223372036854775807, 'manual'),
		   (7300000000000000002, '2026-05-01', 9223372036854775807, 1, 2, 3, 4, 'manual');
-- spend = 4 x (2^63-1) - 1, GMV = 3 x (2^63-1) + 8, as_of counts the first two sales.
\x on
SELECT * FROM tiktrack.campaign_metrics(:whale);
\x off
SELECT spend_cents = 4 * 9223372036854775807::numeric - 1 AS spend_exact,
	   creator_fee_cents = 3 * 9223372036854775807::numeric - 1 AS fees_exact,
	   gmv_cents = 3 * 9223372036854775807::numeric + 8 AS gmv_exact,
	   roi = ((3 * 9223372036854775807::numeric + 8) - (4 * 9223372036854775807::numeric - 1))::float8
			 / (4 * 9223372036854775807::numeric - 1)::float8 AS roi_exact,
	   total_engagement = 4 * 9223372036854775807::numeric + 10 AS engagement_exact
FROM tiktrack.campaign_metrics(:whale);
SELECT gmv_cents FROM tiktrack.campaign_metrics(:whale, '2026-05-02 12:00+00');
SELECT gmv_cents FROM tiktrack.campaign_metrics(:whale, '2026-04-30');
-- Every campaign in the summary, the whale and the others.
SELECT name, posts, spend_cents, creator_fee_cents, gmv_cents, total_views, roas
FROM tiktrack.campaign_summary ORDER BY campaign_id;
SELECT campaign_id = :whale AS whale, creator_handle, posts, creator_fee_cents, gmv_cents, conversions, views, engagement, roas
FROM tiktrack.campaign_creator_stats ORDER BY campaign_id, creator_handle;
SELECT creator_handle, creator_fee_cents, gmv_cents FROM tiktrack.campaign_creators(:whale);
-- A post's own engagement passes bigint too (four counters at 2^63-1).
SELECT video_id, engagement, engagement_rate FROM tiktrack.video_latest_stats
WHERE video_id IN (7300000000000000002, 7300000000000000006) ORDER BY video_id;
SELECT video_id, fee_cents, engagement, engagement_rate, cpm_cents FROM tiktrack.campaign_posts(:whale);

DROP EXTENSION tiktrack;
