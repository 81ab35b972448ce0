
/* ---- campaign_metrics(): GMV with attributed orders, spend with payouts ---- */

CREATE OR REPLACE FUNCTION tiktrack.campaign_metrics(campaign_id bigint, as_of timestamptz DEFAULT NULL)
RETURNS TABLE (currency text,
			   spend_cents numeric,
			   agency_fee_cents bigint,
			   creator_fee_cents numeric,
			   gmv_cents numeric,
			   roi float8,
			   roas float8,
			   cpm_cents float8,
			   cpv_cents float8,
			   cpe_cents float8,
			   total_views numeric,
			   total_likes numeric,
			   total_comments numeric,
			   total_shares numeric,
			   total_saves numeric,
			   total_engagement numeric,
			   engagement_rate float8,
			   completion_weighted_views float8,
			   posts_published bigint,
			   posts_pending bigint,
			   top_hashtags jsonb,
			   top_mentions jsonb)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
-- One plan for every campaign and as_of (the as_of test is a one-time
-- filter in it); planning afresh per call (custom plans) cost 7 % more.
SET plan_cache_mode = force_generic_plan
AS $$
DECLARE
	c tiktrack.campaigns := tiktrack.campaign_or_error(campaign_metrics.campaign_id);
	v_termed bigint[] := '{}';
	v_payouts bigint := 0;
BEGIN
	-- Creators with pay terms cost their payout total, not their post fees.
	IF EXISTS (SELECT FROM tiktrack.pay_terms pt WHERE pt.campaign_id = c.id) THEN
		SELECT coalesce(array_agg(p.creator_id), '{}'), coalesce(sum(p.total_cents), 0)
			INTO v_termed, v_payouts
			FROM tiktrack.payout_figures(c.id, campaign_metrics.as_of) p
			WHERE p.has_terms;
	END IF;
	RETURN QUERY
	WITH snap AS (
		-- Each post with the snapshot it counts with: the row the trigger
		-- keeps in latest_snapshots, or with as_of the latest at or before
		-- it (one backward step of the primary key per post).  Only one
		-- branch runs: the as_of test is made once per call, not per post.
		-- (Trying latest_snapshots first when it is not after as_of measured
		-- slower: most posts of a past day have later snapshots, so it adds
		-- a lookup to nearly every post.)
		--
		-- Here and for the caption tags below, OFFSET 0 keeps the lookups
		-- per post (index probes, ~1 us each, the cost grows with the
		-- campaign): otherwise the planner, pricing every probe as a disk
		-- read, hashes the whole latest_snapshots and videos tables on
		-- each call, a cost that grows with everything tracked (1.4x the
		-- time with 10,000 videos, test/bench/campaign_metrics.sh).
		SELECT cp.video_id, CASE WHEN cp.creator_id = ANY (v_termed) THEN 0 ELSE cp.fee_cents END,
			   l.captured_at, l.views, l.likes, l.comments,
			   l.shares, l.saves, l.completion_rate
		FROM tiktrack.campaign_posts cp
		LEFT JOIN LATERAL (
			SELECT l.captured_at, l.views, l.likes, l.comments, l.shares, l.saves, l.completion_rate
			FROM tiktrack.latest_snapshots l
			WHERE l.video_id = cp.video_id
			OFFSET 0) l ON true
		WHERE cp.campaign_id = c.id AND campaign_metrics.as_of IS NULL
		UNION ALL
		SELECT cp.video_id, CASE WHEN cp.creator_id = ANY (v_termed) THEN 0 ELSE cp.fee_cents END,
			   h.captured_at, h.views, h.likes, h.comments,
			   h.shares, h.saves, h.completion_rate
		FROM tiktrack.campaign_posts cp
		LEFT JOIN LATERAL (
			SELECT h.captured_at, h.views, h.likes, h.comments, h.shares, h.saves, h.completion_rate
			FROM tiktrack.snapshots h
			WHERE h.video_id = cp.video_id AND h.captured_at <= campaign_metrics.as_of
			ORDER BY h.captured_at DESC
			LIMIT 1) h ON true
		WHERE cp.campaign_id = c.id AND campaign_metrics.as_of IS NOT NULL
	),
	-- Everything that costs, earns or is watched: a row per post (fee,
	-- counters, caption tags), the agency fee, the sales up to as_of
	-- (summed).  The C aggregates then give every ratio and the top tags
	-- in one pass, ratios as ratios of sums.  Totals are numeric: a
	-- campaign's spend or GMV may pass bigint's 2^63-1 (the C aggregates
	-- sum in 128 bits).  The sales' sum is fed to them in bigint-sized
	-- pieces (one row unless it passes 2^63-1; div() is exact where a
	-- numeric quotient would round).
	ledger AS (
		SELECT true AS is_post, s.fee_cents AS cost_cents, 0::bigint AS revenue_cents,
			   coalesce(s.views, 0) AS views, coalesce(s.likes, 0) AS likes,
			   coalesce(s.comments, 0) AS comments, coalesce(s.shares, 0) AS shares,
			   coalesce(s.saves, 0) AS saves, s.completion_rate, s.captured_at,
			   v.hashtags, v.mentions
		FROM snap s
		CROSS JOIN LATERAL (
			SELECT v.hashtags, v.mentions FROM tiktrack.videos v
			WHERE v.id = s.video_id
			OFFSET 0) v
		UNION ALL
		SELECT false, c.agency_fee_cents, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL
		UNION ALL
		SELECT false, 0, g.piece, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL
		FROM (SELECT coalesce(sum(cv.revenue_cents), 0)
					 -- and the orders attributed under the campaign's rules
					 + tiktrack.attributed_order_revenue(c.id, campaign_metrics.as_of) AS total
			  FROM tiktrack.conversions cv
			  WHERE cv.campaign_id = c.id
				AND (campaign_metrics.as_of IS NULL OR cv.occurred_at <= campaign_metrics.as_of)) s
		CROSS JOIN LATERAL (
			SELECT least(s.total - (k - 1)::numeric * 9223372036854775807, 9223372036854775807)::bigint AS piece
			FROM pg_catalog.generate_series(1, pg_catalog.div(s.total + 9223372036854775806, 9223372036854775807)::bigint) k
			UNION ALL
			SELECT 0 WHERE s.total = 0) g
		UNION ALL
		-- What creators with pay terms earn (their post fees count 0 above).
		SELECT false, v_payouts, 0, 0, 0, 0, 0, 0, NULL, NULL, NULL, NULL
	),
	total AS (
		SELECT sum(l.cost_cents) AS spend,
			   coalesce(sum(l.cost_cents) FILTER (WHERE l.is_post), 0) + v_payouts AS creator_fees,
			   sum(l.revenue_cents) AS gmv,
			   tiktrack.roi(l.revenue_cents, l.cost_cents) AS roi,
			   tiktrack.roas(l.revenue_cents, l.cost_cents) AS roas,
			   tiktrack.cpm(l.cost_cents, l.views) AS cpm,
			   tiktrack.cpv(l.cost_cents, l.views) AS cpv,
			   sum(l.views) AS views,
			   sum(l.likes) AS likes,
			   sum(l.comments) AS comments,
			   sum(l.shares) AS shares,
			   sum(l.saves) AS saves,
			   sum(l.likes) + sum(l.comments) + sum(l.shares) + sum(l.saves) AS engagement,
			   tiktrack.engagement_rate(l.views, l.likes, l.comments, l.shares, l.saves) AS er,
			   tiktrack.completion_weighted_views(l.views, l.completion_rate) AS cwv,
			   count(l.captured_at) AS published,
			   count(*) FILTER (WHERE l.is_post AND l.captured_at IS NULL) AS pending,
			   tiktrack.top_values(l.hashtags, 10) AS hashtags,
			   tiktrack.top_values(l.mentions, 10) AS mentions
		FROM ledger l
	)
	SELECT c.currency,
		   t.spend,
		   c.agency_fee_cents,
		   t.creator_fees,
		   t.gmv,
		   t.roi,
		   t.roas,
		   t.cpm,
		   t.cpv,
		   t.spend::float8 / nullif(t.engagement, 0)::float8,
		   t.views, t.likes, t.comments, t.shares, t.saves,
		   t.engagement,
		   t.er,
		   t.cwv,
		   t.published,
		   t.pending,
		   t.hashtags,
		   t.mentions
	FROM total t;
