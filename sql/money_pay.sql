--
-- Money, part 2: performance-based pay (tiers, commission, CPM pay, caps,
-- measure_after, rounding, renewal), the payout ledger, payouts as spend in
-- campaign_metrics, and earned media value from dated rate cards.
--
CREATE EXTENSION tiktrack;
\set SHOW_CONTEXT never
SET timezone = 'UTC';
SET datestyle = 'ISO, YMD';
SET intervalstyle = 'postgres';

SELECT tiktrack.create_campaign('Pay', 'USD', 5000) AS p \gset
SELECT status FROM tiktrack.add_posts(:p, '[
	{"url": "https://www.tiktok.com/@alice/video/7200000000000000001", "creator_handle": "alice", "fee_cents": 10000},
	{"url": "https://www.tiktok.com/@bob/video/7200000000000000002", "creator_handle": "bob", "fee_cents": 30000},
	{"url": "https://www.tiktok.com/@carol/video/7200000000000000003", "creator_handle": "carol", "fee_cents": 8000}]');
UPDATE tiktrack.videos SET posted_at = '2026-06-01 00:00+00' WHERE id IN (7200000000000000001, 7200000000000000002);
UPDATE tiktrack.videos SET posted_at = '2026-06-03 00:00+00' WHERE id = 7200000000000000003;
INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, saves, source) VALUES
	(7200000000000000001, '2026-06-02 00:00+00',  200000, 20000, 1000,  500, NULL, 'manual'),
	(7200000000000000001, '2026-06-06 00:00+00',  600000, 50000, 2000, 1000, NULL, 'manual'),
	(7200000000000000001, '2026-06-10 00:00+00', 1000000, 80000, 3000, 2000, NULL, 'manual'),
	(7200000000000000002, '2026-06-02 00:00+00', 1000000, 30000,  500,  200, NULL, 'manual'),
	(7200000000000000002, '2026-06-11 00:00+00', 3000200, 60000, 1000,  400, NULL, 'manual'),
	(7200000000000000003, '2026-06-04 00:00+00',   50000,  4000,  100,   50,   20, 'manual');
-- Alice's code sells 12,345 cents: 10 % commission is 1,234.5, paid 1,235.
SELECT tiktrack.add_promo_code(:p, 'alice', 'ALICE');
SELECT tiktrack.record_order(:p, 'k1', 12345, '2026-06-05 00:00+00', 'P-1', 'alice') > 0 AS ordered;

-- Without terms every creator earns the post fees.
SELECT * FROM tiktrack.payouts(:p);

-- Alice: three view tiers, 10 % commission, 15 cents per 1,000 views, cap
-- 400 dollars, views measured at 7 days (interpolated between the snapshots
-- of day 5 and day 9: 600,000 + 400,000 x 2/4 = 800,000), renewal when
-- ROAS >= 0.3 and engagement rate >= 0.05.
SELECT tiktrack.set_pay_terms(:p, 'alice', '{
	"view_bonuses": [{"views": 100000, "bonus_cents": 5000}, {"views": 500000, "bonus_cents": 10000},
					 {"views": 1000000, "bonus_cents": 20000}],
	"commission_rate": 0.1, "cpm_cents": 15, "cap_cents": 40000, "measure_after": "7 days",
	"renewal": {"min_roas": 0.3, "min_engagement_rate": 0.05}}');
-- Bob: a flat 200 dollars instead of his 300 dollar fee plus 2.5 cents per
-- 1,000 views at 10 days: 3,000,200 x 2.5 / 1000 = 7,500.5, paid 7,501
-- (halves away from zero); renewal only under a CPM he does not meet.
SELECT tiktrack.set_pay_terms(:p, '@Bob', '{"base_cents": 20000, "cpm_cents": 2.5, "measure_after": "10 days",
											"renewal": {"max_cpm_cents": 5}}');
