-- Data for test/bench/attribution.sh (psql variables: creators, customers,
-- touches, orders): one campaign of :creators creators with a post and a
-- promo code each; :touches touches of :customers customers over 90 days
-- (one in five a view); :orders orders over the last 75 days (one in 20
-- with a code); two snapshots per post and pay terms for every creator.
\set ON_ERROR_STOP on
SET client_min_messages = warning;
SELECT tiktrack.create_campaign('Bench') AS c \gset
INSERT INTO tiktrack.creators (handle) SELECT 'bench' || i FROM generate_series(1, :creators) i;
SELECT min(id) AS c0 FROM tiktrack.creators WHERE handle LIKE 'bench%' \gset
INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until, state)
SELECT 7400000000000000000 + cr.id, cr.id, '2026-05-01 00:00+00', '2026-08-01 00:00+00', 'completed'
FROM tiktrack.creators cr WHERE cr.handle LIKE 'bench%';
INSERT INTO tiktrack.campaign_posts (campaign_id, video_id, creator_id, fee_cents)
SELECT :c, v.id, v.creator_id, 10000 FROM tiktrack.videos v WHERE v.id > 7400000000000000000;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
SELECT v.id, v.posted_at + a.age, a.views * (v.id % 7 + 1), a.views / 20, a.views / 400, a.views / 1000, 'import'
FROM tiktrack.videos v
CROSS JOIN (VALUES (interval '1 day', 100000), (interval '40 days', 400000)) a(age, views)
WHERE v.id > 7400000000000000000;
INSERT INTO tiktrack.promo_codes (campaign_id, code, creator_id)
SELECT :c, 'CODE' || cr.id, cr.id FROM tiktrack.creators cr WHERE cr.handle LIKE 'bench%';
INSERT INTO tiktrack.touches (campaign_id, creator_id, customer_key, occurred_at, kind)
SELECT :c, :c0 + (hashint4(i) & 2147483647) % :creators, 'cust' || (hashint4(i + 1) & 2147483647) % :customers,
	   '2026-05-01 00:00+00'::timestamptz + ((hashint4(i + 2) & 2147483647) % 7776000) * interval '1 second',
	   CASE WHEN i % 5 = 0 THEN 'view' ELSE 'click' END
FROM generate_series(1, :touches) i;
INSERT INTO tiktrack.orders (campaign_id, customer_key, revenue_cents, occurred_at, order_id, promo_code)
SELECT :c, 'cust' || (hashint4(-i) & 2147483647) % :customers, 1000 + (hashint4(-i - 1) & 2147483647) % 20000,
	   '2026-05-15 00:00+00'::timestamptz + ((hashint4(-i - 2) & 2147483647) % 6480000) * interval '1 second',
	   'O' || i, CASE WHEN i % 20 = 0 THEN 'code' || (:c0 + i % :creators) END
FROM generate_series(1, :orders) i;
-- Pay terms without commission (tiers, CPM pay, cap, measured at 30 days).
INSERT INTO tiktrack.pay_terms (campaign_id, creator_id, terms)
SELECT :c, cr.id, tiktrack.check_pay_terms('{"view_bonuses": [{"views": 500000, "bonus_cents": 5000}, {"views": 2000000, "bonus_cents": 10000}], "cpm_cents": 12.5, "cap_cents": 60000, "measure_after": "30 days", "renewal": {"min_engagement_rate": 0.05, "max_cpm_cents": 50}}')
FROM tiktrack.creators cr WHERE cr.handle LIKE 'bench%';
VACUUM ANALYZE;
