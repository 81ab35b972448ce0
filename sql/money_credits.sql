--
-- Money, part 4: the stored attribution credits (tiktrack.order_credits)
-- that payouts(), campaign_metrics() and campaign_creator_stats read.
-- Whatever the path (record_order, record_touch after the order, COPY,
-- UPDATE, DELETE, codes, direct conversions, set_attribution), the stored
-- answer equals tiktrack.attribution(campaign, NULL, as_of) at every as_of.
--
CREATE EXTENSION tiktrack;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

SELECT tiktrack.create_campaign('credits') AS k \gset
SELECT count(*) AS added FROM tiktrack.add_posts(:k, '[
	{"url": "https://www.tiktok.com/@alice/video/7200000000000000001", "creator_handle": "alice", "fee_cents": 10000},
	{"url": "https://www.tiktok.com/@bob/video/7200000000000000002", "creator_handle": "bob", "fee_cents": 20000},
	{"url": "https://www.tiktok.com/@carol/video/7200000000000000003", "creator_handle": "carol", "fee_cents": 0}]')
	WHERE status = 'added';
SELECT id AS alice FROM tiktrack.creators WHERE handle = 'alice' \gset
SELECT id AS bob FROM tiktrack.creators WHERE handle = 'bob' \gset
SELECT id AS carol FROM tiktrack.creators WHERE handle = 'carol' \gset

-- The stored answer against attribution() at several as_of (before, at,
-- between and after the orders, NULL): the creators whose credited revenue
-- differs by more than 1e-6 of a cent (float8 sums in another order), and
-- the attributed revenue of the orders (each once; attribution() less the
-- direct conversions) at each as_of.
CREATE FUNCTION pg_temp.agree(campaign bigint)
RETURNS TABLE (as_of timestamptz, differ bigint, stored numeric, attributed numeric)
LANGUAGE sql AS $$
	SELECT a.at, (SELECT count(*)
				  FROM (SELECT x.creator_id, x.revenue_cents FROM tiktrack.attribution(campaign, NULL, a.at) x
						WHERE x.creator_id IS NOT NULL AND x.revenue_cents <> 0) x
				  FULL JOIN (SELECT c.creator_id, c.revenue_cents FROM tiktrack.credited_revenue(campaign, a.at) c
							 WHERE c.creator_id IS NOT NULL AND c.revenue_cents <> 0) c
					ON c.creator_id = x.creator_id
				  WHERE abs(coalesce(x.revenue_cents, 0) - coalesce(c.revenue_cents, 0)::float8) > 1e-6),
		   (SELECT round(c.revenue_cents, 6) FROM tiktrack.credited_revenue(campaign, a.at) c WHERE c.creator_id IS NULL),
		   (SELECT round(sum(x.revenue_cents)::numeric, 6) FROM tiktrack.attribution(campaign, NULL, a.at) x
			WHERE x.creator_id IS NOT NULL)
		   - (SELECT coalesce(sum(cv.revenue_cents), 0) FROM tiktrack.conversions cv
			  WHERE cv.campaign_id = campaign AND cv.occurred_at <= coalesce(a.at, 'infinity'))
	FROM (VALUES ('2026-06-01 00:00+00'::timestamptz), ('2026-06-10 11:59:59+00'), ('2026-06-10 12:00+00'),
				 ('2026-06-10 23:59:59+00'), ('2026-06-11 00:00+00'), ('2026-06-20 08:00+00'), (NULL)) a(at)
$$;
-- The stored credits, readable.
CREATE FUNCTION pg_temp.credits(campaign bigint)
RETURNS TABLE (order_id text, handle text, weight numeric, revenue_cents bigint, order_cents bigint)
LANGUAGE sql AS $$
	SELECT o.order_id, cr.handle, round(oc.weight::numeric, 6), oc.revenue_cents, oc.order_cents
	FROM tiktrack.order_credits oc
	JOIN tiktrack.orders o ON o.id = oc.order_id
	JOIN tiktrack.creators cr ON cr.id = oc.creator_id
	WHERE oc.campaign_id = campaign
	ORDER BY o.order_id, cr.handle
$$;

