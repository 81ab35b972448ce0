--
-- Campaigns from SQL: create_campaign, add_posts (partial success),
-- record_conversion (order_id counted once), and what DELETE removes.
--
CREATE EXTENSION tiktrack;
-- Errors are shown with their hint; PL/pgSQL call stacks are noise here.
\set SHOW_CONTEXT never
-- pg_regress's client defaults are PST8PDT and Postgres-style dates.
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

--
-- create_campaign
--
SELECT tiktrack.create_campaign('Spring 2026 launch') AS spring \gset
SELECT id = :spring AS is_spring, name, currency, agency_fee_cents, budget_cents, starts_at, ends_at, archived
FROM tiktrack.campaigns;
-- Currency in any case, stored upper case; JPY amounts are whole yen.
SELECT tiktrack.create_campaign(' Tokyo drop ', 'jpy', 30000, 1000000,
								'2026-05-01 00:00+00', '2026-05-31 00:00+00') AS tokyo \gset
SELECT name, currency, agency_fee_cents, budget_cents, starts_at, ends_at
FROM tiktrack.campaigns WHERE id = :tokyo;
-- Runs until 2099: its posts are tracked until 30 days after it ends.
SELECT tiktrack.create_campaign('Evergreen', 'EUR', ends_at => '2099-01-01 00:00+00') AS evergreen \gset

-- Bad input: clear errors naming the value.
SELECT tiktrack.create_campaign('Spring 2026 launch', 'EUR');
SELECT tiktrack.create_campaign('Spring 2026 launch ');
SELECT tiktrack.create_campaign('Bad currency', 'XYZ');
SELECT tiktrack.create_campaign('Bad currency', 'US');
SELECT tiktrack.create_campaign('Bad currency', NULL);
SELECT tiktrack.create_campaign('Negative fee', 'USD', -1);
SELECT tiktrack.create_campaign('NULL fee', 'USD', NULL);
SELECT tiktrack.create_campaign('Negative budget', 'USD', 0, -500);
SELECT tiktrack.create_campaign('Backwards', 'USD', 0, NULL, '2026-05-10 00:00+00', '2026-05-01 00:00+00');
SELECT tiktrack.create_campaign('   ');
SELECT tiktrack.create_campaign(NULL);
SELECT count(*) AS campaigns FROM tiktrack.campaigns;

--
-- add_posts: one row per element, in order; rejections do not stop the others.
--
SELECT * FROM tiktrack.add_posts(:spring, $$[
	{"url": "https://www.tiktok.com/@alice/video/7234567890123456789", "creator_handle": "alice", "fee_cents": 50000},
	{"url": "https://www.tiktok.com/@bob.smith/video/7234567890123456790", "creator_handle": " @Bob.Smith"},
	{"url": "https://vm.tiktok.com/ZMabcdef/", "creator_handle": "carol", "fee_cents": 1000},
	{"url": "https://www.tiktok.com/@erin/video/7234567890123456792", "creator_handle": "erin", "fee_cents": null},
	{"url": "not a url", "creator_handle": "dave"},
	{"url": "https://www.tiktok.com/@alice", "creator_handle": "alice"},
	{"url": "https://www.tiktok.com/@alice/video/7234567890123456791", "creator_handle": "mallory"},
	{"url": "https://www.tiktok.com/@alice/video/7234567890123456789", "creator_handle": "alice", "fee_cents": 1},
	{"url": "https://vm.tiktok.com/ZMabcdef/", "creator_handle": "carol"},
	{"url": "https://www.tiktok.com/@frank/video/7234567890123456793", "creator_handle": "frank", "fee_cents": -5},
	{"url": "https://www.tiktok.com/@frank/video/7234567890123456793", "creator_handle": "frank", "fee_cents": 12.5},
	{"url": "https://www.tiktok.com/@frank/video/7234567890123456793", "creator_handle": "frank", "fee_cents": "100"},
	{"creator_handle": "frank"},
	{"url": "  ", "creator_handle": "frank"},
	{"url": "https://www.tiktok.com/@frank/video/7234567890123456793"},
	{"url": "https://www.tiktok.com/@frank/video/7234567890123456793", "creator_handle": "frank!"},
	{"url": "https://www.tiktok.com/@frank/video/7234567890123456793", "creator_handle": "frank", "fee": 100},
	"https://www.tiktok.com/@frank/video/7234567890123456793"
]$$);

