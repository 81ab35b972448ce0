-- Timings for test/bench/attribution.sh (psql variables: campaign, runs,
-- creators).  The queries run in turn, `runs` rounds, inside the server;
-- best and median wall time in milliseconds, and the median over rounds of
-- the ratio to the plain-SQL last-touch query (a window function over the
-- join of orders and touches under the same rules) of the same round.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.bench(label text, q text, runs int,
							  OUT query text, OUT best_ms numeric, OUT median_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	ms float8[] := '{}';
BEGIN
	FOR i IN 1 .. runs LOOP
		t0 := clock_timestamp();
		EXECUTE q;
		ms := ms || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
	END LOOP;
	query := label;
	SELECT round(min(x)::numeric, 1), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 1)
		INTO best_ms, median_ms FROM unnest(ms) AS x;
END
$$;

-- The plain query: the last eligible touch of each order without a code
-- (clicks within 30 days, views within 1 day), by row_number().
\set plain 'SELECT s.creator_id, count(*) AS orders, sum(s.revenue_cents) AS revenue FROM (SELECT o.revenue_cents, t.creator_id, row_number() OVER (PARTITION BY o.id ORDER BY t.occurred_at DESC, t.id DESC) AS rn FROM tiktrack.orders o JOIN tiktrack.touches t ON t.campaign_id = o.campaign_id AND t.customer_key = o.customer_key AND t.occurred_at <= o.occurred_at AND t.occurred_at >= o.occurred_at - CASE t.kind WHEN ''click'' THEN interval ''30 days'' ELSE interval ''1 day'' END WHERE o.campaign_id = ' :campaign ' AND NOT EXISTS (SELECT FROM tiktrack.promo_codes pc WHERE pc.campaign_id = o.campaign_id AND pc.code = upper(btrim(o.promo_code)))) s WHERE s.rn = 1 GROUP BY s.creator_id'
\set codes 'SELECT pc.creator_id, sum(o.revenue_cents) AS revenue FROM tiktrack.orders o JOIN tiktrack.promo_codes pc ON pc.campaign_id = o.campaign_id AND pc.code = upper(btrim(o.promo_code)) WHERE o.campaign_id = ' :campaign ' GROUP BY pc.creator_id'

\echo
\echo -- attribution(last_touch) agrees with the plain query plus the codes (else the benchmark stops)
SELECT count(*) = 0 AS agrees
FROM tiktrack.attribution(:campaign, 'last_touch') a
FULL JOIN (SELECT coalesce(p.creator_id, k.creator_id) AS creator_id,
				  coalesce(p.revenue, 0) + coalesce(k.revenue, 0) AS revenue
		   FROM (:plain) p FULL JOIN (:codes) k ON k.creator_id = p.creator_id) b
	ON b.creator_id = a.creator_id
WHERE a.creator_id IS NOT NULL AND a.revenue_cents IS DISTINCT FROM b.revenue::float8 \gset
\echo agrees: :agrees
\if :agrees
\else
\quit 3
\endif
SELECT sum(revenue_cents) FILTER (WHERE creator_id IS NOT NULL) AS attributed,
	   sum(revenue_cents) FILTER (WHERE creator_id IS NULL) AS unattributed
FROM tiktrack.attribution(:campaign, 'last_touch');

\echo
\echo -- timings (ms, best and median of :runs rounds, measured in the server; each round runs every
\echo -- query once in turn, and x_round is the median over rounds of the ratio to the plain query of
\echo -- the same round, which cancels most of the drift of a shared machine)
CREATE TEMP TABLE timing (query text, ord int, round int, ms float8);
CREATE FUNCTION pg_temp.rounds(queries text[], labels text[], runs int) RETURNS void
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
BEGIN
	FOR r IN 1 .. runs LOOP
		FOR q IN 1 .. cardinality(queries) LOOP
			t0 := clock_timestamp();
			EXECUTE queries[q];
			INSERT INTO timing VALUES (labels[q], q, r, extract(epoch FROM clock_timestamp() - t0) * 1000);
		END LOOP;
	END LOOP;
END
$$;
SELECT pg_temp.rounds(ARRAY[:'plain',
							format('SELECT * FROM tiktrack.attribution(%s, %L)', :campaign, 'last_touch'),
							format('SELECT * FROM tiktrack.attribution(%s, %L)', :campaign, 'first_touch'),
							format('SELECT * FROM tiktrack.attribution(%s, %L)', :campaign, 'linear'),
							format('SELECT * FROM tiktrack.attribution(%s, %L)', :campaign, 'time_decay'),
							format('SELECT * FROM tiktrack.attribution(%s, %L)', :campaign, 'position_based'),
							format('SELECT * FROM tiktrack.attribution_models(%s)', :campaign)],
					  ARRAY['plain last touch (window function)', 'attribution(last_touch)', 'attribution(first_touch)',
							'attribution(linear)', 'attribution(time_decay)', 'attribution(position_based)',
							'attribution_models (all five)'],
					  :runs) \gset
SELECT t.query, round(min(t.ms)::numeric, 1) AS best_ms,
	   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms))::numeric, 1) AS median_ms,
	   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms / p.ms))::numeric, 2) AS x_round
