/*
 * For the people who look at the data: BI tools, analysts in psql.
 *
 *   - time series a chart can use without window functions
 *     (snapshot_deltas, campaign_timeseries, creator_latest_stats);
 *   - pictures: SVG line charts (src/chart_svg.c; sparklines are in
 *     30_aggregates.sql because the campaign views draw one);
 *   - grant_read(): a reader role in one call;
 *   - a comment on every column of every view, and the currency's minor
 *     units next to money columns;
 *   - a small public surface: helpers PUBLIC cannot execute.
 *
 * New in 0.2.0: the upgrade script includes this very file
 * (sql/upgrade/0.1.0--0.2.0/70_bi.sql links to it); what 0.2.0 changes in
 * objects of 0.1.0 is in 69_bi_existing_objects.sql there.
 */

/* ---- time series ---- */

CREATE VIEW tiktrack.snapshot_deltas AS
SELECT d.video_id,
	   v.creator_id,
	   cr.handle AS creator_handle,
	   d.captured_at,
	   d.views,
	   d.likes,
	   d.comments,
	   d.shares,
	   d.saves,
	   d.engagement,
	   d.previous_captured_at,
	   pg_catalog.date_part('epoch', d.captured_at - d.previous_captured_at) / 3600 AS hours_since_previous,
	   d.views - d.previous_views AS views_change,
	   d.likes - d.previous_likes AS likes_change,
	   d.comments - d.previous_comments AS comments_change,
	   d.shares - d.previous_shares AS shares_change,
	   d.saves - d.previous_saves AS saves_change,
	   d.engagement - d.previous_engagement AS engagement_change,
	   (d.views - d.previous_views)::float8
		   / nullif(pg_catalog.date_part('epoch', d.captured_at - d.previous_captured_at) / 3600, 0) AS views_per_hour
FROM (SELECT s.video_id,
			 s.captured_at,
			 s.views,
			 s.likes,
			 s.comments,
			 s.shares,
			 s.saves,
			 coalesce(s.likes, 0) + coalesce(s.comments, 0) + coalesce(s.shares, 0) + coalesce(s.saves, 0) AS engagement,
			 pg_catalog.lag(s.captured_at) OVER w AS previous_captured_at,
			 pg_catalog.lag(s.views) OVER w AS previous_views,
			 pg_catalog.lag(s.likes) OVER w AS previous_likes,
			 pg_catalog.lag(s.comments) OVER w AS previous_comments,
			 pg_catalog.lag(s.shares) OVER w AS previous_shares,
			 pg_catalog.lag(s.saves) OVER w AS previous_saves,
			 pg_catalog.lag(coalesce(s.likes, 0) + coalesce(s.comments, 0) + coalesce(s.shares, 0) + coalesce(s.saves, 0)) OVER w
				 AS previous_engagement
	  FROM tiktrack.snapshots s
	  WINDOW w AS (PARTITION BY s.video_id ORDER BY s.captured_at)) d
JOIN tiktrack.videos v ON v.id = d.video_id
LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id;
COMMENT ON VIEW tiktrack.snapshot_deltas IS
	'Every snapshot with the change since the same video''s previous snapshot: counters, *_change (NULL for a video''s first snapshot or when either counter is unknown), hours_since_previous and views_per_hour. Filter on video_id or creator_id: the lookup stays per video.';

CREATE VIEW tiktrack.creator_latest_stats AS
SELECT c.id AS creator_id,
	   c.handle,
	   c.display_name,
	   c.is_verified,
	   c.auth_status,
	   c.authorized_via,
	   l.captured_at,
	   l.followers,
	   l.following,
	   l.likes,
	   l.videos,
	   w7.followers AS followers_7d_before,
	   l.followers - w7.followers AS followers_growth_7d,
	   (l.followers - w7.followers)::float8 / nullif(w7.followers, 0) AS followers_growth_7d_rate,
	   w30.followers AS followers_30d_before,
	   l.followers - w30.followers AS followers_growth_30d,
	   (l.followers - w30.followers)::float8 / nullif(w30.followers, 0) AS followers_growth_30d_rate,
	   l.source
FROM tiktrack.creators c
LEFT JOIN LATERAL (
	SELECT s.captured_at, s.followers, s.following, s.likes, s.videos, s.source
	FROM tiktrack.creator_stats s
	WHERE s.creator_id = c.id
	ORDER BY s.captured_at DESC
	LIMIT 1) l ON true
LEFT JOIN LATERAL (
	SELECT s.followers
	FROM tiktrack.creator_stats s
	WHERE s.creator_id = c.id AND s.captured_at <= l.captured_at - interval '7 days'
	ORDER BY s.captured_at DESC
	LIMIT 1) w7 ON true
LEFT JOIN LATERAL (
	SELECT s.followers
	FROM tiktrack.creator_stats s
	WHERE s.creator_id = c.id AND s.captured_at <= l.captured_at - interval '30 days'
	ORDER BY s.captured_at DESC
	LIMIT 1) w30 ON true;
COMMENT ON VIEW tiktrack.creator_latest_stats IS
	'Every creator with their latest account stats (NULL before the first) and follower growth over 7 and 30 days: latest followers minus the followers of the last stats taken at least 7 (30) days before the latest, and that growth as a fraction of the earlier count. NULL while the history is shorter.';

