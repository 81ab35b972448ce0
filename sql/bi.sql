--
-- For BI tools and psql: time series (snapshot_deltas, campaign_timeseries,
-- creator_latest_stats), why a post is pending, money with the currency's
-- minor units, sparklines, SVG charts, grant_read() and the public surface.
--
CREATE EXTENSION tiktrack;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';

SELECT tiktrack.create_campaign('Spring 2026 launch', 'USD', agency_fee_cents => 100000) AS spring \gset
SELECT tiktrack.create_campaign('Tokyo drop', 'JPY', agency_fee_cents => 30000) AS tokyo \gset
SELECT status, video_id FROM tiktrack.add_posts(:spring, '[
	{"url": "https://www.tiktok.com/@alice/video/7000000000000000001", "creator_handle": "alice", "fee_cents": 50000},
	{"url": "https://www.tiktok.com/@bob/video/7000000000000000002", "creator_handle": "bob", "fee_cents": 25000},
	{"url": "https://www.tiktok.com/@bob/video/7000000000000000003", "creator_handle": "bob", "fee_cents": 25000},
	{"url": "https://www.tiktok.com/@carol/video/7000000000000000004", "creator_handle": "carol", "fee_cents": 10000},
	{"url": "https://vm.tiktok.com/ZMshort1/", "creator_handle": "dave", "fee_cents": 10000}]');
SELECT status FROM tiktrack.add_posts(:tokyo, '[
	{"url": "https://www.tiktok.com/@alice/video/7000000000000000001", "creator_handle": "alice", "fee_cents": 8000}]');
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, saves, source) VALUES
	(7000000000000000001, '2026-05-15 10:00+00', 1000, 100, 10, 5, NULL, 'manual'),
	(7000000000000000001, '2026-05-15 12:30+00', 5000, 400, 20, 8, NULL, 'manual'),
	(7000000000000000001, '2026-05-15 14:10+00', 12000, 900, 50, 20, NULL, 'manual'),
	(7000000000000000002, '2026-05-15 11:15+00', 300, 30, 3, 1, 2, 'manual'),
	(7000000000000000002, '2026-05-15 14:00+00', 900, 60, 6, 2, 4, 'manual');
-- carol has not authorized us; the short link is not resolved yet
UPDATE tiktrack.videos SET state = 'awaiting_authorization',
	last_error = 'creator @carol has not authorized tiktrack (tiktrack.authorize_url)'
WHERE id = 7000000000000000004;

--
-- snapshot_deltas: the change since the video's previous snapshot
--
SELECT video_id, creator_handle, captured_at, views, engagement, previous_captured_at,
	   hours_since_previous, views_change, likes_change, saves_change, engagement_change, views_per_hour
FROM tiktrack.snapshot_deltas ORDER BY video_id, captured_at;
-- a filter on the video is applied before the window: one video's rows only
EXPLAIN (COSTS OFF) SELECT * FROM tiktrack.snapshot_deltas WHERE video_id = 7000000000000000001;

--
-- campaign_timeseries: cumulative, each post's last value carried forward
--
-- 13:00-14:00 has no fetch at all: it repeats 12:00's totals
SELECT * FROM tiktrack.campaign_timeseries(:spring);
SELECT bucket_start, posts_reporting, views, engagement
FROM tiktrack.campaign_timeseries(:spring, '90 minutes');
SELECT bucket_start, views FROM tiktrack.campaign_timeseries(:spring, '1 day');
-- no snapshot yet: no rows
SELECT tiktrack.create_campaign('Empty') AS empty \gset
SELECT count(*) FROM tiktrack.campaign_timeseries(:empty);
SELECT * FROM tiktrack.campaign_timeseries(:spring, '0 seconds');
SELECT * FROM tiktrack.campaign_timeseries(:spring, NULL);
SELECT * FROM tiktrack.campaign_timeseries(:spring, '1 month');
SELECT * FROM tiktrack.campaign_timeseries(:spring, '1 second');
SELECT * FROM tiktrack.campaign_timeseries(424242);

--
-- creator_latest_stats: growth over 7 and 30 days before the latest stats
--
INSERT INTO tiktrack.creator_stats (creator_id, captured_at, followers, following, likes, videos, source)
SELECT c.id, t, f, 10, 1000, 3, 'manual'
FROM tiktrack.creators c,
	 (VALUES ('2026-04-01 00:00+00'::timestamptz, 8000), ('2026-04-20 00:00+00', 9000),
			 ('2026-05-10 00:00+00', 10000), ('2026-05-15 00:00+00', 10500)) AS s(t, f)
WHERE c.handle = 'alice';
INSERT INTO tiktrack.creator_stats (creator_id, captured_at, followers, source)
SELECT c.id, '2026-05-14 00:00+00', 400, 'manual' FROM tiktrack.creators c WHERE c.handle = 'bob';
SELECT handle, captured_at, followers, followers_7d_before, followers_growth_7d, followers_growth_7d_rate,
	   followers_30d_before, followers_growth_30d, followers_growth_30d_rate
FROM tiktrack.creator_latest_stats ORDER BY handle;