-- What was added: links, fees, creators, tracked videos.
SELECT cp.video_id, cr.handle, cp.fee_cents, v.url, v.short_url, v.state
FROM tiktrack.campaign_posts cp
JOIN tiktrack.creators cr ON cr.id = cp.creator_id
JOIN tiktrack.videos v ON v.id = cp.video_id
WHERE cp.campaign_id = :spring
ORDER BY cp.video_id;
-- Rejected elements created no creator (dave, mallory, frank) and no video.
SELECT handle FROM tiktrack.creators ORDER BY handle;
SELECT count(*) AS videos FROM tiktrack.videos;
-- The campaign ended long ago (or has no end): tracked for the usual 7 days.
SELECT bool_and(track_until = tracked_at + interval '7 days') AS seven_days FROM tiktrack.videos;

-- A post may be in several campaigns; Evergreen (ending 2099) tracks it for
-- the longest tiktrack.track() allows, 10 years from now.
SELECT status, video_id, reason FROM tiktrack.add_posts(:evergreen,
	'[{"url": "https://www.tiktok.com/@alice/video/7234567890123456789", "creator_handle": "alice"}]');
SELECT track_until BETWEEN now() + interval '10 years' - interval '1 minute' AND now() + interval '10 years' AS ten_years
FROM tiktrack.videos WHERE id = 7234567890123456789;

-- Once the short link is resolved (the fetcher's resolve_placeholder: the
-- row under the real id takes the campaign link, the placeholder goes), the
-- post's creator is known: another handle is rejected after tracking, and
-- its subtransaction leaves nothing behind.
SELECT tiktrack.resolve_placeholder(id, 7234567890123456794, 'carol', 'video',
		'https://www.tiktok.com/@carol/video/7234567890123456794') AS resolved
FROM tiktrack.videos WHERE short_url IS NOT NULL;
SELECT id, short_url, state FROM tiktrack.videos WHERE id = 7234567890123456794 OR id < 0;
SELECT video_id, fee_cents FROM tiktrack.campaign_posts
WHERE campaign_id = :spring AND creator_id = (SELECT id FROM tiktrack.creators WHERE handle = 'carol');
SELECT * FROM tiktrack.add_posts(:tokyo, $$[
	{"url": "https://vm.tiktok.com/ZMabcdef/", "creator_handle": "zed", "fee_cents": 70000},
	{"url": "https://vm.tiktok.com/ZMabcdef/", "creator_handle": "carol", "fee_cents": 70000}
]$$);
SELECT count(*) AS zed FROM tiktrack.creators WHERE handle = 'zed';
SELECT campaign_id = :tokyo AS tokyo, video_id, fee_cents FROM tiktrack.campaign_posts
WHERE video_id = 7234567890123456794 ORDER BY campaign_id;

-- Whole-call errors.
SELECT * FROM tiktrack.add_posts(424242, '[]');
SELECT * FROM tiktrack.add_posts(NULL, '[]');
SELECT * FROM tiktrack.add_posts(:spring, '{"url": "https://www.tiktok.com/@alice/video/1"}');
SELECT * FROM tiktrack.add_posts(:spring, NULL);
SELECT count(*) AS no_rows FROM tiktrack.add_posts(:spring, '[]');

