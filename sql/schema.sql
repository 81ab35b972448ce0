-- Data model: tables, constraints and the errors a user sees.
CREATE EXTENSION tiktrack;
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

-- Every public table, view, function and aggregate is documented.
SELECT c.relname AS undocumented_relation
FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'tiktrack' AND c.relkind IN ('r', 'v', 'm', 'S')
  AND obj_description(c.oid, 'pg_class') IS NULL
ORDER BY 1;
SELECT p.oid::regprocedure AS undocumented_function
FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'tiktrack' AND obj_description(p.oid, 'pg_proc') IS NULL
ORDER BY 1;

-- User data is registered for pg_dump; derived data is not.
SELECT unnest(extconfig)::regclass AS dumped FROM pg_extension WHERE extname = 'tiktrack' ORDER BY 1::text;

-- Creators: one row per lower-case handle.
INSERT INTO tiktrack.creators (handle) VALUES ('alice');
INSERT INTO tiktrack.creators (handle) VALUES ('alice');
-- (The DETAIL of a CHECK violation shows the row, including now(): terse.)
\set VERBOSITY terse
INSERT INTO tiktrack.creators (handle) VALUES ('Alice');
INSERT INTO tiktrack.creators (handle, auth_status) VALUES ('bob', 'maybe');
\set VERBOSITY default

-- Videos and snapshots.
INSERT INTO tiktrack.videos (id, creator_id, url, track_until)
	SELECT 7234567890123456789, id, 'https://www.tiktok.com/@alice/video/7234567890123456789', '2026-01-08'
	FROM tiktrack.creators WHERE handle = 'alice';
\set VERBOSITY terse
INSERT INTO tiktrack.videos (id, url, track_until, state)
	VALUES (7234567890123456780, 'https://www.tiktok.com/@alice/video/7234567890123456780', '2026-01-08', 'paused');
-- A negative (placeholder) id needs a short link.
INSERT INTO tiktrack.videos (id, track_until) VALUES (-1, '2026-01-08');
\set VERBOSITY default

INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
	VALUES (7234567890123456789, '2026-01-01 10:00+00', 1000, 100, 10, 1, 'display');
-- Counters are non-negative; a completion rate is a fraction.
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	VALUES (7234567890123456789, '2026-01-01 11:00+00', -5, 'display');
INSERT INTO tiktrack.snapshots (video_id, captured_at, likes, source)
	VALUES (7234567890123456789, '2026-01-01 11:00+00', -1, 'display');
INSERT INTO tiktrack.snapshots (video_id, captured_at, completion_rate, source)
	VALUES (7234567890123456789, '2026-01-01 11:00+00', 1.5, 'business');
-- One snapshot per video and instant.
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	VALUES (7234567890123456789, '2026-01-01 10:00+00', 1001, 'display');
-- Unknown source, unknown video.
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	VALUES (7234567890123456789, '2026-01-01 12:00+00', 1, 'scraper');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	VALUES (42, '2026-01-01 12:00+00', 1, 'display');

-- A metric that was not fetched stays NULL.
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
	VALUES (7234567890123456789, '2026-01-01 09:00+00', 500, 50, 5, 0, 'display'),
		   (7234567890123456789, '2026-01-01 12:00+00', 2000, 150, 12, 3, 'display');
SELECT captured_at, views, likes, comments, shares, saves, reach, completion_rate, source
FROM tiktrack.snapshots ORDER BY captured_at;

-- latest_snapshots follows the newest snapshot, whatever the insert order.
SELECT video_id, captured_at, views, likes, saves, snapshot_count FROM tiktrack.latest_snapshots;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	VALUES (7234567890123456789, '2026-01-01 08:00+00', 100, 'display');
SELECT video_id, captured_at, views, snapshot_count FROM tiktrack.latest_snapshots;

-- Hashtags and mentions derive from the caption.
UPDATE tiktrack.videos SET caption = 'Spring drop #WWE #ad @Bob_1 and #wwe again, mail me@example.com #'
	WHERE id = 7234567890123456789;
