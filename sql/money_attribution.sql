--
-- Money, part 1: promo codes, touches, orders (one by one and by COPY),
-- multi-touch attribution under every model on hand-built journeys, the
-- campaign's rules, as_of, and GMV in campaign_metrics.
--
CREATE EXTENSION tiktrack;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

-- A campaign with the same four creators for each journey, so that every
-- journey's credit is seen alone.  The order of each journey happens at
-- 2026-06-10 12:00 UTC (T).
CREATE FUNCTION pg_temp.journey(name text) RETURNS bigint LANGUAGE plpgsql AS $$
DECLARE
	id bigint := tiktrack.create_campaign(name);
BEGIN
	PERFORM tiktrack.add_posts(id, '[
		{"url": "https://www.tiktok.com/@alice/video/7100000000000000001", "creator_handle": "alice", "fee_cents": 10000},
		{"url": "https://www.tiktok.com/@bob/video/7100000000000000002", "creator_handle": "bob", "fee_cents": 10000},
		{"url": "https://www.tiktok.com/@carol/video/7100000000000000003", "creator_handle": "carol", "fee_cents": 10000},
		{"url": "https://www.tiktok.com/@dan/video/7100000000000000004", "creator_handle": "dan", "fee_cents": 10000}]');
	RETURN id;
END
$$;
-- Every model side by side, rounded to 1/10000 of a cent.
CREATE FUNCTION pg_temp.models(campaign bigint)
RETURNS TABLE (handle text, last_touch numeric, first_touch numeric, linear numeric,
			   time_decay numeric, position_based numeric)
LANGUAGE sql AS $$
	SELECT m.handle, round(m.last_touch::numeric, 4), round(m.first_touch::numeric, 4),
		   round(m.linear::numeric, 4), round(m.time_decay::numeric, 4), round(m.position_based::numeric, 4)
	FROM tiktrack.attribution_models(campaign) m
$$;

-- One click, two days before: the whole order in every model.
SELECT pg_temp.journey('one touch') AS j \gset
SELECT tiktrack.record_touch(:j, 'alice', 'c1', '2026-06-08 12:00+00') > 0 AS touched;
SELECT tiktrack.record_order(:j, 'c1', 10000, '2026-06-10 12:00+00', 'o1') > 0 AS ordered;
SELECT * FROM pg_temp.models(:j);
SELECT * FROM tiktrack.attribution(:j);

-- Two clicks a half-life (7 days) apart: time decay gives 1/3 and 2/3.
SELECT pg_temp.journey('two touches') AS j \gset
SELECT tiktrack.record_touch(:j, 'alice', 'c1', '2026-05-31 12:00+00') > 0 AS touched;
SELECT tiktrack.record_touch(:j, 'bob', 'c1', '2026-06-07 12:00+00') > 0 AS touched;
SELECT tiktrack.record_order(:j, 'c1', 10000, '2026-06-10 12:00+00', 'o1') > 0 AS ordered;
SELECT * FROM pg_temp.models(:j);
SELECT handle, orders, revenue_cents, touches FROM tiktrack.attribution(:j, 'linear');

-- Three clicks 14, 7 and 0 days before (the last one at the order's very
-- moment counts: inclusive): time decay 1/4 : 1/2 : 1 = 1/7, 2/7, 4/7;
-- position-based 40/20/40.
SELECT pg_temp.journey('three touches') AS j \gset
SELECT tiktrack.record_touch(:j, 'alice', 'c1', '2026-05-27 12:00+00') > 0 AS touched;
SELECT tiktrack.record_touch(:j, 'bob', 'c1', '2026-06-03 12:00+00') > 0 AS touched;
SELECT tiktrack.record_touch(:j, 'carol', 'c1', '2026-06-10 12:00+00') > 0 AS touched;
SELECT tiktrack.record_order(:j, 'c1', 9000, '2026-06-10 12:00+00', 'o1') > 0 AS ordered;
SELECT * FROM pg_temp.models(:j);
SELECT handle, orders, revenue_cents FROM tiktrack.attribution(:j, 'position_based');