-- Linear attribution.  The order first, its touches afterwards (recorded
-- later, occurred before it): each touch recomputes the order.
SELECT tiktrack.set_attribution(:k, 'linear');
SELECT tiktrack.record_order(:k, 'c1', 9000, '2026-06-10 12:00+00', 'o1') > 0 AS ordered;
SELECT * FROM pg_temp.credits(:k);		-- no touch yet: unattributed
SELECT tiktrack.record_touch(:k, 'alice', 'c1', '2026-06-01 12:00+00') > 0 AS touched;
SELECT * FROM pg_temp.credits(:k);
SELECT tiktrack.record_touch(:k, 'bob', 'c1', '2026-06-09 12:00+00') > 0 AS touched;
SELECT tiktrack.record_touch(:k, 'alice', 'c1', '2026-06-10 12:00+00') > 0 AS touched;
-- A touch after the order and one outside the click lookback change nothing.
SELECT tiktrack.record_touch(:k, 'carol', 'c1', '2026-06-10 12:00:01+00') > 0 AS touched;
SELECT tiktrack.record_touch(:k, 'carol', 'c1', '2026-05-11 11:59:59+00') > 0 AS touched;
SELECT * FROM pg_temp.credits(:k);		-- alice 2/3, bob 1/3
-- A second order of the same day, late in it (the as_of inside a day reads
-- that day's orders one by one), and one of another customer by code.
SELECT tiktrack.record_order(:k, 'c1', 3000, '2026-06-10 23:00+00', 'o2') > 0 AS ordered;
SELECT tiktrack.add_promo_code(:k, 'carol', 'carol10');
SELECT tiktrack.record_order(:k, 'c2', 5000, '2026-06-15 09:00+00', 'o3', ' Carol10 ') > 0 AS ordered;
SELECT * FROM pg_temp.credits(:k);
SELECT * FROM pg_temp.agree(:k);

-- COPY: orders and touches in bulk, the orders first (COPY data cannot
-- name psql variables: the campaign is 1, alice, bob, carol 1, 2, 3).
SELECT :k = 1 AND :alice = 1 AND :bob = 2 AND :carol = 3 AS ids_as_copied;
COPY tiktrack.orders (campaign_id, customer_key, revenue_cents, occurred_at, order_id, promo_code) FROM stdin;
1	c3	1000	2026-06-12 10:00:00+00	b1	\N
1	c3	2000	2026-06-20 10:00:00+00	b2	\N
1	c4	4000	2026-06-18 10:00:00+00	b3	\N
1	c5	700	2026-06-18 10:00:00+00	b4	carol10
\.
COPY tiktrack.touches (campaign_id, creator_id, customer_key, occurred_at, kind) FROM stdin;
1	1	c3	2026-06-11 10:00:00+00	click
1	2	c3	2026-06-12 09:00:00+00	view
1	3	c3	2026-06-19 10:00:00+00	click
1	2	c4	2026-06-17 11:00:00+00	view
1	1	c4	2026-06-16 10:00:00+00	click
1	1	c5	2026-06-18 09:00:00+00	click
\.
SELECT * FROM pg_temp.credits(:k) WHERE order_id LIKE 'b%';
SELECT * FROM pg_temp.agree(:k);

-- Every model, and other lookbacks: set_attribution recomputes the campaign.
SELECT tiktrack.set_attribution(:k, 'time_decay', '10 days', '2 days', '3 days');
SELECT * FROM pg_temp.agree(:k);
SELECT tiktrack.set_attribution(:k, 'position_based');
SELECT * FROM pg_temp.agree(:k);
SELECT tiktrack.set_attribution(:k, 'first_touch');
SELECT * FROM pg_temp.agree(:k);
SELECT * FROM pg_temp.credits(:k) WHERE order_id IN ('o1', 'b2');
SELECT tiktrack.set_attribution(:k, 'last_touch', '30 days', '1 day', '7 days');
SELECT * FROM pg_temp.credits(:k) WHERE order_id IN ('o1', 'b2');
SELECT * FROM pg_temp.agree(:k);

-- Writes by hand: a touch moved and one deleted, an order's revenue and
-- time changed, a code removed, a direct conversion of an order's order_id
-- (the conversion takes the order's place), an order deleted.
UPDATE tiktrack.touches SET occurred_at = '2026-06-10 12:30+00' WHERE customer_key = 'c3' AND creator_id = :carol;
DELETE FROM tiktrack.touches WHERE customer_key = 'c4' AND creator_id = :alice;
UPDATE tiktrack.orders SET revenue_cents = 2500, occurred_at = '2026-06-19 10:00+00' WHERE order_id = 'b2';
DELETE FROM tiktrack.promo_codes WHERE code = 'CAROL10';
INSERT INTO tiktrack.conversions (campaign_id, creator_id, revenue_cents, occurred_at, order_id)
	VALUES (:k, :bob, 4000, '2026-06-18 10:00+00', 'b3');
DELETE FROM tiktrack.orders WHERE order_id = 'o2';
SELECT * FROM pg_temp.credits(:k);
SELECT * FROM pg_temp.agree(:k);

-- The readers: payouts() commission and renewal ROAS, campaign_metrics()
-- GMV (direct conversions + attributed orders) and campaign_creator_stats
-- GMV per creator, which add up to it.
SELECT tiktrack.add_promo_code(:k, 'carol', 'carol10');
SELECT tiktrack.set_attribution(:k, 'linear');
SELECT tiktrack.set_pay_terms(:k, 'alice', '{"base_cents": 1000, "commission_rate": 0.1}');
SELECT tiktrack.set_pay_terms(:k, 'bob', '{"base_cents": 0, "commission_rate": 0.5, "renewal": {"min_roas": 1.5}}');
SELECT handle, commission_cents, total_cents, renewal FROM tiktrack.payouts(:k, '2026-06-10 23:59+00') ORDER BY handle;
SELECT handle, commission_cents, total_cents, renewal FROM tiktrack.payouts(:k, '2026-07-01 00:00+00') ORDER BY handle;
SELECT handle, round(revenue_cents::numeric, 4) AS revenue_cents
	FROM tiktrack.attribution(:k, NULL, '2026-07-01 00:00+00') ORDER BY handle;
SELECT gmv_cents FROM tiktrack.campaign_metrics(:k, '2026-06-10 23:59+00');
SELECT gmv_cents FROM tiktrack.campaign_metrics(:k);
SELECT creator_handle, round(gmv_cents, 4) AS gmv_cents, conversions, creator_fee_cents, round(roi::numeric, 6) AS roi,
	   round(roas::numeric, 6) AS roas
	FROM tiktrack.campaign_creator_stats WHERE campaign_id = :k ORDER BY creator_handle;
SELECT round(sum(gmv_cents), 6) = (SELECT gmv_cents FROM tiktrack.campaign_metrics(:k)) AS creators_add_up
	FROM tiktrack.campaign_creator_stats WHERE campaign_id = :k;
SELECT * FROM pg_temp.agree(:k);

-- TRUNCATE recomputes (here: the touches go, only codes still credit).
TRUNCATE tiktrack.touches;
SELECT * FROM pg_temp.credits(:k);
SELECT * FROM pg_temp.agree(:k);

-- Deleting the campaign deletes its credits.
DELETE FROM tiktrack.campaigns WHERE id = :k;
SELECT count(*) AS credits_left FROM tiktrack.order_credits;
SELECT count(*) AS day_sums_left FROM tiktrack.order_credit_days;

-- Bulk statements (more than 32 orders, more than 64 customers: the
-- campaign's lock; an INSERT of all the campaign's orders recomputes them
-- all at once): touches of 100 customers, then 150 orders of them, then 70
-- more touches and 40 more orders, the same answer as attribution().
SELECT tiktrack.create_campaign('bulk') AS b \gset
SELECT count(*) AS added FROM tiktrack.add_posts(:b, '[
	{"url": "https://www.tiktok.com/@alice/video/7200000000000000011", "creator_handle": "alice"},
	{"url": "https://www.tiktok.com/@bob/video/7200000000000000012", "creator_handle": "bob"}]')
	WHERE status = 'added';
SELECT tiktrack.set_attribution(:b, 'position_based');
INSERT INTO tiktrack.touches (campaign_id, creator_id, customer_key, occurred_at, kind)
SELECT :b, CASE WHEN i % 3 = 0 THEN :bob ELSE :alice END, 'k' || i % 100,
	   '2026-06-01 00:00+00'::timestamptz + i * interval '7 hours', CASE WHEN i % 4 = 0 THEN 'view' ELSE 'click' END
FROM generate_series(1, 300) i;
INSERT INTO tiktrack.orders (campaign_id, customer_key, revenue_cents, occurred_at, order_id)
SELECT :b, 'k' || i % 100, 100 * i, '2026-06-05 00:00+00'::timestamptz + i * interval '5 hours', 'bulk' || i
FROM generate_series(1, 150) i;
SELECT count(DISTINCT order_id) AS credited_orders FROM tiktrack.order_credits WHERE campaign_id = :b;
SELECT * FROM pg_temp.agree(:b);
INSERT INTO tiktrack.touches (campaign_id, creator_id, customer_key, occurred_at, kind)
SELECT :b, CASE WHEN i % 2 = 0 THEN :bob ELSE :alice END, 'k' || i, '2026-06-10 00:00+00'::timestamptz + i * interval '1 hour', 'click'
FROM generate_series(1, 70) i;
INSERT INTO tiktrack.orders (campaign_id, customer_key, revenue_cents, occurred_at, order_id)
SELECT :b, 'k' || i, 1000, '2026-06-10 06:00+00'::timestamptz + i * interval '3 hours', 'more' || i
FROM generate_series(1, 40) i;
SELECT * FROM pg_temp.agree(:b);

DROP EXTENSION tiktrack;