--
-- campaign_post_stats / campaign_posts(): why pending, currency, views_trend
--
SELECT creator_handle, status, tracking_state, pending_reason, fee_cents, currency, currency_minor_units, views_trend
FROM tiktrack.campaign_posts(:spring);
UPDATE tiktrack.videos SET state = 'failing', last_error = 'HTTP 500 from /v2/video/query/'
WHERE id = 7000000000000000003;
SELECT creator_handle, pending_reason FROM tiktrack.campaign_post_stats
WHERE campaign_id = :spring AND status = 'pending' ORDER BY video_id;
SELECT creator_handle, creator_fee_cents, currency, currency_minor_units
FROM tiktrack.campaign_creator_stats WHERE campaign_id = :tokyo;
-- money in currency units, as a BI tool formats it
SELECT name, currency, currency_minor_units, spend_cents,
	   spend_cents / 10 ^ currency_minor_units AS spend
FROM tiktrack.campaign_summary WHERE campaign_id IN (:spring, :tokyo) ORDER BY campaign_id;

--
-- sparklines
--
SELECT tiktrack.sparkline(ARRAY[1, 2, 3, 4, 5, 6, 7, 8]);
SELECT tiktrack.sparkline(ARRAY[0, 100, 250, 1000]);
SELECT tiktrack.sparkline(ARRAY[5, 5, 5]);
SELECT tiktrack.sparkline(ARRAY[1, NULL, 'NaN', 3]::float8[]) AS gaps, tiktrack.sparkline('{}') AS empty,
	   tiktrack.sparkline(NULL) IS NULL AS null_is_null;
SELECT tiktrack.sparkline(ARRAY[1, 'Infinity']::float8[]);
SELECT tiktrack.sparkline(ARRAY[[1, 2], [3, 4]]);
SELECT creator_handle, tiktrack.sparkline_agg(views ORDER BY captured_at) AS views
FROM tiktrack.snapshot_deltas GROUP BY creator_handle ORDER BY creator_handle;

--
-- SVG charts (rendered and checked with an XML parser and Chromium in
-- test/t/080_pictures.pl)
--
SELECT tiktrack.svg_line_chart(ARRAY['a & b', 'a & b'], ARRAY['2026-05-15 10:00+00', '2026-05-15 11:00+00']::timestamptz[],
							   ARRAY[0, 1500000], 'Views <all>', 'views', 400, 200);
SELECT tiktrack.svg_line_chart(ARRAY['a'], ARRAY['2026-05-15 10:00+00']::timestamptz[], ARRAY[1, 2]);
SELECT tiktrack.svg_line_chart(ARRAY['a'], ARRAY[NULL]::timestamptz[], ARRAY[1]);
SELECT tiktrack.svg_line_chart(ARRAY['a'], ARRAY['infinity']::timestamptz[], ARRAY[1]);
SELECT tiktrack.svg_line_chart(ARRAY['a'], ARRAY['2026-05-15 10:00+00']::timestamptz[], ARRAY['-Infinity']::float8[]);
SELECT tiktrack.svg_line_chart(NULL, NULL, NULL);
SELECT tiktrack.svg_line_chart('{}', '{}', '{}', width => 100);
SELECT tiktrack.svg_line_chart('{}', '{}', '{}', height => 5000);
-- one line per post, legend by handle (with the end of the id for bob's two)
SELECT (xpath('//svg:g[@class="legend"]/svg:text/text()', svg::xml,
			  ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))::text[] AS legend,
	   array_length(xpath('//svg:polyline', svg::xml, ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]), 1) AS lines,
	   (xpath('//svg:g[@class="y-axis"]/svg:text/text()', svg::xml,
			  ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))::text[] AS value_ticks,
	   (xpath('//svg:g[@class="x-axis"]/svg:text/text()', svg::xml,
			  ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))::text[] AS time_ticks
FROM tiktrack.chart_svg(ARRAY[7000000000000000001, 7000000000000000002, 7000000000000000003]) AS svg;
SELECT (xpath('//svg:g[@class="legend"]/svg:text/text()', svg::xml,
			  ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))::text[] AS legend,
	   (xpath('//svg:text[@class="title"]/text()', svg::xml,
			  ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))::text[] AS title,
	   (xpath('//svg:g[@class="y-axis"]/svg:text/text()', svg::xml,
			  ARRAY[ARRAY['svg', 'http://www.w3.org/2000/svg']]))::text[] AS value_ticks
FROM tiktrack.campaign_chart_svg(:spring, 'engagement') AS svg;
SELECT tiktrack.chart_svg(ARRAY[7000000000000000001], 'followers');
SELECT tiktrack.chart_svg(ARRAY[7000000000000000001, 42]);
SELECT tiktrack.chart_svg('{}');
SELECT tiktrack.campaign_chart_svg(:spring, 'reach');
SELECT tiktrack.campaign_chart_svg(424242);

--
-- every column of every view says what it is
--
SELECT c.relname, a.attname
FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
WHERE c.relnamespace = 'tiktrack'::regnamespace AND c.relkind = 'v'
  AND col_description(c.oid, a.attnum) IS NULL