-- Four clicks: position-based gives the two middle ones 0.2 / 2 each.
SELECT pg_temp.journey('four touches') AS j \gset
SELECT tiktrack.record_touch(:j, h, 'c1', '2026-06-10 12:00+00'::timestamptz - d * interval '5 days') > 0 AS touched
FROM (VALUES ('alice', 4), ('bob', 3), ('carol', 2), ('dan', 1)) v(h, d);
SELECT tiktrack.record_order(:j, 'c1', 10000, '2026-06-10 12:00+00', 'o1') > 0 AS ordered;
SELECT * FROM pg_temp.models(:j);

-- A tie in time: (occurred_at, id) orders them, so the touch recorded
-- second (carol) is the last one.
SELECT pg_temp.journey('tie') AS j \gset
SELECT tiktrack.record_touch(:j, 'bob', 'c1', '2026-06-09 12:00+00') > 0 AS touched;
SELECT tiktrack.record_touch(:j, 'carol', 'c1', '2026-06-09 12:00+00') > 0 AS touched;
SELECT tiktrack.record_order(:j, 'c1', 4000, '2026-06-10 12:00+00', 'o1') > 0 AS ordered;
SELECT * FROM pg_temp.models(:j);

-- A touch after the order and one 30 days and a second before it (outside
-- the click lookback): unattributed in every model; one exactly 30 days
-- before would count (next journey).
SELECT pg_temp.journey('outside') AS j \gset
SELECT tiktrack.record_touch(:j, 'alice', 'c1', '2026-05-11 11:59:59+00') > 0 AS touched;
SELECT tiktrack.record_touch(:j, 'dan', 'c1', '2026-06-10 12:00:01+00') > 0 AS touched;
SELECT tiktrack.record_order(:j, 'c1', 2500, '2026-06-10 12:00+00', 'o1') > 0 AS ordered;
SELECT * FROM pg_temp.models(:j);
SELECT tiktrack.record_touch(:j, 'bob', 'c1', '2026-05-11 12:00+00') > 0 AS touched;
SELECT * FROM pg_temp.models(:j);

-- A view beside a click: the view 12 hours before is inside the 1-day view
-- lookback, the one 2 days before is not (a click then would be).
SELECT pg_temp.journey('view') AS j \gset
SELECT tiktrack.record_touch(:j, 'alice', 'c1', '2026-06-05 12:00+00', 'click') > 0 AS touched;
SELECT tiktrack.record_touch(:j, 'bob', 'c1', '2026-06-08 12:00+00', 'view') > 0 AS touched;
SELECT tiktrack.record_touch(:j, 'dan', 'c1', '2026-06-10 00:00+00', 'view', 7100000000000000004) > 0 AS touched;
SELECT tiktrack.record_order(:j, 'c1', 6000, '2026-06-10 12:00+00', 'o1') > 0 AS ordered;
SELECT * FROM pg_temp.models(:j);
-- time decay: 2^(-5/7) : 2^(-0.5/7), i.e. alice 1 / (1 + 2^(4.5/7)).
SELECT round(6000 / (1 + 2 ^ (4.5 / 7))::numeric, 4) AS alice_time_decay;

-- A code beats a link: alice's click is the last touch, bob's code wins in
-- every model (trimmed, any case); an unknown code falls back to touches.
SELECT pg_temp.journey('code') AS j \gset
SELECT tiktrack.add_promo_code(:j, 'bob', 'Bob10');
SELECT tiktrack.add_promo_code(:j, '@BOB', ' bob10 ');  -- the same, again: nothing changes
SELECT code, creator_id FROM tiktrack.promo_codes WHERE campaign_id = :j;
SELECT tiktrack.record_touch(:j, 'alice', 'c1', '2026-06-09 12:00+00') > 0 AS touched;
SELECT tiktrack.record_order(:j, 'c1', 5000, '2026-06-10 12:00+00', 'o1', ' bob10') > 0 AS ordered;
SELECT tiktrack.record_order(:j, 'c1', 700, '2026-06-10 13:00+00', 'o2', 'NOPE') > 0 AS ordered;
-- A code-only order of a customer we never saw.
SELECT tiktrack.record_order(:j, NULL, 300, '2026-06-10 14:00+00', 'o3', 'BOB10') > 0 AS ordered;
SELECT * FROM pg_temp.models(:j);
SELECT handle, orders, revenue_cents, touches FROM tiktrack.attribution(:j, 'first_touch');