--
-- record_conversion
--
SELECT tiktrack.record_conversion(:spring, 'alice', 120000, '2026-05-20 12:00+00', 'ORDER-1', 'ALICE10') AS conv1 \gset
-- The same order again counts once (a retry at another time, with the id
-- padded); with other figures or another creator it is an error
-- (tested in inputs.sql).
SELECT tiktrack.record_conversion(:spring, '@ALICE', 120000, '2026-05-21 00:00+00', ' ORDER-1 ') = :conv1 AS same_id;
-- The same order id in another campaign is another sale.
SELECT tiktrack.record_conversion(:tokyo, 'carol', 8000, '2026-05-22 00:00+00', 'ORDER-1') <> :conv1 AS other_id;
-- No order id: every call is a sale.
SELECT tiktrack.record_conversion(:spring, 'bob.smith', 1500, '2026-05-23 00:00+00') IS NOT NULL AS recorded;
SELECT tiktrack.record_conversion(:spring, 'bob.smith', 1500, '2026-05-23 00:00+00') IS NOT NULL AS recorded;
-- Attributed to a post, with UTM parameters.
SELECT tiktrack.record_conversion(:spring, 'erin', 4200, '2026-05-24 00:00+00', 'ORDER-2', NULL,
								  7234567890123456792, 'tiktok', 'influencer', 'spring26', 'erin-video') IS NOT NULL AS recorded;
SELECT campaign_id = :spring AS spring, cr.handle, revenue_cents, occurred_at, order_id, promo_code, video_id,
	   utm_source, utm_medium, utm_campaign, utm_content
FROM tiktrack.conversions cv JOIN tiktrack.creators cr ON cr.id = cv.creator_id
ORDER BY cv.id;
SELECT sum(revenue_cents) AS spring_gmv FROM tiktrack.conversions WHERE campaign_id = :spring;

-- Bad input.
SELECT tiktrack.record_conversion(424242, 'alice', 100);
SELECT tiktrack.record_conversion(:spring, 'nobody', 100);
SELECT tiktrack.record_conversion(:tokyo, 'alice', 100);
SELECT tiktrack.record_conversion(:spring, 'alice', -100);
SELECT tiktrack.record_conversion(:spring, 'alice', NULL);
SELECT tiktrack.record_conversion(:spring, 'alice', 100, NULL);
SELECT tiktrack.record_conversion(:spring, 'alice', 100, now(), '  ');
SELECT tiktrack.record_conversion(:spring, 'alice', 100, video_id => 7234567890123456792);
SELECT count(*) AS conversions FROM tiktrack.conversions;

--
-- DELETE removes a campaign's posts and conversions, never creators,
-- videos or snapshots.
--
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
VALUES (7234567890123456789, '2026-05-16 10:00+00', 1000, 10, 1, 0, 'manual'),
	   (7234567890123456794, '2026-05-16 10:00+00', 2000, 20, 2, 0, 'manual');
SELECT (SELECT count(*) FROM tiktrack.creators) AS creators,
	   (SELECT count(*) FROM tiktrack.videos) AS videos,
	   (SELECT count(*) FROM tiktrack.snapshots) AS snapshots,
	   (SELECT count(*) FROM tiktrack.latest_snapshots) AS latest,
	   (SELECT count(*) FROM tiktrack.campaign_posts) AS posts,
	   (SELECT count(*) FROM tiktrack.conversions) AS conversions;
DELETE FROM tiktrack.campaigns WHERE id = :spring;
SELECT (SELECT count(*) FROM tiktrack.creators) AS creators,
	   (SELECT count(*) FROM tiktrack.videos) AS videos,
	   (SELECT count(*) FROM tiktrack.snapshots) AS snapshots,
	   (SELECT count(*) FROM tiktrack.latest_snapshots) AS latest,
	   (SELECT count(*) FROM tiktrack.campaign_posts) AS posts,
	   (SELECT count(*) FROM tiktrack.conversions) AS conversions;
DELETE FROM tiktrack.campaigns;
SELECT (SELECT count(*) FROM tiktrack.creators) AS creators,
	   (SELECT count(*) FROM tiktrack.videos) AS videos,
	   (SELECT count(*) FROM tiktrack.snapshots) AS snapshots,
	   (SELECT count(*) FROM tiktrack.campaign_posts) AS posts,
	   (SELECT count(*) FROM tiktrack.conversions) AS conversions;

DROP EXTENSION tiktrack;