SELECT * FROM tiktrack.payouts(:p);
-- Once: the renewal of alice was announced (creator.renewal_suggested) and
-- is not announced again.
SELECT cr.handle, pt.renewal_notified_at IS NOT NULL AS notified
FROM tiktrack.pay_terms pt JOIN tiktrack.creators cr ON cr.id = pt.creator_id ORDER BY 1;
SELECT renewal_notified_at AS first_notice FROM tiktrack.pay_terms WHERE creator_id = (SELECT id FROM tiktrack.creators WHERE handle = 'alice') \gset
SELECT count(*) FROM tiktrack.payouts(:p);
SELECT renewal_notified_at = :'first_notice' AS unchanged FROM tiktrack.pay_terms WHERE creator_id = (SELECT id FROM tiktrack.creators WHERE handle = 'alice');

-- As of day 4.5: alice's post is younger than 7 days, so its latest views
-- (200,000 on day 1) count: one tier, 3,000 cents CPM pay; nothing final.
SELECT * FROM tiktrack.payouts(:p, '2026-06-05 12:00+00');
-- Before the sale: no commission.
SELECT handle, commission_cents, total_cents FROM tiktrack.payouts(:p, '2026-06-04 23:59+00') WHERE handle = 'alice';

-- The cap bites.
SELECT tiktrack.set_pay_terms(:p, 'alice', '{
	"view_bonuses": [{"views": 100000, "bonus_cents": 5000}, {"views": 500000, "bonus_cents": 10000},
					 {"views": 1000000, "bonus_cents": 20000}],
	"commission_rate": 0.1, "cpm_cents": 15, "cap_cents": 35000, "measure_after": "7 days"}');
SELECT handle, base_cents, bonus_cents, commission_cents, cpm_pay_cents, total_cents, renewal
FROM tiktrack.payouts(:p) WHERE handle = 'alice';

-- The ledger: paid and due; a reference counts once.
SELECT tiktrack.record_payment(:p, 'alice', 20000, '2026-06-15 00:00+00', 'PAY-1') AS pay1 \gset
SELECT tiktrack.record_payment(:p, 'alice', 20000, '2026-06-15 00:00+00', 'PAY-1') = :pay1 AS same_payment;
SELECT tiktrack.record_payment(:p, 'alice', 25000, '2026-06-15 00:00+00', 'PAY-1');
SELECT tiktrack.record_payment(:p, 'bob', 27501, '2026-06-20 00:00+00') > 0 AS paid;
SELECT tiktrack.record_payment(:p, 'bob', -1000, '2026-06-21 00:00+00', 'CLAWBACK-1') > 0 AS clawback;
SELECT handle, total_cents, paid_cents, due_cents FROM tiktrack.payouts(:p);
SELECT handle, paid_cents, due_cents FROM tiktrack.payouts(:p, '2026-06-16 00:00+00');

-- Spend in campaign_metrics: creators with terms cost their payout total:
-- 5,000 agency + 35,000 (alice) + 27,501 (bob) + 8,000 (carol's fee).
SELECT spend_cents, agency_fee_cents, creator_fee_cents, gmv_cents, roi, roas, cpm_cents
FROM tiktrack.campaign_metrics(:p);

-- Bad terms and arguments.
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"bonus": 1}');
SELECT tiktrack.set_pay_terms(:p, 'alice', '[]');
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"commission_rate": 1.5}');
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"base_cents": -1}');
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"cap_cents": 10.5}');
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"cpm_cents": "10"}');
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"measure_after": "soon"}');
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"measure_after": "-1 day"}');
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"view_bonuses": [{"views": 10}]}');
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"view_bonuses": [{"views": 10, "bonus_cents": 0.5}]}');
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"renewal": {"min_ctr": 0.1}}');
SELECT tiktrack.set_pay_terms(:p, 'alice', '{"renewal": {"min_roas": -1}}');
SELECT tiktrack.set_pay_terms(:p, 'erin', '{}');
SELECT tiktrack.set_pay_terms(999, 'alice', '{}');
SELECT tiktrack.record_payment(:p, 'alice', 0);
SELECT tiktrack.record_payment(:p, 'alice', 10, NULL);
SELECT tiktrack.record_payment(:p, 'erin', 10);
SELECT tiktrack.payouts(999);
-- Nothing half-written: the terms are those of the last valid call.
SELECT terms -> 'cap_cents' AS cap FROM tiktrack.pay_terms WHERE creator_id = (SELECT id FROM tiktrack.creators WHERE handle = 'alice');