CREATE FUNCTION tiktrack.campaign_timeseries(campaign_id bigint, bucket interval DEFAULT '1 hour')
RETURNS TABLE (bucket_start timestamptz,
			   bucket_end timestamptz,
			   posts_reporting bigint,
			   views bigint,
			   likes bigint,
			   comments bigint,
			   shares bigint,
			   saves bigint,
			   engagement bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c tiktrack.campaigns := tiktrack.campaign_or_error(campaign_timeseries.campaign_id);
	-- buckets are aligned on UTC midnight of 2000-01-01
	origin constant timestamptz := '2000-01-01 00:00:00+00';
	max_buckets constant integer := 10000;
	v_first timestamptz;
	v_last timestamptz;
	v_buckets float8;
BEGIN
	IF bucket IS NULL OR bucket <= interval '0' THEN
		RAISE EXCEPTION 'bucket must be a positive interval, got "%"', coalesce(bucket::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'For example ''15 minutes'', ''1 hour'' or ''1 day''.';
	END IF;
	IF date_part('year', bucket) <> 0 OR date_part('month', bucket) <> 0 THEN
		RAISE EXCEPTION 'bucket must not contain months or years, got "%"', bucket
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Months have no fixed length; use days, e.g. ''30 days''.';
	END IF;

	SELECT min(h.captured_at), max(h.captured_at) INTO v_first, v_last
		FROM tiktrack.campaign_posts cp
		CROSS JOIN LATERAL (
			(SELECT s.captured_at FROM tiktrack.snapshots s WHERE s.video_id = cp.video_id
			 ORDER BY s.captured_at LIMIT 1)
			UNION ALL
			(SELECT s.captured_at FROM tiktrack.snapshots s WHERE s.video_id = cp.video_id
			 ORDER BY s.captured_at DESC LIMIT 1)) h
		WHERE cp.campaign_id = c.id;
	IF v_first IS NULL THEN
		RETURN;					-- no snapshot yet
	END IF;
	v_buckets := date_part('epoch', date_bin(bucket, v_last, origin) - date_bin(bucket, v_first, origin))
		/ date_part('epoch', bucket) + 1;
	IF v_buckets > max_buckets THEN
		RAISE EXCEPTION 'bucket "%" gives % buckets from % to %, more than %', bucket, v_buckets::bigint,
			v_first, v_last, max_buckets
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use a larger bucket.';
	END IF;

	RETURN QUERY
	SELECT b.start, b.start + bucket,
		   count(x.captured_at),
		   sum(x.views)::bigint,
		   sum(x.likes)::bigint,
		   sum(x.comments)::bigint,
		   sum(x.shares)::bigint,
		   sum(x.saves)::bigint,
		   sum(coalesce(x.likes, 0) + coalesce(x.comments, 0) + coalesce(x.shares, 0) + coalesce(x.saves, 0))
			   FILTER (WHERE x.captured_at IS NOT NULL)::bigint
	FROM generate_series(date_bin(bucket, v_first, origin), date_bin(bucket, v_last, origin), bucket) AS b(start)
	CROSS JOIN tiktrack.campaign_posts cp
	-- each post's last snapshot before the bucket ends: its last known
	-- value carried forward through buckets without a fetch
	LEFT JOIN LATERAL (
		SELECT s.captured_at, s.views, s.likes, s.comments, s.shares, s.saves
		FROM tiktrack.snapshots s
		WHERE s.video_id = cp.video_id AND s.captured_at < b.start + bucket
		ORDER BY s.captured_at DESC
		LIMIT 1) x ON true
	WHERE cp.campaign_id = c.id
	GROUP BY b.start
	ORDER BY b.start;
END
$$;
COMMENT ON FUNCTION tiktrack.campaign_timeseries(bigint, interval) IS
	'The campaign''s cumulative counters over time, one row per bucket (aligned on UTC midnight) from the bucket of its first snapshot to that of its last: each post counts with its last snapshot before bucket_end, so a post not fetched in a bucket carries its last known value forward and the totals never dip for lack of a fetch. posts_reporting = posts with a snapshot by then; engagement = likes + comments + shares + saves (unreported counters count 0); a counter no post reported is NULL. At most 10000 buckets; no rows before the first snapshot. An unknown campaign id is an ERROR.';

/* ---- pictures ---- */

CREATE FUNCTION tiktrack.svg_line_chart(series text[], at timestamptz[], value float8[],
										title text DEFAULT NULL, value_label text DEFAULT NULL,
										width integer DEFAULT 800, height integer DEFAULT 400)
RETURNS text
AS 'MODULE_PATHNAME', 'tiktrack_svg_line_chart'
LANGUAGE C IMMUTABLE CALLED ON NULL INPUT PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.svg_line_chart(text[], timestamptz[], float8[], text, text, integer, integer) IS
	'A standalone SVG line chart over time: one line per distinct series label (legend in order of first appearance), through the points (at, value) of that label in time order; a NULL value breaks the line. Axes with UTC date/time ticks and 1.2M-style value ticks (from 0 unless a value is negative), title and value_label on top, all text XML-escaped. width 200..4000, height 150..4000 pixels. The three arrays have one element per point.';

CREATE FUNCTION tiktrack.chart_svg(video_ids bigint[], metric text DEFAULT 'views',
								   width integer DEFAULT 800, height integer DEFAULT 400)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_metric text := chart_svg.metric;
	v_missing bigint;
	v_svg text;
BEGIN
	IF metric IS NULL OR metric NOT IN ('views', 'likes', 'comments', 'shares', 'saves', 'reach', 'engagement') THEN
		RAISE EXCEPTION 'unknown metric "%"', coalesce(metric, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use views, likes, comments, shares, saves, reach or engagement.';
	END IF;
	IF video_ids IS NULL OR cardinality(video_ids) = 0 THEN
		RAISE EXCEPTION 'video_ids must name at least one video'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT u.id INTO v_missing
		FROM unnest(video_ids) WITH ORDINALITY AS u(id, n)
		WHERE u.id IS NULL OR NOT EXISTS (SELECT FROM tiktrack.videos v WHERE v.id = u.id)
		ORDER BY u.n LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION 'video % is not tracked', coalesce(v_missing::text, 'NULL')
			USING ERRCODE = 'no_data_found',
				  HINT = 'See tiktrack.videos for the tracked videos.';
	END IF;

	WITH wanted AS (
		SELECT DISTINCT ON (u.id) u.id, u.n
		FROM unnest(video_ids) WITH ORDINALITY AS u(id, n)
		ORDER BY u.id, u.n
	), labelled AS (
		-- @handle, with the end of the id when one creator has several
		SELECT w.id, w.n, v.tracked_at,
			   CASE WHEN cr.handle IS NULL THEN 'video ' || w.id
					WHEN count(*) OVER (PARTITION BY cr.handle) > 1
						THEN '@' || cr.handle || ' …' || right(w.id::text, 4)
					ELSE '@' || cr.handle
			   END AS label
		FROM wanted w
		JOIN tiktrack.videos v ON v.id = w.id
		LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id
	), points AS (
		SELECT l.label, l.n, h.captured_at AS at,
			   (CASE v_metric
					WHEN 'views' THEN h.views
					WHEN 'likes' THEN h.likes
					WHEN 'comments' THEN h.comments
					WHEN 'shares' THEN h.shares
					WHEN 'saves' THEN h.saves
					WHEN 'reach' THEN h.reach
					ELSE coalesce(h.likes, 0) + coalesce(h.comments, 0) + coalesce(h.shares, 0) + coalesce(h.saves, 0)
				END)::float8 AS value
		FROM labelled l
		JOIN tiktrack.snapshots h ON h.video_id = l.id
		UNION ALL
		-- a video without snapshots still gets its legend entry
		SELECT l.label, l.n, l.tracked_at, NULL
		FROM labelled l
		WHERE NOT EXISTS (SELECT FROM tiktrack.snapshots h WHERE h.video_id = l.id)
	)
	SELECT tiktrack.svg_line_chart(coalesce(array_agg(p.label ORDER BY p.n, p.at), '{}'),
								   coalesce(array_agg(p.at ORDER BY p.n, p.at), '{}'),
								   coalesce(array_agg(p.value ORDER BY p.n, p.at), '{}'),
								   initcap(v_metric) || ' per post', v_metric,
								   chart_svg.width, chart_svg.height)
		INTO v_svg
		FROM points p;
	RETURN v_svg;
END
$$;
COMMENT ON FUNCTION tiktrack.chart_svg(bigint[], text, integer, integer) IS
	'A standalone SVG line chart of the videos'' metric over time (views, likes, comments, shares, saves, reach or engagement = likes + comments + shares + saves), one line per video through its snapshots, in the order given, the legend naming each by its creator''s @handle (with the end of the id when a creator has several). A video without snapshots has a legend entry and no line. Drawn by tiktrack.svg_line_chart; width and height in pixels. An unknown video id is an ERROR.';

CREATE FUNCTION tiktrack.campaign_chart_svg(campaign_id bigint, metric text DEFAULT 'views',
											width integer DEFAULT 800, height integer DEFAULT 400)
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c tiktrack.campaigns := tiktrack.campaign_or_error(campaign_chart_svg.campaign_id);
	v_metric text := campaign_chart_svg.metric;
	v_posts bigint;
	v_span float8;
	v_bucket interval;
	v_label text;
	v_svg text;
BEGIN
	IF metric IS NULL OR metric NOT IN ('views', 'likes', 'comments', 'shares', 'saves', 'reach', 'engagement') THEN
		RAISE EXCEPTION 'unknown metric "%"', coalesce(metric, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use views, likes, comments, shares, saves, reach or engagement.';
	END IF;
	IF metric = 'reach' THEN
		-- reach is unique viewers: a sum over posts would count people twice
		RAISE EXCEPTION 'a campaign total of reach is not defined (unique viewers do not add up over posts)'
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Chart reach per post with tiktrack.chart_svg(video_ids, ''reach'').';
	END IF;
	SELECT count(*) INTO v_posts FROM tiktrack.campaign_posts cp WHERE cp.campaign_id = c.id;
	v_label := format('all %s post%s', v_posts, CASE WHEN v_posts = 1 THEN '' ELSE 's' END);
	-- about 200 points over the campaign's snapshots, at least a second apart
	SELECT date_part('epoch', max(h.captured_at) - min(h.captured_at)) INTO v_span
		FROM tiktrack.campaign_posts cp
		JOIN tiktrack.latest_snapshots l ON l.video_id = cp.video_id
		CROSS JOIN LATERAL (
			SELECT s.captured_at FROM tiktrack.snapshots s WHERE s.video_id = cp.video_id
			ORDER BY s.captured_at LIMIT 1) f
		CROSS JOIN LATERAL (VALUES (f.captured_at), (l.captured_at)) h(captured_at)
		WHERE cp.campaign_id = c.id;
	v_bucket := make_interval(secs => greatest(1, ceil(coalesce(v_span, 0) / 200)));

	SELECT tiktrack.svg_line_chart(coalesce(array_agg(v_label ORDER BY t.bucket_end), '{}'),
								   coalesce(array_agg(t.bucket_end ORDER BY t.bucket_end), '{}'),
								   coalesce(array_agg((CASE v_metric
														  WHEN 'views' THEN t.views
														  WHEN 'likes' THEN t.likes
														  WHEN 'comments' THEN t.comments
														  WHEN 'shares' THEN t.shares
														  WHEN 'saves' THEN t.saves
														  WHEN 'engagement' THEN t.engagement
													  END)::float8 ORDER BY t.bucket_end), '{}'),
								   c.name || ': ' || v_metric, v_metric,
								   campaign_chart_svg.width, campaign_chart_svg.height)
		INTO v_svg
		FROM tiktrack.campaign_timeseries(c.id, v_bucket) t;
	RETURN v_svg;
END
$$;
COMMENT ON FUNCTION tiktrack.campaign_chart_svg(bigint, text, integer, integer) IS
	'A standalone SVG line chart of the campaign''s total metric over time (views, likes, comments, shares, saves or engagement), as tiktrack.campaign_timeseries sums it (each post''s last known value carried forward), in about 200 buckets over the campaign''s snapshots, titled with the campaign''s name. Drawn by tiktrack.svg_line_chart; width and height in pixels. An unknown campaign id is an ERROR.';

/* ---- a reader role ---- */

CREATE FUNCTION tiktrack.grant_read(role regrole)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	ext oid := (SELECT e.oid FROM pg_extension e WHERE e.extname = 'tiktrack');
	-- The tables of analytics data.  Not creator_tokens, oauth_states or
	-- any table added later until it is listed here: a new table could
	-- hold secrets.
	readable_tables constant text[] := ARRAY['currencies', 'creators', 'creator_stats', 'videos', 'video_schedule',
											 'snapshots', 'latest_snapshots', 'campaigns',
											 'campaign_posts', 'conversions', 'fetch_log',
											 'traction_alerts',
											 -- money (75_money.sql)
											 'promo_codes', 'touches', 'orders', 'attribution_settings',
											 'pay_terms', 'payments', 'rate_cards', 'order_credits',
											 'order_credit_days'];
	-- Helpers PUBLIC may not call that the readable functions call.
	readable_helpers constant regprocedure[] := ARRAY[
		'tiktrack.campaign_or_error(bigint)',
		'tiktrack.interpolated_counters(bigint, timestamptz, timestamptz)',
		'tiktrack.benchmark_keys(text, text, text, real, timestamptz, text[])',
		'tiktrack.traction_of(bigint, timestamptz)',
		'tiktrack.creator_engagement_profile(timestamptz)',
		'tiktrack.forecast_backtest_arrays(bigint[], float8[], float8[], float8, integer)',
		'tiktrack.attribution_rules(bigint)',
		'tiktrack.check_attribution_model(text)',
		'tiktrack.attribution_all(bigint, timestamptz)',
		'tiktrack.attribution_report(bigint, timestamptz)',
		'tiktrack.attributed_order_revenue(bigint, timestamptz)',
		'tiktrack.check_pay_terms(jsonb)',
		'tiktrack.payout_figures(bigint, timestamptz)',
		'tiktrack.touch_weight(text, bigint, bigint, float8, float8)',
		'tiktrack.touch_decay(timestamptz, timestamptz, float8)',
		'tiktrack.credited_revenue(bigint, timestamptz)']::regprocedure[];
	r record;
BEGIN
	IF role IS NULL THEN
		RAISE EXCEPTION 'role must not be NULL'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	EXECUTE format('GRANT USAGE ON SCHEMA tiktrack TO %s', role);

	-- every view of the extension that reads no secret table, and the
	-- tables of analytics data
	FOR r IN
		SELECT k.oid::regclass AS rel
		FROM pg_class k
		JOIN pg_depend d ON d.classid = 'pg_class'::regclass AND d.objid = k.oid
						AND d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext AND d.deptype = 'e'
		WHERE (k.relkind = 'v'
			   AND NOT EXISTS (SELECT FROM pg_rewrite rw
							   JOIN pg_depend u ON u.classid = 'pg_rewrite'::regclass AND u.objid = rw.oid
							   WHERE rw.ev_class = k.oid
								 AND u.refclassid = 'pg_class'::regclass
								 AND u.refobjid IN ('tiktrack.creator_tokens'::regclass,
													'tiktrack.oauth_states'::regclass)))
		   OR (k.relkind = 'r' AND k.relnamespace = 'tiktrack'::regnamespace
			   AND k.relname = ANY (readable_tables))
		ORDER BY k.relname
	LOOP
		EXECUTE format('GRANT SELECT ON %s TO %s', r.rel, role);
	END LOOP;

	-- the read-only functions the extension lets everyone call (as it
	-- installed them, whatever was revoked since), the functions the
	-- readable views call, and the helpers the readable functions call
	FOR r IN
		SELECT p.oid::regprocedure AS fn
		FROM pg_proc p
		JOIN pg_depend d ON d.classid = 'pg_proc'::regclass AND d.objid = p.oid
						AND d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext AND d.deptype = 'e'
		LEFT JOIN pg_init_privs ip ON ip.classoid = 'pg_proc'::regclass AND ip.objoid = p.oid AND ip.objsubid = 0
		WHERE NOT p.prosecdef
		  AND p.prorettype <> 'trigger'::regtype
		  AND ((p.provolatile <> 'v'
				AND (coalesce(ip.initprivs, p.proacl) IS NULL
					 OR EXISTS (SELECT FROM aclexplode(coalesce(ip.initprivs, p.proacl)) a
								WHERE a.grantee = 0 AND a.privilege_type = 'EXECUTE')))
			   OR EXISTS (SELECT FROM pg_rewrite rw
						  JOIN pg_depend u ON u.classid = 'pg_rewrite'::regclass AND u.objid = rw.oid
						  JOIN pg_class k ON k.oid = rw.ev_class AND k.relkind = 'v'
						  WHERE u.refclassid = 'pg_proc'::regclass AND u.refobjid = p.oid)
			   OR p.oid = ANY (readable_helpers::oid[]))
		ORDER BY p.oid::regprocedure::text
	LOOP
		EXECUTE format('GRANT EXECUTE ON FUNCTION %s TO %s', r.fn, role);
	END LOOP;
END
$$;
REVOKE EXECUTE ON FUNCTION tiktrack.grant_read(regrole) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.grant_read(regrole) IS
	'Lets the role read what dashboards need: USAGE on schema tiktrack, SELECT on every view of the extension and on the tables of analytics data (currencies, creators, creator_stats, videos, snapshots, latest_snapshots, campaigns, campaign_posts, conversions, fetch_log, traction_alerts), EXECUTE on the read-only functions and aggregates. Never the tokens (creator_tokens), pending authorizations (oauth_states), functions that fetch, write or use tokens, or the worker''s helpers. Run it again after ALTER EXTENSION tiktrack UPDATE to cover new objects. Superuser (or the extension''s owner) only.';

/* ---- every view column described (BI tools show these) ---- */

COMMENT ON COLUMN tiktrack.snapshot_deltas.video_id IS 'TikTok item id of the video (tiktrack.videos.id).';
COMMENT ON COLUMN tiktrack.snapshot_deltas.creator_id IS 'The video''s creator (tiktrack.creators.id); NULL while unknown.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.creator_handle IS 'The creator''s TikTok handle, lower case, without @.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.captured_at IS 'When the snapshot was taken.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.views IS 'Cumulative views at captured_at.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.likes IS 'Cumulative likes at captured_at.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.comments IS 'Cumulative comments at captured_at.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.shares IS 'Cumulative shares at captured_at.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.saves IS 'Cumulative saves at captured_at; NULL from the Display API.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.engagement IS 'likes + comments + shares + saves at captured_at, an unreported counter counting 0.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.previous_captured_at IS 'When the video''s previous snapshot was taken; NULL for its first.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.hours_since_previous IS 'Hours between the previous snapshot and this one; NULL for the first.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.views_change IS 'Views gained since the previous snapshot (negative when TikTok corrected a count down); NULL for the first.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.likes_change IS 'Likes gained since the previous snapshot; NULL for the first or when either is unknown.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.comments_change IS 'Comments gained since the previous snapshot; NULL for the first or when either is unknown.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.shares_change IS 'Shares gained since the previous snapshot; NULL for the first or when either is unknown.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.saves_change IS 'Saves gained since the previous snapshot; NULL for the first or when either is unknown.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.engagement_change IS 'Engagement gained since the previous snapshot; NULL for the first.';
COMMENT ON COLUMN tiktrack.snapshot_deltas.views_per_hour IS 'views_change / hours_since_previous; NULL for the first snapshot.';

COMMENT ON COLUMN tiktrack.creator_latest_stats.creator_id IS 'tiktrack.creators.id.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.handle IS 'TikTok handle, lower case, without @.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.display_name IS 'Display name from TikTok''s profile; NULL until fetched.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.is_verified IS 'TikTok''s verified badge; NULL until fetched.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.auth_status IS 'none, authorized, reauthorization_needed or revoked.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.authorized_via IS 'display or business: the API the creator authorized; NULL when none.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.captured_at IS 'When the latest account stats were taken; NULL before the first.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.followers IS 'Followers at captured_at.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.following IS 'Accounts followed at captured_at.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.likes IS 'Total likes over all the creator''s videos at captured_at.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.videos IS 'Number of public videos at captured_at.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.followers_7d_before IS 'Followers in the last stats taken at least 7 days before captured_at; NULL while the history is shorter.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.followers_growth_7d IS 'followers - followers_7d_before.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.followers_growth_7d_rate IS 'followers_growth_7d / followers_7d_before (0.05 = +5 %); NULL when that is 0 or unknown.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.followers_30d_before IS 'Followers in the last stats taken at least 30 days before captured_at; NULL while the history is shorter.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.followers_growth_30d IS 'followers - followers_30d_before.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.followers_growth_30d_rate IS 'followers_growth_30d / followers_30d_before; NULL when that is 0 or unknown.';
COMMENT ON COLUMN tiktrack.creator_latest_stats.source IS 'API of the latest stats: display, business or manual.';

COMMENT ON COLUMN tiktrack.video_latest_stats.video_id IS 'TikTok item id (negative placeholder while a short link is resolving).';
COMMENT ON COLUMN tiktrack.video_latest_stats.creator_id IS 'The video''s creator (tiktrack.creators.id); NULL while unknown.';
COMMENT ON COLUMN tiktrack.video_latest_stats.creator_handle IS 'The creator''s TikTok handle, lower case, without @.';
COMMENT ON COLUMN tiktrack.video_latest_stats.kind IS 'video or photo (a photo carousel).';
COMMENT ON COLUMN tiktrack.video_latest_stats.caption IS 'The post''s caption as TikTok returns it.';
COMMENT ON COLUMN tiktrack.video_latest_stats.hashtags IS 'Hashtags of the caption, lower case, without #.';
COMMENT ON COLUMN tiktrack.video_latest_stats.mentions IS 'Accounts mentioned in the caption, lower case, without @.';
COMMENT ON COLUMN tiktrack.video_latest_stats.posted_at IS 'When the creator posted it (TikTok''s create_time).';
COMMENT ON COLUMN tiktrack.video_latest_stats.state IS 'Tracking state: tracking, completed, stopped, unavailable, failing, awaiting_authorization or resolving.';
COMMENT ON COLUMN tiktrack.video_latest_stats.views IS 'Views in the latest snapshot (replays included).';
COMMENT ON COLUMN tiktrack.video_latest_stats.likes IS 'Likes in the latest snapshot.';
COMMENT ON COLUMN tiktrack.video_latest_stats.comments IS 'Comments in the latest snapshot.';
COMMENT ON COLUMN tiktrack.video_latest_stats.shares IS 'Shares in the latest snapshot.';
COMMENT ON COLUMN tiktrack.video_latest_stats.saves IS 'Saves in the latest snapshot; NULL from the Display API.';
COMMENT ON COLUMN tiktrack.video_latest_stats.reach IS 'Unique viewers in the latest snapshot (Business API only).';
COMMENT ON COLUMN tiktrack.video_latest_stats.completion_rate IS 'Share of views watched to the end, 0..1 (Business API only).';
COMMENT ON COLUMN tiktrack.video_latest_stats.avg_watch_time_s IS 'Average watch time per view in seconds (Business API only).';
COMMENT ON COLUMN tiktrack.video_latest_stats.snapshot_count IS 'Number of snapshots taken of the video.';
COMMENT ON COLUMN tiktrack.video_latest_stats.source IS 'API of the latest snapshot: display, business, manual or import.';
COMMENT ON COLUMN tiktrack.video_latest_stats.last_error IS 'Why the last fetch failed or the video is not fetched (NULL after a success).';
COMMENT ON COLUMN tiktrack.video_latest_stats.last_error_at IS 'When last_error was recorded.';
COMMENT ON COLUMN tiktrack.video_latest_stats.next_fetch_at IS 'When the next snapshot is due; NULL when not scheduled.';

COMMENT ON COLUMN tiktrack.campaign_post_stats.campaign_id IS 'tiktrack.campaigns.id.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.video_id IS 'TikTok item id of the post (negative placeholder while a short link is resolving).';
COMMENT ON COLUMN tiktrack.campaign_post_stats.creator_id IS 'The creator the post was added for (tiktrack.creators.id).';
COMMENT ON COLUMN tiktrack.campaign_post_stats.creator_handle IS 'The creator''s TikTok handle, lower case, without @.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.url IS 'Canonical URL, or the short link while it is not resolved.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.caption IS 'The post''s caption.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.posted_at IS 'When the creator posted it; NULL until the first fetch.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.fee_cents IS 'The creator''s fee for this post in minor units of the campaign currency (divide by 10^currency_minor_units).';
COMMENT ON COLUMN tiktrack.campaign_post_stats.views IS 'Views in the latest snapshot.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.likes IS 'Likes in the latest snapshot.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.comments IS 'Comments in the latest snapshot.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.shares IS 'Shares in the latest snapshot.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.saves IS 'Saves in the latest snapshot; NULL from the Display API.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.engagement IS 'likes + comments + shares + saves of the latest snapshot, an unreported counter counting 0.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.engagement_rate IS 'engagement / views; NULL when views is 0 or unknown.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.completion_rate IS 'Share of views watched to the end, 0..1 (Business API only).';
COMMENT ON COLUMN tiktrack.campaign_post_stats.captured_at IS 'When the latest snapshot was taken; NULL while pending.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.added_at IS 'When the post was added to the campaign.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.last_error IS 'The video''s last fetch error (tiktrack.videos.last_error); NULL after a success.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.pending_reason IS 'Why a pending post has no snapshot yet, from its tracking_state and last_error (e.g. the creator has not authorized tiktrack); NULL once published.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.currency IS 'ISO 4217 currency of the campaign''s money columns.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.currency_minor_units IS 'Decimals of the currency (2 for USD, 0 for JPY): money columns are in minor units, divide by 10^currency_minor_units for currency units.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.views_trend IS 'Sparkline of the views of the post''s last 20 snapshots, oldest first (tiktrack.sparkline); '''' while pending.';

COMMENT ON COLUMN tiktrack.campaign_creator_stats.campaign_id IS 'tiktrack.campaigns.id.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.creator_id IS 'tiktrack.creators.id.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.creator_handle IS 'The creator''s TikTok handle, lower case, without @.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.display_name IS 'Display name from TikTok''s profile; NULL until fetched.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.posts IS 'The creator''s posts in the campaign.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.posts_published IS 'Of those, the posts with a snapshot.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.creator_fee_cents IS 'Sum of the creator''s post fees, in minor units of the campaign currency (divide by 10^currency_minor_units).';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.gmv_cents IS 'Revenue of the direct conversions attributed to the creator plus the revenue of the orders credited to them under the campaign''s attribution rules (fractional where an order is shared), in minor units of the campaign currency.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.conversions IS 'Number of direct conversions attributed to the creator (record_conversion; credited orders are not counted here).';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.views IS 'Views summed over the posts'' latest snapshots.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.engagement IS 'likes + comments + shares + saves summed over the posts'' latest snapshots.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.engagement_rate IS 'engagement / views (a ratio of sums); NULL when views is 0.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.roi IS '(gmv - creator fees) / creator fees; NULL when the fees are 0.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.roas IS 'gmv / creator fees; NULL when the fees are 0.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.cpm_cents IS 'creator fees / views x 1000 in minor units, unrounded; NULL when views is 0.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.currency IS 'ISO 4217 currency of the campaign''s money columns.';
COMMENT ON COLUMN tiktrack.campaign_creator_stats.currency_minor_units IS 'Decimals of the currency (2 for USD, 0 for JPY): money columns are in minor units, divide by 10^currency_minor_units for currency units.';

COMMENT ON COLUMN tiktrack.campaign_summary.campaign_id IS 'tiktrack.campaigns.id.';
COMMENT ON COLUMN tiktrack.campaign_summary.name IS 'The campaign''s name (unique).';
COMMENT ON COLUMN tiktrack.campaign_summary.currency IS 'ISO 4217 currency of the money columns.';
COMMENT ON COLUMN tiktrack.campaign_summary.archived IS 'Whether the campaign is archived.';
COMMENT ON COLUMN tiktrack.campaign_summary.starts_at IS 'Start of the flight; NULL when not set.';
COMMENT ON COLUMN tiktrack.campaign_summary.ends_at IS 'End of the flight; posts are tracked until 30 days after it.';
COMMENT ON COLUMN tiktrack.campaign_summary.budget_cents IS 'Planned budget in minor units of currency; informational.';
COMMENT ON COLUMN tiktrack.campaign_summary.creators IS 'Distinct creators with a post in the campaign.';
COMMENT ON COLUMN tiktrack.campaign_summary.posts IS 'Posts in the campaign.';
COMMENT ON COLUMN tiktrack.campaign_summary.posts_published IS 'Posts with a snapshot.';
COMMENT ON COLUMN tiktrack.campaign_summary.posts_pending IS 'Posts without a snapshot yet (see campaign_post_stats.pending_reason).';
COMMENT ON COLUMN tiktrack.campaign_summary.spend_cents IS 'Creator fees of all posts + agency fee, in minor units of currency.';
COMMENT ON COLUMN tiktrack.campaign_summary.agency_fee_cents IS 'The agency fee, in minor units of currency.';
COMMENT ON COLUMN tiktrack.campaign_summary.creator_fee_cents IS 'Sum of the posts'' fees, in minor units of currency.';
COMMENT ON COLUMN tiktrack.campaign_summary.gmv_cents IS 'Revenue of the campaign''s conversions, in minor units of currency.';
COMMENT ON COLUMN tiktrack.campaign_summary.roi IS '(gmv - spend) / spend; NULL when spend is 0.';
COMMENT ON COLUMN tiktrack.campaign_summary.roas IS 'gmv / spend; NULL when spend is 0.';
COMMENT ON COLUMN tiktrack.campaign_summary.cpm_cents IS 'spend / total views x 1000 in minor units, unrounded; NULL when views are 0.';
COMMENT ON COLUMN tiktrack.campaign_summary.cpv_cents IS 'spend / total views in minor units, unrounded; NULL when views are 0.';
COMMENT ON COLUMN tiktrack.campaign_summary.cpe_cents IS 'spend / total engagement in minor units, unrounded; NULL when engagement is 0.';
COMMENT ON COLUMN tiktrack.campaign_summary.total_views IS 'Views summed over the posts'' latest snapshots.';
COMMENT ON COLUMN tiktrack.campaign_summary.total_likes IS 'Likes summed over the posts'' latest snapshots.';
COMMENT ON COLUMN tiktrack.campaign_summary.total_comments IS 'Comments summed over the posts'' latest snapshots.';
COMMENT ON COLUMN tiktrack.campaign_summary.total_shares IS 'Shares summed over the posts'' latest snapshots.';
COMMENT ON COLUMN tiktrack.campaign_summary.total_saves IS 'Saves summed over the posts'' latest snapshots (0 where the API reports none).';
COMMENT ON COLUMN tiktrack.campaign_summary.total_engagement IS 'likes + comments + shares + saves summed over the posts.';
COMMENT ON COLUMN tiktrack.campaign_summary.engagement_rate IS 'total_engagement / total_views (a ratio of sums); NULL when views are 0.';
COMMENT ON COLUMN tiktrack.campaign_summary.completion_weighted_views IS 'Sum of views x completion_rate over the posts whose completion rate is known; NULL if none.';
COMMENT ON COLUMN tiktrack.campaign_summary.created_at IS 'When the campaign was created.';
COMMENT ON COLUMN tiktrack.campaign_summary.currency_minor_units IS 'Decimals of the currency (2 for USD, 0 for JPY): money columns are in minor units, divide by 10^currency_minor_units for currency units.';

COMMENT ON COLUMN tiktrack.worker_status.pid IS 'Process id of the background worker; NULL when it is not running.';
COMMENT ON COLUMN tiktrack.worker_status.state IS 'What this database''s worker does now: stopped, starting, disabled, idle, claiming, fetching, writing, maintenance, rate limited or citus worker node (on a Citus worker node the worker idles: the coordinator fetches); not served (tiktrack.database) when tiktrack.database names another database.';
COMMENT ON COLUMN tiktrack.worker_status.state_since IS 'Since when the worker is in that state.';
COMMENT ON COLUMN tiktrack.worker_status.started_at IS 'When the running worker started.';
COMMENT ON COLUMN tiktrack.worker_status.starts IS 'Number of starts of this database''s worker since the server started (more than 1 after crashes, restarts or DROP/CREATE EXTENSION).';
COMMENT ON COLUMN tiktrack.worker_status.tracked_videos IS 'Videos being tracked (tracking, failing, awaiting_authorization or resolving).';
COMMENT ON COLUMN tiktrack.worker_status.due_videos IS 'Videos whose next fetch is due now.';
COMMENT ON COLUMN tiktrack.worker_status.videos_in_flight IS 'Videos the worker has claimed and is fetching.';
COMMENT ON COLUMN tiktrack.worker_status.failing_videos IS 'Videos in state failing (see tiktrack.videos.last_error).';
COMMENT ON COLUMN tiktrack.worker_status.requests_last_minute IS 'HTTP requests to TikTok in the last minute.';
COMMENT ON COLUMN tiktrack.worker_status.requests_last_hour IS 'HTTP requests to TikTok in the last hour.';
COMMENT ON COLUMN tiktrack.worker_status.snapshots_last_minute IS 'Snapshots written in the last minute.';
COMMENT ON COLUMN tiktrack.worker_status.snapshots_last_hour IS 'Snapshots written in the last hour.';
COMMENT ON COLUMN tiktrack.worker_status.errors_last_hour IS 'Errors of the last hour by kind, e.g. {"network": 2}; {} when none.';
COMMENT ON COLUMN tiktrack.worker_status.errors_total IS 'Errors since the server started, by kind; {} when none.';
COMMENT ON COLUMN tiktrack.worker_status.rate_limit_waits_last_hour IS 'Times in the last hour a fetch waited for room in tiktrack''s own request budget (tiktrack.rate_limits()); pacing, not an error: high when much is due at once, as after tracking many posts.';
COMMENT ON COLUMN tiktrack.worker_status.rate_limited_until IS 'Limiters TikTok throttled, with when the pause ends, e.g. {"business": "..."}; NULL when none.';
COMMENT ON COLUMN tiktrack.worker_status.last_success_display IS 'Last successful request to the Display API.';
COMMENT ON COLUMN tiktrack.worker_status.last_success_business IS 'Last successful request to the Business API.';

/* ---- a small public surface ---- */

-- Helpers only the server, the worker (superuser) or SECURITY DEFINER
-- functions call: aggregate support and type I/O functions (checked
-- against the aggregate's or type's owner, not the caller), trigger
-- functions (not checked when they fire), the worker's look-up of the next
-- due time, and the internal checks of the campaign functions.  The
-- functions that call the latter as the user (campaign_metrics and the
-- other read functions, add_posts, track) work for roles granted them:
-- grant_read() grants campaign_or_error; writers need EXECUTE on
-- add_posts_check and wake_worker_on_commit (README, Security).
REVOKE EXECUTE ON FUNCTION
	tiktrack.ratio_state_in(cstring),
	tiktrack.ratio_state_out(tiktrack.ratio_state),
	tiktrack.ratio_state_recv(internal),
	tiktrack.ratio_state_send(tiktrack.ratio_state),
	tiktrack.weighted_sum_state_in(cstring),
	tiktrack.weighted_sum_state_out(tiktrack.weighted_sum_state),
	tiktrack.weighted_sum_state_recv(internal),
	tiktrack.weighted_sum_state_send(tiktrack.weighted_sum_state),
	tiktrack.ratio_state_combine(tiktrack.ratio_state, tiktrack.ratio_state),
	tiktrack.ratio_state_quotient(tiktrack.ratio_state),
	tiktrack.ratio_state_roi(tiktrack.ratio_state),
	tiktrack.ratio_state_per_mille(tiktrack.ratio_state),
	tiktrack.engagement_rate_accum(tiktrack.ratio_state, bigint, bigint, bigint, bigint),
	tiktrack.engagement_rate_retract(tiktrack.ratio_state, bigint, bigint, bigint, bigint),
	tiktrack.engagement_rate_accum(tiktrack.ratio_state, bigint, bigint, bigint, bigint, bigint),
	tiktrack.engagement_rate_retract(tiktrack.ratio_state, bigint, bigint, bigint, bigint, bigint),
	tiktrack.revenue_cost_accum(tiktrack.ratio_state, bigint, bigint),
	tiktrack.revenue_cost_retract(tiktrack.ratio_state, bigint, bigint),
	tiktrack.cost_views_accum(tiktrack.ratio_state, bigint, bigint),
	tiktrack.cost_views_retract(tiktrack.ratio_state, bigint, bigint),
	tiktrack.completion_weighted_views_accum(tiktrack.weighted_sum_state, bigint, float8),
	tiktrack.completion_weighted_views_retract(tiktrack.weighted_sum_state, bigint, float8),
	tiktrack.weighted_sum_state_combine(tiktrack.weighted_sum_state, tiktrack.weighted_sum_state),
	tiktrack.weighted_sum_state_value(tiktrack.weighted_sum_state),
	tiktrack.top_values_state_in(cstring),
	tiktrack.top_values_state_out(tiktrack.top_values_state),
	tiktrack.top_values_state_recv(internal),
	tiktrack.top_values_state_send(tiktrack.top_values_state),
	tiktrack.top_values_accum(tiktrack.top_values_state, text[], integer),
	tiktrack.top_values_combine(tiktrack.top_values_state, tiktrack.top_values_state),
	tiktrack.top_values_final(tiktrack.top_values_state),
	tiktrack.snapshots_keep_latest(),
	tiktrack.notify_video_state(),
	tiktrack.notify_creator_reauthorization(),
	tiktrack.wake_worker_trigger(),
	tiktrack.next_due_at(),
	tiktrack.wake_worker_on_commit(),
	tiktrack.campaign_or_error(bigint),
	tiktrack.add_posts_check(jsonb)
	FROM PUBLIC;

-- The internal helpers of the signals and money functions (70_signals.sql,
-- 75_money.sql): they run as the caller, so grant_read() grants the ones
-- the read functions call; the breakout check runs only from its
-- SECURITY DEFINER trigger.
REVOKE EXECUTE ON FUNCTION
	tiktrack.interpolated_counters(bigint, timestamptz, timestamptz),
	tiktrack.benchmark_keys(text, text, text, real, timestamptz, text[]),
	tiktrack.traction_of(bigint, timestamptz),
	tiktrack.check_traction_breakout(bigint, timestamptz),
	tiktrack.creator_engagement_profile(timestamptz),
	tiktrack.forecast_backtest_arrays(bigint[], float8[], float8[], float8, integer),
	tiktrack.attribution_rules(bigint),
	tiktrack.check_attribution_model(text),
	tiktrack.attribution_all(bigint, timestamptz),
	tiktrack.attribution_report(bigint, timestamptz),
	tiktrack.attributed_order_revenue(bigint, timestamptz),
	tiktrack.check_pay_terms(jsonb),
	tiktrack.payout_figures(bigint, timestamptz)
	FROM PUBLIC;