SELECT hashtags, mentions FROM tiktrack.videos WHERE id = 7234567890123456789;
SELECT tiktrack.caption_tags('#a#b #c. @x.y. @_z', '#') AS hashtags,
	   tiktrack.caption_tags('#a#b #c. @x.y. @_z', '@') AS mentions;

-- Campaigns: ISO 4217 currency, unique name, non-negative money.
INSERT INTO tiktrack.campaigns (name, currency) VALUES ('Spring 2026 launch', 'USD');
INSERT INTO tiktrack.campaigns (name, currency) VALUES ('Spring 2026 launch', 'EUR');
INSERT INTO tiktrack.campaigns (name, currency) VALUES ('Bad currency', 'XYZ');
INSERT INTO tiktrack.campaigns (name, currency) VALUES ('Lower currency', 'usd');
\set VERBOSITY terse
INSERT INTO tiktrack.campaigns (name, agency_fee_cents) VALUES ('Negative fee', -1);
INSERT INTO tiktrack.campaigns (name, starts_at, ends_at) VALUES ('Backwards', '2026-02-01', '2026-01-01');
INSERT INTO tiktrack.campaigns (name) VALUES ('   ');
\set VERBOSITY default
SELECT name, currency, agency_fee_cents, budget_cents, archived FROM tiktrack.campaigns;

\set VERBOSITY terse
INSERT INTO tiktrack.campaign_posts (campaign_id, video_id, creator_id, fee_cents)
	SELECT c.id, 7234567890123456789, cr.id, -100
	FROM tiktrack.campaigns c, tiktrack.creators cr WHERE cr.handle = 'alice';
\set VERBOSITY default
INSERT INTO tiktrack.campaign_posts (campaign_id, video_id, creator_id, fee_cents)
	SELECT c.id, 7234567890123456789, cr.id, 50000
	FROM tiktrack.campaigns c, tiktrack.creators cr WHERE cr.handle = 'alice';
INSERT INTO tiktrack.conversions (campaign_id, creator_id, revenue_cents, order_id)
	SELECT c.id, cr.id, 120000, 'A-1' FROM tiktrack.campaigns c, tiktrack.creators cr WHERE cr.handle = 'alice';
INSERT INTO tiktrack.conversions (campaign_id, creator_id, revenue_cents, order_id)
	SELECT c.id, cr.id, 5, 'A-1' FROM tiktrack.campaigns c, tiktrack.creators cr WHERE cr.handle = 'alice';
\set VERBOSITY terse
INSERT INTO tiktrack.conversions (campaign_id, creator_id, revenue_cents)
	SELECT c.id, cr.id, -5 FROM tiktrack.campaigns c, tiktrack.creators cr WHERE cr.handle = 'alice';
\set VERBOSITY default

-- A video in a campaign cannot be deleted from under it.
DELETE FROM tiktrack.videos WHERE id = 7234567890123456789;

-- Deleting a campaign deletes its posts and conversions, never creators,
-- videos or snapshots.
DELETE FROM tiktrack.campaigns;
SELECT (SELECT count(*) FROM tiktrack.campaign_posts) AS posts,
	   (SELECT count(*) FROM tiktrack.conversions) AS conversions,
	   (SELECT count(*) FROM tiktrack.creators) AS creators,
	   (SELECT count(*) FROM tiktrack.videos) AS videos,
	   (SELECT count(*) FROM tiktrack.snapshots) AS snapshots;

DROP EXTENSION tiktrack;
-- Nothing is left behind but the empty schema that CREATE EXTENSION made
-- (tiktrack.control names it), and the extension can be created again.
SELECT count(*) AS leftover_objects FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
WHERE n.nspname = 'tiktrack';
SELECT count(*) AS leftover_functions FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace
WHERE n.nspname = 'tiktrack';
CREATE EXTENSION tiktrack;
DROP EXTENSION tiktrack;