END
$$;
COMMENT ON FUNCTION tiktrack.campaign_metrics(bigint, timestamptz) IS
	'Dashboard KPIs of a campaign, as one row, now (as_of NULL) or as of a past moment. Each post counts with its latest snapshot, or its latest snapshot at or before as_of; GMV counts conversions that occurred at or before as_of. Money is in minor units of currency; sums (money and counters) are numeric, exact beyond bigint. spend = creator fees of all posts + agency fee (as_of does not change it), except that a creator with pay terms (tiktrack.set_pay_terms) costs their tiktrack.payouts() total (as of as_of) instead of their post fees; GMV = direct conversions + orders attributed to a creator under the campaign''s rules (tiktrack.attribution()); roi = (gmv - spend) / spend; roas = gmv / spend; cpm_cents = spend / views * 1000; cpv_cents = spend / views; cpe_cents = spend / engagement (unrounded float8, NULL when the divisor is 0; computed by the C aggregates tiktrack.roi, roas, cpm, cpv, engagement_rate and completion_weighted_views over the posts, the agency fee and the sales). engagement = likes + comments + shares + saves (a counter the API did not report counts 0); engagement_rate = total engagement / total views (a ratio of sums); completion_weighted_views = sum of views x completion_rate over posts whose completion rate is known (NULL if none). posts_published have a snapshot (as of as_of), posts_pending none. top_hashtags and top_mentions: the 10 most frequent in the posts'' captions, [{"value", "count"}] by count then value, count being the number of posts. An unknown campaign id is an ERROR.';
