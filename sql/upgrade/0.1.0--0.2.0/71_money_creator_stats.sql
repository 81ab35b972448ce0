/*
 * Money (sql/install/76_money_credits.sql): the identical text, after
 * 69_bi_existing_objects.sql, which restates the 0.1.0 view's columns.
 */
/*
 * campaign_creator_stats (a view of 0.1.0, sql/install/40_campaigns.sql):
 * GMV counts the orders credited to the creator under the campaign's rules
 * (the stored credits) besides their direct conversions, as
 * campaign_metrics() GMV does for the campaign.  The same columns, so
 * CREATE OR REPLACE keeps the view's dependents and comments.
 */
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
	   -- as tiktrack.roi() and roas(): the difference exact, then one division
	   (g.gmv_cents - g.creator_fee_cents)::float8 / nullif(g.creator_fee_cents, 0)::float8 AS roi,
	   g.gmv_cents::float8 / nullif(g.creator_fee_cents, 0)::float8 AS roas,
	   g.cpm_cents,
	   k.currency,
	   cur.minor_units AS currency_minor_units
FROM (SELECT x.campaign_id,
			 x.creator_id,
			 count(*) FILTER (WHERE x.kind = 'post') AS posts,
			 count(x.captured_at) AS posts_published,
			 sum(x.cost_cents) AS creator_fee_cents,
			 sum(x.revenue_cents) AS gmv_cents,
			 count(*) FILTER (WHERE x.kind = 'conversion') AS conversions,
			 sum(x.views) AS views,
			 sum(x.likes) + sum(x.comments) + sum(x.shares) + sum(x.saves) AS engagement,
			 tiktrack.engagement_rate(x.views, x.likes, x.comments, x.shares, x.saves) AS engagement_rate,
			 tiktrack.cpm(x.cost_cents, x.views) AS cpm_cents
	  -- The creator's posts (fee, latest counters), direct conversions and
	  -- credited orders (summed), a row each.
	  FROM (SELECT cp.campaign_id, cp.creator_id, 'post' AS kind,
				   cp.fee_cents AS cost_cents, 0::numeric AS revenue_cents,
				   coalesce(l.views, 0) AS views, coalesce(l.likes, 0) AS likes,
				   coalesce(l.comments, 0) AS comments, coalesce(l.shares, 0) AS shares,
				   coalesce(l.saves, 0) AS saves, l.captured_at
			FROM tiktrack.campaign_posts cp
			LEFT JOIN tiktrack.latest_snapshots l ON l.video_id = cp.video_id
			UNION ALL
			SELECT cv.campaign_id, cv.creator_id, 'conversion', 0, cv.revenue_cents, 0, 0, 0, 0, 0, NULL
			FROM tiktrack.conversions cv
			UNION ALL
			SELECT d.campaign_id, d.creator_id, 'orders', 0, sum(d.credited_cents), 0, 0, 0, 0, 0, NULL
			FROM tiktrack.order_credit_days d
			GROUP BY d.campaign_id, d.creator_id) x
	  GROUP BY x.campaign_id, x.creator_id) g
JOIN tiktrack.creators cr ON cr.id = g.creator_id
JOIN tiktrack.campaigns k ON k.id = g.campaign_id
JOIN tiktrack.currencies cur ON cur.code = k.currency;
COMMENT ON VIEW tiktrack.campaign_creator_stats IS
	'Per campaign and creator (every creator with a post, a conversion or a credited order in the campaign): posts (and how many have a snapshot), creator fees, GMV = the revenue of the direct conversions attributed to the creator (record_conversion) + the revenue of the orders credited to them under the campaign''s attribution rules (tiktrack.set_attribution; the creators'' GMV add up to tiktrack.campaign_metrics() GMV but for the rounding of shared orders), the number of direct conversions, views and engagement summed over the posts'' latest snapshots, engagement_rate = engagement / views (ratio of sums), roi = (gmv - creator fees) / creator fees, roas = gmv / creator fees, cpm_cents = creator fees / views * 1000 (the C aggregates tiktrack.engagement_rate and cpm). The campaign''s agency fee is not split over creators: it is in campaign_metrics only. Money in minor units of the campaign currency; sums (money and counters) are numeric, exact beyond bigint (GMV fractional where an order is shared).';

