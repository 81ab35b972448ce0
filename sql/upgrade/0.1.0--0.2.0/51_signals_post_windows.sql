
-- post_windows() now takes its counters from the views_at_age primitive
-- (same text as in sql/install/40_campaigns.sql).
CREATE OR REPLACE FUNCTION tiktrack.post_windows(campaign_id bigint)
RETURNS TABLE (video_id bigint,
			   creator_handle text,
			   posted_at timestamptz,
			   views_24h bigint, engagement_24h bigint,
			   views_72h bigint, engagement_72h bigint,
			   views_7d bigint, engagement_7d bigint,
			   views_30d bigint, engagement_30d bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c tiktrack.campaigns := tiktrack.campaign_or_error(post_windows.campaign_id);
BEGIN
	-- The counters at each age are those of tiktrack.views_at_age (the
	-- same primitive, tiktrack.interpolated_counters: two index steps per
	-- post and age); engagement adds saves.
	RETURN QUERY
	SELECT cp.video_id, cr.handle, v.posted_at,
		   round(w1.views)::bigint, round(w1.engagement + w1.saves)::bigint,
		   round(w3.views)::bigint, round(w3.engagement + w3.saves)::bigint,
		   round(w7.views)::bigint, round(w7.engagement + w7.saves)::bigint,
		   round(w30.views)::bigint, round(w30.engagement + w30.saves)::bigint
	FROM tiktrack.campaign_posts cp
	JOIN tiktrack.videos v ON v.id = cp.video_id
	JOIN tiktrack.creators cr ON cr.id = cp.creator_id
	LEFT JOIN LATERAL tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + interval '24 hours') w1 ON true
	LEFT JOIN LATERAL tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + interval '72 hours') w3 ON true
	LEFT JOIN LATERAL tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + interval '7 days') w7 ON true
	LEFT JOIN LATERAL tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + interval '30 days') w30 ON true
	WHERE cp.campaign_id = c.id
	ORDER BY v.posted_at NULLS LAST, cr.handle, cp.video_id;
END
$$;
COMMENT ON FUNCTION tiktrack.post_windows(bigint) IS
	'Each campaign post''s cumulative views and engagement (likes + comments + shares + saves) at 24 hours, 72 hours, 7 days and 30 days after posted_at, so posts can be compared at the same age. Each value is computed as tiktrack.views_at_age computes views: exact when a snapshot was taken at that moment, else interpolated linearly between the last snapshot before it and the first after it (from 0 at posted_at before the first snapshot), rounded to a whole count (halves away from zero); it is NULL until a snapshot at or after the moment exists and while posted_at is unknown. An unknown campaign id is an ERROR.';