--
-- Idempotence and bad input.
--
SELECT pg_temp.journey('rules') AS r \gset
SELECT tiktrack.record_touch(:r, 'alice', 'k1', '2026-06-01 00:00+00', touch_key => 't-1') AS t1 \gset
SELECT tiktrack.record_touch(:r, 'alice', 'k1', '2026-06-01 00:00+00', touch_key => 't-1') = :t1 AS same_touch;
SELECT tiktrack.record_touch(:r, 'bob', 'k9', '2026-06-02 00:00+00', touch_key => 't-1') = :t1 AS same_touch_changes_nothing;
SELECT count(*) AS touches FROM tiktrack.touches WHERE campaign_id = :r;
SELECT tiktrack.record_order(:r, 'k1', 1000, '2026-06-03 00:00+00', 'A-1', 'x') AS a1 \gset
SELECT tiktrack.record_order(:r, 'k1', 1000, '2026-06-03 00:00+00', 'A-1', ' X ') = :a1 AS same_order;
SELECT tiktrack.record_order(:r, 'k1', 1001, '2026-06-03 00:00+00', 'A-1', 'x');
SELECT tiktrack.record_conversion(:r, 'carol', 1500, '2026-06-04 00:00+00', 'C-1') > 0 AS converted;
SELECT tiktrack.record_order(:r, 'k1', 1500, '2026-06-04 00:00+00', 'C-1');
SELECT tiktrack.record_touch(:r, 'alice', 'k1', '2026-06-01', 'like');
SELECT tiktrack.record_touch(:r, 'alice', '', '2026-06-01');
SELECT tiktrack.record_touch(:r, 'alice', 'k1', 'infinity');
SELECT tiktrack.record_touch(:r, 'erin', 'k1', '2026-06-01');
SELECT tiktrack.record_touch(:r, 'alice', 'k1', '2026-06-01', video_id => 7100000000000000002);
SELECT tiktrack.record_touch(999, 'alice', 'k1', '2026-06-01');
SELECT tiktrack.record_order(:r, 'k1', -1, '2026-06-01');
SELECT tiktrack.record_order(:r, 'k1', 1, '2026-06-01', '  ');
SELECT tiktrack.record_order(999, 'k1', 1, '2026-06-01');
SELECT tiktrack.add_promo_code(:r, 'alice', '  ');
SELECT tiktrack.add_promo_code(:r, 'alice', 'SAME');
SELECT tiktrack.add_promo_code(:r, 'bob', 'same');
SELECT tiktrack.attribution(:r, 'last_click');
SELECT tiktrack.attribution(999);
SELECT tiktrack.set_attribution(:r, 'linear', '-1 day');
SELECT tiktrack.set_attribution(:r, 'linear', '30 days', NULL);
SELECT tiktrack.set_attribution(:r, 'linear', '30 days', '1 day', '0');
SELECT tiktrack.set_attribution(:r, 'time_decay', '30 days', '1 day', '30 minutes');
SELECT tiktrack.set_attribution(:r, 'middle');