ORDER BY 1, 2;

--
-- a small public surface: no helper is executable by PUBLIC
--
SELECT p.oid::regprocedure AS helper_executable_by_public
FROM pg_proc p
WHERE p.pronamespace = 'tiktrack'::regnamespace
  AND (p.proacl IS NULL OR EXISTS (SELECT FROM aclexplode(p.proacl) a
								   WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'))
  AND (p.prorettype IN ('trigger'::regtype, 'internal'::regtype, 'cstring'::regtype)
	   OR p.proargtypes::oid[] && ARRAY['internal'::regtype, 'cstring'::regtype]::oid[]
	   OR p.proname ~ '(_accum|_retract|_combine|_serialize|_deserialize|_final|_quotient|_roi|_per_mille|_value|_send|_or_error|_check)$'
	   OR p.proname ~ '^(claim_|release_|postpone_|prune_|reschedule_|notify_|wake_|next_due_at|resolve_placeholder)')
ORDER BY 1;

--
-- grant_read: a reader role sees the analytics, never a secret
--
CREATE ROLE regress_bi_reader;
SELECT tiktrack.grant_read('regress_bi_reader');
SELECT tiktrack.grant_read('regress_bi_reader');	-- again: nothing changes
SELECT tiktrack.grant_read(NULL);
-- every view, every table but the secrets (a new table is not readable
-- until grant_read lists it)
SELECT c.relname AS not_readable
FROM pg_class c WHERE c.relnamespace = 'tiktrack'::regnamespace AND c.relkind IN ('r', 'v')
  AND NOT has_table_privilege('regress_bi_reader', c.oid, 'SELECT')
ORDER BY c.relname;
-- what PUBLIC may call, and the internal check of the read functions
SELECT p.oid::regprocedure AS public_but_not_for_the_reader
FROM pg_proc p
WHERE p.pronamespace = 'tiktrack'::regnamespace
  AND NOT has_function_privilege('regress_bi_reader', p.oid, 'EXECUTE')
  AND (p.proacl IS NULL OR EXISTS (SELECT FROM aclexplode(p.proacl) a
								   WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE'))
ORDER BY 1;
SELECT has_function_privilege('regress_bi_reader', 'tiktrack.campaign_or_error(bigint)', 'EXECUTE') AS campaign_or_error;
-- nothing that fetches, uses tokens or serves the worker
SELECT p.oid::regprocedure AS reader_may_execute
FROM pg_proc p
WHERE p.pronamespace = 'tiktrack'::regnamespace
  AND has_function_privilege('regress_bi_reader', p.oid, 'EXECUTE')
  AND (p.prosecdef OR p.proname ~ '^(claim_|release_|postpone_|prune_|reschedule_|notify_|wake_|next_due_at|resolve_placeholder|grant_read)'
	   OR p.prorettype = 'trigger'::regtype)
ORDER BY 1;
SET ROLE regress_bi_reader;
SELECT name, posts, spend_cents, roi FROM tiktrack.campaign_summary WHERE campaign_id = :spring;
SELECT spend_cents, total_views FROM tiktrack.campaign_metrics(:spring);
SELECT count(*) FROM tiktrack.campaign_posts(:spring);
SELECT tiktrack.engagement_rate(views, likes, comments, shares) FROM tiktrack.snapshots;
SELECT '(1,2,3)'::tiktrack.ratio_state;
SELECT count(*) FROM tiktrack.campaign_timeseries(:spring);
SELECT length(tiktrack.campaign_chart_svg(:spring)) > 1000 AS chart;
SELECT count(*) FROM tiktrack.worker_status;
SELECT count(*) FROM tiktrack.creator_tokens;
SELECT count(*) FROM tiktrack.oauth_states;
SELECT tiktrack.refresh(7000000000000000001);
SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7000000000000000009');
SELECT * FROM tiktrack.claim_due_videos(10);
SELECT tiktrack.grant_read('regress_bi_reader');
RESET ROLE;

-- A role without grant_read cannot call the internal checks.
CREATE ROLE regress_bi_other;
GRANT USAGE ON SCHEMA tiktrack TO regress_bi_other;
SET ROLE regress_bi_other;
SELECT tiktrack.campaign_or_error(1);
SELECT tiktrack.wake_worker_on_commit();
RESET ROLE;

-- Trigger functions need no EXECUTE: a writer granted the tables inserts
-- snapshots and latest_snapshots follows.
GRANT SELECT, INSERT, UPDATE ON tiktrack.snapshots, tiktrack.latest_snapshots TO regress_bi_other;
SET ROLE regress_bi_other;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	VALUES (7000000000000000002, '2026-05-15 15:00+00', 1000, 'manual');
SELECT views, snapshot_count FROM tiktrack.latest_snapshots WHERE video_id = 7000000000000000002;
RESET ROLE;

DROP OWNED BY regress_bi_reader, regress_bi_other;
DROP ROLE regress_bi_reader, regress_bi_other;
DROP EXTENSION tiktrack;