--
-- Earned media value from a dated rate card: alice's post (June 1) is
-- valued with the January card, carol's (June 3) with the June 2 version.
--
SELECT tiktrack.add_rate_card('tiktok', '2026-01-01', 'usd', 689, 9, 352, 172);
SELECT tiktrack.add_rate_card('tiktok', '2026-06-02', 'USD', 800, 10, 400, 200, 5);
SELECT name, valid_from, currency, per_1000_views_cents, per_like_cents, per_comment_cents, per_share_cents, per_save_cents
FROM tiktrack.rate_cards ORDER BY name, valid_from;
-- alice: 1,000 x 689 + 80,000 x 9 + 3,000 x 352 + 2,000 x 172 = 2,809,000;
-- bob (June 1 too): 3,000.2 x 689 + 60,000 x 9 + 1,000 x 352 + 400 x 172
--   = 2,067,137.8 + 540,000 + 352,000 + 68,800 = 3,027,937.8;
-- carol: 50 x 800 + 4,000 x 10 + 100 x 400 + 50 x 200 + 20 x 5 = 130,100;
-- in all 5,967,037.8 cents.
SELECT tiktrack.emv(:p, 'tiktok') AS emv_cents;
-- As of June 5: alice 200 x 689 + 20,000 x 9 + 1,000 x 352 + 500 x 172 =
-- 755,800; bob 1,000 x 689 + 30,000 x 9 + 500 x 352 + 200 x 172 = 1,169,400;
-- carol 130,100; in all 2,055,300.
SELECT tiktrack.emv(:p, 'tiktok', '2026-06-05 00:00+00') AS emv_cents_june_5;
-- Replacing a version's values.
SELECT tiktrack.add_rate_card('tiktok', '2026-06-02', 'USD', 800, 10, 400, 200, 0);
SELECT tiktrack.emv(:p, 'tiktok') AS emv_without_saves;
-- EMV is never part of ROI.
SELECT roi, roas FROM tiktrack.campaign_metrics(:p);
-- No silent FX, no card before its first version, bad values.
SELECT tiktrack.add_rate_card('euro card', '2026-01-01', 'EUR', 600, 8, 300, 150);
SELECT tiktrack.emv(:p, 'euro card');
SELECT tiktrack.add_rate_card('tiktok', '2026-07-01', 'EUR', 600, 8, 300, 150);
SELECT tiktrack.add_rate_card('late', '2026-06-02', 'USD', 600, 8, 300, 150);
SELECT tiktrack.emv(:p, 'late');
SELECT tiktrack.emv(:p, 'nope');
SELECT tiktrack.emv(999, 'tiktok');
SELECT tiktrack.add_rate_card('bad', '2026-01-01', 'USD', -1, 8, 300, 150);
SELECT tiktrack.add_rate_card('bad', '2026-01-01', 'USD', 'NaN', 8, 300, 150);
SELECT tiktrack.add_rate_card('bad', '2026-01-01', 'USD', 1, 8, 300, 'Infinity');
SELECT tiktrack.add_rate_card('bad', '2026-01-01', 'XXX', 1, 8, 300, 150);
SELECT tiktrack.add_rate_card(' ', '2026-01-01', 'USD', 1, 8, 300, 150);
SELECT tiktrack.add_rate_card('bad', 'infinity', 'USD', 1, 8, 300, 150);

DROP EXTENSION tiktrack;