FROM timing t JOIN timing p ON p.round = t.round AND p.ord = 1
GROUP BY t.query, t.ord ORDER BY t.ord;

\echo
\echo -- payouts of :creators creators (tiers, CPM pay, cap, measured at 30 days; no commission)
SELECT count(*) AS creators, sum(total_cents) AS total_cents FROM tiktrack.payouts(:campaign, '2026-07-01 00:00+00');
SELECT * FROM pg_temp.bench('payouts (no commission)', format('SELECT * FROM tiktrack.payouts(%s, %L)', :campaign, '2026-07-01 00:00+00'), :runs);

\echo
\echo -- the stored credits (tiktrack.order_credits, kept by the triggers while loading) agree with
\echo -- attribution() under the rules of the campaign, for every creator (else the benchmark stops)
SELECT count(*) = 0 AS credits_agree
FROM tiktrack.attribution(:campaign) a
FULL JOIN (SELECT * FROM tiktrack.credited_revenue(:campaign, NULL) WHERE creator_id IS NOT NULL) c
	ON c.creator_id = a.creator_id
WHERE (a.creator_id IS NOT NULL OR c.creator_id IS NOT NULL)
  AND abs(coalesce(a.revenue_cents, 0) - coalesce(c.revenue_cents, 0)::float8) > 1e-6 * greatest(abs(a.revenue_cents), 1) \gset
\echo credits_agree: :credits_agree
\if :credits_agree
\else
\quit 3
\endif
SELECT count(*) AS credit_rows, pg_size_pretty(pg_total_relation_size('tiktrack.order_credits')) AS credits_size,
	   (SELECT count(*) FROM tiktrack.order_credit_days) AS day_sums
FROM tiktrack.order_credits;

\echo
\echo -- readers of the stored credits: payouts() with a 5 % commission and a min_roas renewal
\echo -- criterion (before the stored credits: about the time of attribution(), 6.4 s here), and
\echo -- campaign_metrics() (GMV = conversions + attributed orders), now and as of a past moment
\echo -- inside the days of the orders; x_round as above, against the plain last-touch query
UPDATE tiktrack.pay_terms SET terms = terms || '{"commission_rate": 0.05, "renewal": {"min_roas": 2}}';
TRUNCATE timing;
SELECT pg_temp.rounds(ARRAY[:'plain',
							format('SELECT * FROM tiktrack.payouts(%s, %L)', :campaign, '2026-07-01 00:00+00'),
							format('SELECT * FROM tiktrack.payouts(%s)', :campaign),
							format('SELECT * FROM tiktrack.campaign_metrics(%s)', :campaign),
							format('SELECT * FROM tiktrack.campaign_metrics(%s, %L)', :campaign, '2026-07-01 12:00+00')],
					  ARRAY['plain last touch (window function)', 'payouts (commission, as_of 2026-07-01)',
							'payouts (commission, now)', 'campaign_metrics (now)',
							'campaign_metrics (as_of 2026-07-01 12:00)'],
					  :runs) \gset
SELECT t.query, round(min(t.ms)::numeric, 1) AS best_ms,
	   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms))::numeric, 1) AS median_ms,
	   round((percentile_cont(0.5) WITHIN GROUP (ORDER BY t.ms / p.ms))::numeric, 4) AS x_round
FROM timing t JOIN timing p ON p.round = t.round AND p.ord = 1
GROUP BY t.query, t.ord ORDER BY t.ord;
SELECT count(*) AS creators, sum(commission_cents) AS commission_cents, sum(total_cents) AS total_cents
FROM tiktrack.payouts(:campaign, '2026-07-01 00:00+00');
SELECT gmv_cents, roas FROM tiktrack.campaign_metrics(:campaign);

\echo
\echo -- what keeping the credits costs the writers: 1,000 record_touch() and 1,000 record_order()
\echo -- calls of existing customers (each recomputes the orders of the customer), one transaction each
\echo -- loop; and set_attribution(), which recomputes the million orders of the campaign
SELECT * FROM pg_temp.bench('1,000 x record_touch',
	format($q$SELECT tiktrack.record_touch(%s, 'bench' || (i %% %s + 1), 'cust' || (hashint4(-i) & 2147483647) %% 2000000,
										   '2026-06-20 00:00+00'::timestamptz + i * interval '1 second')
			  FROM generate_series(1, 1000) i$q$, :campaign, :creators), 1);
SELECT * FROM pg_temp.bench('1,000 x record_order',
	format($q$SELECT tiktrack.record_order(%s, 'cust' || (hashint4(i) & 2147483647) %% 2000000, 1500,
										   '2026-06-25 00:00+00'::timestamptz + i * interval '1 second', 'W' || i)
			  FROM generate_series(1, 1000) i$q$, :campaign), 1);
SELECT * FROM pg_temp.bench('set_attribution (linear: recomputes 1M orders)',
	format('SELECT tiktrack.set_attribution(%s, %L)', :campaign, 'linear'), 1);
SELECT * FROM pg_temp.bench('payouts (commission, linear, now)', format('SELECT * FROM tiktrack.payouts(%s)', :campaign), :runs);
