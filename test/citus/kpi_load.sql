-- The same data for a Citus cluster (after tiktrack.distribute()) and a
-- single node (test/t/091_citus_distribute.pl compares every KPI of the
-- two).  Deterministic: fixed times, no random().  Four creators, two
-- campaigns, 24 posts with 40 snapshots each, captions with hashtags,
-- follower counts, conversions, promo codes, touches, orders, pay terms,
-- payments and a rate card.
SET timezone = 'UTC';
SELECT tiktrack.create_campaign('Spring', 'EUR', 5000) AS spring;
SELECT tiktrack.create_campaign('Summer', 'USD', 0) AS summer;
UPDATE tiktrack.campaigns SET starts_at = '2026-03-01', ends_at = '2026-03-31', budget_cents = 900000
	WHERE name = 'Spring';
SELECT count(*) FROM tiktrack.add_posts(
	(SELECT id FROM tiktrack.campaigns WHERE name = 'Spring'),
	(SELECT jsonb_agg(jsonb_build_object(
				'url', format('https://www.tiktok.com/@%s/video/%s', h, 7300000000000000000 + v),
				'creator_handle', h, 'fee_cents', 10000 + v * 500) ORDER BY v)
	 FROM generate_series(1, 16) v,
		  LATERAL (SELECT (ARRAY['alice', 'bob', 'carol', 'dan'])[1 + v % 4] AS h) x));
SELECT count(*) FROM tiktrack.add_posts(
	(SELECT id FROM tiktrack.campaigns WHERE name = 'Summer'),
	(SELECT jsonb_agg(jsonb_build_object(
				'url', format('https://www.tiktok.com/@%s/video/%s', h, 7300000000000000000 + v),
				'creator_handle', h, 'fee_cents', 20000) ORDER BY v)
	 FROM generate_series(9, 24) v,
		  LATERAL (SELECT (ARRAY['alice', 'bob', 'carol', 'dan'])[1 + v % 4] AS h) x));
-- what the fetcher learns: posting time, duration, caption (one video at
-- a time, with values: Citus evaluates no STABLE function of a column in
-- an UPDATE of a distributed table)
DO $$
DECLARE
	v bigint;
BEGIN
	FOR v IN SELECT id FROM tiktrack.videos WHERE id BETWEEN 7300000000000000001 AND 7300000000000000024 ORDER BY id LOOP
		UPDATE tiktrack.videos
			SET posted_at = timestamptz '2026-03-01' + (v - 7300000000000000000) * interval '7 hours',
				duration_s = 10 + (v % 7) * 5,
				caption = format('day %s #fyp #spring%s @brand%s', v % 5, v % 3, v % 2)
			WHERE id = v;
	END LOOP;
END
$$;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, saves,
								completion_rate, source)
SELECT v.id, v.posted_at + s * interval '3 hours',
	   (s * s * (50 + v.id % 13 * 20) + s * 100)::bigint,
	   (s * (30 + v.id % 11 * 7))::bigint,
	   (s * (3 + v.id % 5))::bigint,
	   (s * (1 + v.id % 3))::bigint,
	   CASE WHEN v.id % 4 = 0 THEN NULL ELSE (s * 2)::bigint END,
	   CASE WHEN v.id % 3 = 0 THEN NULL ELSE 0.2 + (v.id % 10) / 20.0 END,
	   'manual'
FROM tiktrack.videos v, generate_series(1, 40) s
WHERE v.id BETWEEN 7300000000000000001 AND 7300000000000000024;
-- on one node the trigger did this already; on Citus it is needed
SELECT tiktrack.sync_latest_snapshots() >= 0 AS synced;
INSERT INTO tiktrack.creator_stats (creator_id, captured_at, followers, following, likes, videos, source)
SELECT c.id, timestamptz '2026-02-20' + d * interval '1 day',
	   10000 * (1 + c.id % 4) + d * 37 * (1 + c.id % 3), 100 + d, 5000 + d * 90, 20 + d / 5, 'manual'
FROM tiktrack.creators c, generate_series(0, 40) d;
-- money
SELECT tiktrack.record_conversion((SELECT id FROM tiktrack.campaigns WHERE name = 'Spring'),
								  h, 1000 * n, timestamptz '2026-03-05' + n * interval '13 hours',
								  'order-' || n)
FROM generate_series(1, 12) n,
	 LATERAL (SELECT (ARRAY['alice', 'bob', 'carol', 'dan'])[1 + n % 4] AS h) x;
SELECT tiktrack.record_conversion((SELECT id FROM tiktrack.campaigns WHERE name = 'Spring'),
								  'bob', 4242, '2026-03-06', 'order-video', video_id => 7300000000000000001);
SELECT tiktrack.add_promo_code((SELECT id FROM tiktrack.campaigns WHERE name = 'Spring'), 'carol', 'CAROL10');
SELECT tiktrack.set_attribution((SELECT id FROM tiktrack.campaigns WHERE name = 'Spring'), 'time_decay');
SELECT tiktrack.record_touch((SELECT id FROM tiktrack.campaigns WHERE name = 'Spring'),
							 h, 'cust' || (n % 5), timestamptz '2026-03-02' + n * interval '11 hours')
FROM generate_series(1, 20) n,
	 LATERAL (SELECT (ARRAY['alice', 'bob', 'carol', 'dan'])[1 + n % 4] AS h) x;
SELECT tiktrack.record_order((SELECT id FROM tiktrack.campaigns WHERE name = 'Spring'),
							 'cust' || (n % 5), 2500 + n * 100, timestamptz '2026-03-04' + n * interval '17 hours',
							 'web-' || n, CASE WHEN n % 6 = 0 THEN 'CAROL10' END)
FROM generate_series(1, 15) n;
SELECT tiktrack.set_pay_terms((SELECT id FROM tiktrack.campaigns WHERE name = 'Summer'), 'alice',
							  '{"base_cents": 5000, "cpm_cents": 2.5}');
SELECT tiktrack.record_payment((SELECT id FROM tiktrack.campaigns WHERE name = 'Summer'), 'alice', 3000,
							   '2026-03-20', 'PAY-1');
SELECT tiktrack.add_rate_card('tiktok', '2026-01-01', 'EUR', 689, 9, 352, 172);