--
-- COPY: the same checks as constraints, all or nothing (terse: the
-- failing rows' details carry the time of loading).
--
\set VERBOSITY terse
COPY tiktrack.touches (campaign_id, creator_id, customer_key, occurred_at, kind) FROM stdin;
999	1	k2	2026-06-01 00:00+00	click
\.
COPY tiktrack.touches (campaign_id, creator_id, customer_key, occurred_at, kind) FROM stdin;
1	1	k2	2026-06-01 00:00+00	tap
\.
COPY tiktrack.orders (campaign_id, customer_key, revenue_cents, occurred_at, order_id) FROM stdin;
1	k2	-5	2026-06-01 00:00+00	B-1
\.
COPY tiktrack.orders (campaign_id, customer_key, revenue_cents, occurred_at, order_id) FROM stdin;
1	k2	5	2026-06-01 00:00+00	B-1
1	k2	6	2026-06-01 00:00+00	B-1
\.
COPY tiktrack.promo_codes (campaign_id, code, creator_id) FROM stdin;
1	lower	1
\.
\set VERBOSITY default
SELECT count(*) AS orders_of_first FROM tiktrack.orders WHERE campaign_id = 1;

--
-- The campaign's rules, as_of, campaign_metrics GMV.
--
SELECT pg_temp.journey('window') AS w \gset
SELECT id AS alice FROM tiktrack.creators WHERE handle = 'alice' \gset
SELECT id AS bob FROM tiktrack.creators WHERE handle = 'bob' \gset
INSERT INTO tiktrack.touches (campaign_id, creator_id, customer_key, occurred_at, kind) VALUES
	(:w, :alice, 'k1', '2026-06-01 00:00+00', 'click'),
	(:w, :bob, 'k1', '2026-06-20 00:00+00', 'click'),
	(:w, :bob, 'k2', '2026-06-25 00:00+00', 'click');
INSERT INTO tiktrack.orders (campaign_id, customer_key, revenue_cents, occurred_at, order_id) VALUES
	(:w, 'k1', 3000, '2026-06-05 00:00+00', 'W-1'),   -- day 4: alice only
	(:w, 'k1', 8000, '2026-06-28 00:00+00', 'W-2'),   -- alice 27 days before, bob 8
	(:w, 'k2', 1000, '2026-07-30 00:00+00', 'W-3');   -- bob 35 days before: outside 30 days
SELECT tiktrack.record_conversion(:w, 'dan', 500, '2026-06-07 00:00+00', 'D-1') > 0 AS converted;
-- Defaults: last touch, 30 days.
SELECT handle, orders, revenue_cents, touches FROM tiktrack.attribution(:w);
-- Day 7 (as_of 2026-06-07 00:00): W-1 and the conversion only; the touch of
-- June 20 is not counted yet.
SELECT handle, orders, revenue_cents, touches FROM tiktrack.attribution(:w, NULL, '2026-06-07 00:00+00');
SELECT gmv_cents, roi, roas FROM tiktrack.campaign_metrics(:w, '2026-06-07 00:00+00');
-- Now: GMV = 500 (conversion) + 3000 + 8000 (attributed); W-3 is not.
SELECT gmv_cents, spend_cents, roi, roas FROM tiktrack.campaign_metrics(:w);
-- Linear with a 40-day lookback: W-3 becomes bob's, W-2 is split.
SELECT tiktrack.set_attribution(:w, 'linear', '40 days');
SELECT model, click_lookback, view_lookback, half_life FROM tiktrack.attribution_settings WHERE campaign_id = :w;
SELECT handle, orders, revenue_cents FROM tiktrack.attribution(:w);
SELECT handle, orders, revenue_cents FROM tiktrack.attribution(:w, 'last_touch');
SELECT gmv_cents FROM tiktrack.campaign_metrics(:w);
-- Deleting the campaign takes its codes, touches, orders and rules along.
SELECT tiktrack.add_promo_code(:w, 'alice', 'GONE');
DELETE FROM tiktrack.campaigns WHERE id = :w;
SELECT (SELECT count(*) FROM tiktrack.touches WHERE campaign_id = :w) AS touches,
	   (SELECT count(*) FROM tiktrack.orders WHERE campaign_id = :w) AS orders,
	   (SELECT count(*) FROM tiktrack.promo_codes WHERE campaign_id = :w) AS codes,
	   (SELECT count(*) FROM tiktrack.attribution_settings WHERE campaign_id = :w) AS rules;

DROP EXTENSION tiktrack;
