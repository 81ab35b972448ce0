/*
 * 0.2.0 for BI tools and psql: sparklines, the campaign views' new columns
 * (why a post is pending, the currency's minor units, views_trend), time
 * series views, SVG charts, grant_read(), a comment on every view column
 * and no EXECUTE for PUBLIC on helpers.  The same statements as
 * sql/install/30_aggregates.sql (sparklines), 40_campaigns.sql (the views,
 * whose new columns come last, so CREATE OR REPLACE VIEW keeps their
 * dependents) and 80_bi.sql.
 */

/*
 * Sparklines (src/sparkline.c): a series as one cell of block characters,
 * for psql result grids.  Here rather than in 80_bi.sql because the
 * campaign views of 40_campaigns.sql draw one (views_trend).
 */
CREATE FUNCTION tiktrack.sparkline("values" float8[])
RETURNS text
AS 'MODULE_PATHNAME', 'tiktrack_sparkline'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.sparkline(float8[]) IS
	'The values as a sparkline, one character each: ▁▂▃▄▅▆▇█ scaled linearly from the smallest (▁) to the largest (█) value, rounded to the nearest of the 8 heights; all equal values give ▄; NULL and NaN are a space; '''' for an empty array. Infinity is an error (22023). Example: tiktrack.sparkline(ARRAY[1, 2, 4, 8]) = ''▁▂▄█''.';

CREATE AGGREGATE tiktrack.sparkline_agg(value float8) (
	SFUNC = pg_catalog.array_append,
	STYPE = float8[],
	FINALFUNC = tiktrack.sparkline,
	INITCOND = '{}',
	PARALLEL = SAFE
);
COMMENT ON AGGREGATE tiktrack.sparkline_agg(float8) IS
	'Sparkline of the values of a group, in the order of the aggregate''s ORDER BY (as tiktrack.sparkline draws an array): SELECT handle, tiktrack.sparkline_agg(views ORDER BY captured_at) ... GROUP BY handle. NULL values are spaces.';

/* ---- the campaign views gain columns at their end ---- */

CREATE OR REPLACE VIEW tiktrack.video_latest_stats AS
SELECT v.id AS video_id,
	   v.creator_id,
	   cr.handle AS creator_handle,
	   v.kind,
	   coalesce(v.url, v.short_url) AS url,
	   v.caption,
	   v.hashtags,
	   v.mentions,
	   v.posted_at,
	   v.state,
	   l.captured_at,
	   l.views,
	   l.likes,
	   l.comments,
	   l.shares,
	   l.saves,
	   l.reach,
	   l.completion_rate,
	   l.avg_watch_time_s,
	   CASE WHEN l.video_id IS NOT NULL
			THEN coalesce(l.likes, 0)::numeric + coalesce(l.comments, 0) + coalesce(l.shares, 0) + coalesce(l.saves, 0)
	   END AS engagement,
	   (coalesce(l.likes, 0)::numeric + coalesce(l.comments, 0) + coalesce(l.shares, 0) + coalesce(l.saves, 0))::float8
		   / nullif(l.views, 0) AS engagement_rate,
	   l.snapshot_count,
	   l.source,
	   -- 0.2.0 (sql/install/80_bi.sql comments every column)
	   v.last_error,
	   v.last_error_at,
	   vs.next_fetch_at
FROM tiktrack.videos v
LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id
LEFT JOIN tiktrack.latest_snapshots l ON l.video_id = v.id
LEFT JOIN tiktrack.video_schedule vs ON vs.video_id = v.id;

CREATE OR REPLACE VIEW tiktrack.campaign_post_stats AS
SELECT cp.campaign_id,
	   cp.video_id,
	   cp.creator_id,
	   cr.handle AS creator_handle,
	   s.url,
	   s.caption,
	   s.posted_at,
	   cp.fee_cents,
	   s.views,
	   s.likes,
	   s.comments,
	   s.shares,
	   s.saves,
	   s.engagement,
	   s.engagement_rate,
	   s.completion_rate,
	   cp.fee_cents::float8 * 1000 / nullif(s.views, 0) AS cpm_cents,
	   s.captured_at,
	   CASE WHEN s.captured_at IS NULL THEN 'pending' ELSE 'published' END AS status,
	   s.state AS tracking_state,
	   cp.added_at,
	   -- 0.2.0: why a post is pending, money units, a picture of its growth
	   s.last_error,
	   CASE WHEN s.captured_at IS NULL THEN
		   CASE s.state
			   WHEN 'tracking' THEN coalesce('the first fetch failed and is retried: ' || s.last_error,
											 'the first fetch is not done yet')
			   WHEN 'resolving' THEN 'the short link is not resolved yet' || coalesce(': ' || s.last_error, '')
			   WHEN 'awaiting_authorization' THEN 'the creator has not authorized tiktrack' || coalesce(': ' || s.last_error, '')
			   WHEN 'failing' THEN 'fetches keep failing: ' || coalesce(s.last_error, 'no error recorded')
			   WHEN 'unavailable' THEN 'TikTok does not serve the video (deleted or private)' || coalesce(': ' || s.last_error, '')
			   WHEN 'stopped' THEN 'tracking was stopped before the first snapshot'
			   WHEN 'completed' THEN 'tracking ended before the first snapshot'
		   END
	   END AS pending_reason,
	   k.currency,
	   cur.minor_units AS currency_minor_units,
	   tiktrack.sparkline(ARRAY(SELECT h.views::float8
								FROM (SELECT h.views, h.captured_at FROM tiktrack.snapshots h
									  WHERE h.video_id = cp.video_id
									  ORDER BY h.captured_at DESC LIMIT 20) h
								ORDER BY h.captured_at)) AS views_trend
FROM tiktrack.campaign_posts cp
JOIN tiktrack.campaigns k ON k.id = cp.campaign_id
JOIN tiktrack.currencies cur ON cur.code = k.currency
JOIN tiktrack.creators cr ON cr.id = cp.creator_id
JOIN tiktrack.video_latest_stats s ON s.video_id = cp.video_id;

CREATE OR REPLACE VIEW tiktrack.campaign_creator_stats AS
SELECT g.campaign_id,
	   g.creator_id,
	   cr.handle AS creator_handle,
	   cr.display_name,
	   g.posts,
	   g.posts_published,
	   g.creator_fee_cents,
	   g.gmv_cents,
	   g.conversions,
	   g.views,
	   g.engagement,
	   g.engagement_rate,
	   g.roi,
	   g.roas,
	   g.cpm_cents,
	   k.currency,							-- 0.2.0
	   cur.minor_units AS currency_minor_units
FROM (SELECT x.campaign_id,
			 x.creator_id,
			 count(*) FILTER (WHERE x.is_post) AS posts,
			 count(x.captured_at) AS posts_published,
			 sum(x.cost_cents) AS creator_fee_cents,
			 sum(x.revenue_cents) AS gmv_cents,
			 count(*) FILTER (WHERE NOT x.is_post) AS conversions,
			 sum(x.views) AS views,
			 sum(x.likes) + sum(x.comments) + sum(x.shares) + sum(x.saves) AS engagement,
			 tiktrack.engagement_rate(x.views, x.likes, x.comments, x.shares, x.saves) AS engagement_rate,
			 tiktrack.roi(x.revenue_cents, x.cost_cents) AS roi,
			 tiktrack.roas(x.revenue_cents, x.cost_cents) AS roas,
			 tiktrack.cpm(x.cost_cents, x.views) AS cpm_cents
	  -- The creator's posts (fee, latest counters) and sales, a row each.
	  FROM (SELECT cp.campaign_id, cp.creator_id, true AS is_post,
				   cp.fee_cents AS cost_cents, 0::bigint AS revenue_cents,
				   coalesce(l.views, 0) AS views, coalesce(l.likes, 0) AS likes,
				   coalesce(l.comments, 0) AS comments, coalesce(l.shares, 0) AS shares,
				   coalesce(l.saves, 0) AS saves, l.captured_at
			FROM tiktrack.campaign_posts cp
			LEFT JOIN tiktrack.latest_snapshots l ON l.video_id = cp.video_id
			UNION ALL
			SELECT cv.campaign_id, cv.creator_id, false, 0, cv.revenue_cents, 0, 0, 0, 0, 0, NULL
			FROM tiktrack.conversions cv) x
	  GROUP BY x.campaign_id, x.creator_id) g
JOIN tiktrack.creators cr ON cr.id = g.creator_id
JOIN tiktrack.campaigns k ON k.id = g.campaign_id
JOIN tiktrack.currencies cur ON cur.code = k.currency;

CREATE OR REPLACE VIEW tiktrack.campaign_summary AS
SELECT c.id AS campaign_id,
	   c.name,
	   c.currency,
	   c.archived,
	   c.starts_at,
	   c.ends_at,
	   c.budget_cents,
	   (SELECT count(DISTINCT cp.creator_id) FROM tiktrack.campaign_posts cp WHERE cp.campaign_id = c.id) AS creators,
	   m.posts_published + m.posts_pending AS posts,
	   m.posts_published,
	   m.posts_pending,
	   m.spend_cents,
	   m.agency_fee_cents,
	   m.creator_fee_cents,
	   m.gmv_cents,
	   m.roi,
	   m.roas,
	   m.cpm_cents,
	   m.cpv_cents,
	   m.cpe_cents,
	   m.total_views,
	   m.total_likes,
	   m.total_comments,
	   m.total_shares,
	   m.total_saves,
	   m.total_engagement,
	   m.engagement_rate,
	   m.completion_weighted_views,
	   c.created_at,
	   (SELECT cur.minor_units FROM tiktrack.currencies cur
		WHERE cur.code = c.currency) AS currency_minor_units	-- 0.2.0
FROM tiktrack.campaigns c
CROSS JOIN LATERAL tiktrack.campaign_metrics(c.id) m;

