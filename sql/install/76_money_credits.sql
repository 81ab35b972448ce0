/*
 * Money, the stored attribution credits: each order's credit under its
 * campaign's configured rules (tiktrack.set_attribution), kept by statement
 * triggers on the money tables, so that payouts() (commissions, min_roas),
 * campaign_metrics() GMV and campaign_creator_stats GMV read sums instead
 * of attributing every order on every call (README, "How the credits are
 * kept").  The weights are tiktrack.touch_weight() and touch_decay() of
 * 75_money.sql, which tiktrack.attribution() uses too.
 *
 * The same file serves the fresh install and the upgrade from 0.1.0
 * (sql/upgrade/0.1.0--0.2.0/62_money_credits.sql links to it; the view
 * campaign_creator_stats is restated after 69_bi_existing_objects.sql by
 * 71_money_creator_stats.sql).
 */

/* ---- tables ---- */

/*
 * Stored attribution credit: each order's shares under its campaign's
 * configured rules, kept by statement triggers on the money tables (see
 * "kept credits" below).  An order's eligible touches all occur at or
 * before it, so its credit is the same for every as_of at or after it: the
 * stored rows answer any as_of by the orders' occurred_at.
 */
CREATE TABLE tiktrack.order_credits (
	order_id	bigint NOT NULL,
	creator_id	bigint NOT NULL,
	campaign_id bigint NOT NULL REFERENCES tiktrack.campaigns (id) ON DELETE CASCADE,
	occurred_at timestamptz NOT NULL,
	weight		float8 NOT NULL CONSTRAINT order_credits_weight_check CHECK (weight > 0),
	revenue_cents bigint NOT NULL,
	order_cents bigint NOT NULL,
	CONSTRAINT order_credits_pkey PRIMARY KEY (order_id, creator_id)
);
COMMENT ON TABLE tiktrack.order_credits IS
	'Internal, derived: the credit of each attributed order (tiktrack.orders) under its campaign''s configured rules (tiktrack.set_attribution), a row per order and credited creator; an unattributed order has none. Kept by statement triggers on orders, touches, promo_codes, conversions and attribution_settings; read by tiktrack.payouts(), tiktrack.campaign_metrics() and tiktrack.campaign_creator_stats through tiktrack.credited_revenue().';
COMMENT ON COLUMN tiktrack.order_credits.order_id IS 'tiktrack.orders.id.';
COMMENT ON COLUMN tiktrack.order_credits.occurred_at IS 'The order''s time (a credit counts at every as_of at or after it).';
COMMENT ON COLUMN tiktrack.order_credits.weight IS 'The creator''s share of the order under the configured model (the sum of their eligible touches'' weights, computed by tiktrack.touch_weight() as in tiktrack.attribution(); 1 for a promo code); the shares of an order sum to 1.';
COMMENT ON COLUMN tiktrack.order_credits.revenue_cents IS 'The order''s revenue (minor units); the creator''s credited revenue is weight x revenue_cents.';
COMMENT ON COLUMN tiktrack.order_credits.order_cents IS 'The order''s revenue on one of its rows (the first creator by id), 0 on the others: sums count each attributed order once (GMV).';
CREATE INDEX order_credits_campaign_idx ON tiktrack.order_credits (campaign_id, occurred_at);

CREATE TABLE tiktrack.order_credit_days (
	campaign_id bigint NOT NULL REFERENCES tiktrack.campaigns (id) ON DELETE CASCADE,
	day			date NOT NULL,
	creator_id	bigint NOT NULL,
	credited_cents numeric NOT NULL,
	order_cents numeric NOT NULL,
	CONSTRAINT order_credit_days_pkey PRIMARY KEY (campaign_id, day, creator_id)
);
COMMENT ON TABLE tiktrack.order_credit_days IS
	'Internal, derived: tiktrack.order_credits summed per campaign, UTC day of the order and creator (exact numeric sums, kept by the same triggers), so that a campaign''s credited revenue up to as_of reads the days before as_of''s day here and only that day''s orders from order_credits.';
COMMENT ON COLUMN tiktrack.order_credit_days.credited_cents IS 'Sum of weight x revenue_cents (each product as numeric) of the creator''s credits of orders of that day.';
COMMENT ON COLUMN tiktrack.order_credit_days.order_cents IS 'Sum of order_cents: the revenue of the day''s attributed orders, each once.';

/* ---- kept credits ---- */

/*
 * tiktrack.order_credits holds each order's credit under its campaign's
 * configured rules, so that payouts(), campaign_metrics() and
 * campaign_creator_stats read sums instead of attributing every order on
 * every call.  An order's credit depends on the order, its customer's
 * touches before it, the campaign's codes, a direct conversion of the same
 * order_id and the rules; statement triggers on those tables recompute the
 * orders a change can reach (any path: the record_* functions, COPY,
 * UPDATE, DELETE), with the weights of tiktrack.touch_weight(), the code of
 * tiktrack.attribution().
 *
 * Concurrency (READ COMMITTED): a recomputation first takes transaction
 * advisory locks on the (campaign, customer) and (campaign, order_id) keys
 * of the rows it was called for, then reads; of two sessions writing rows
 * of the same customer, the second reads after the first committed, so the
 * order and the touch always meet.  A statement with many keys, a code or a
 * rule change takes the campaign's lock exclusively instead (others take it
 * shared).  The day sums are updated in one upsert per statement, in key
 * order.
 */

-- Locks for recomputing credits of a campaign (see above); keys NULL or
-- many: the whole campaign.
CREATE FUNCTION tiktrack.lock_credits(campaign_id bigint, keys text[])
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_campaign bigint := hashtextextended('tiktrack.order_credits ' || lock_credits.campaign_id, 0);
BEGIN
	IF lock_credits.keys IS NULL OR cardinality(lock_credits.keys) > 64 THEN
		PERFORM pg_advisory_xact_lock(v_campaign);
		RETURN;
	END IF;
	PERFORM pg_advisory_xact_lock_shared(v_campaign);
	-- In one order in every session: no deadlock between them.
	PERFORM pg_advisory_xact_lock(x.k)
		FROM (SELECT DISTINCT hashtextextended('tiktrack.order_credits ' || lock_credits.campaign_id || ' ' || u.key, 0) AS k
			  FROM unnest(lock_credits.keys) u(key)) x
		ORDER BY x.k;
END
$$;
COMMENT ON FUNCTION tiktrack.lock_credits(bigint, text[]) IS
	'Internal: transaction advisory locks before the credits of a campaign''s orders are recomputed: the campaign shared and each key (''c '' customer_key, ''o '' order_id) exclusively, in a fixed order; the campaign exclusively when keys is NULL or has more than 64 elements.';
REVOKE EXECUTE ON FUNCTION tiktrack.lock_credits(bigint, text[]) FROM PUBLIC;

/*
 * Recomputes the stored credits of the campaign's orders order_ids (NULL:
 * all of them); orders that no longer exist lose theirs.  The caller holds
 * the locks (tiktrack.lock_credits).
 */
CREATE FUNCTION tiktrack.credit_orders(campaign_id bigint, order_ids bigint[])
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cid bigint := credit_orders.campaign_id;
	v_all boolean := credit_orders.order_ids IS NULL;
	r record;
	v_reach interval;
	v_h float8;
	v_drop bigint[];
	g record;
BEGIN
	-- Drop the stored credits, keeping their day sums to take off.  (One
	-- test on the ids: an OR of the two cases could scan the campaign's
	-- credits for one order.)
	IF v_all THEN
		v_drop := ARRAY(SELECT DISTINCT oc.order_id FROM tiktrack.order_credits oc WHERE oc.campaign_id = cid);
	ELSE
		v_drop := credit_orders.order_ids;
	END IF;
	WITH gone AS (
		DELETE FROM tiktrack.order_credits oc
		WHERE oc.order_id = ANY (v_drop)
		RETURNING oc.campaign_id, oc.occurred_at, oc.creator_id, oc.weight, oc.revenue_cents, oc.order_cents
	)
	SELECT array_agg(x.campaign_id) AS campaigns, array_agg(x.day) AS days, array_agg(x.creator_id) AS creators,
		   array_agg(x.credited) AS credited, array_agg(x.order_cents) AS order_cents
		INTO g
		FROM (SELECT gone.campaign_id, (gone.occurred_at AT TIME ZONE 'UTC')::date AS day, gone.creator_id,
					 sum((gone.weight * gone.revenue_cents)::numeric) AS credited, sum(gone.order_cents) AS order_cents
			  FROM gone GROUP BY 1, 2, 3) x;

	IF NOT EXISTS (SELECT FROM tiktrack.campaigns k WHERE k.id = cid) THEN
		RETURN;		-- deleted with its orders (ON DELETE CASCADE)
	END IF;
	r := tiktrack.attribution_rules(cid);
	v_reach := greatest(r.click_lookback, r.view_lookback);
	v_h := extract(epoch FROM r.half_life);

	WITH scope AS (
		SELECT o.id, o.customer_key, o.revenue_cents, o.occurred_at, o.order_id, o.promo_code
		FROM tiktrack.orders o
		WHERE v_all AND o.campaign_id = cid
		UNION ALL
		SELECT o.id, o.customer_key, o.revenue_cents, o.occurred_at, o.order_id, o.promo_code
		FROM tiktrack.orders o
		WHERE NOT v_all AND o.id = ANY (credit_orders.order_ids) AND o.campaign_id = cid
	),
	credit AS (
		-- The rules of tiktrack.attribution_all(): a direct conversion's
		-- order is not an order here, a campaign code credits its creator
		-- fully, else the eligible touches share the order.
		SELECT s.id, pc.creator_id, s.occurred_at, 1::float8 AS weight, s.revenue_cents
		FROM scope s
		JOIN tiktrack.promo_codes pc ON pc.campaign_id = cid AND pc.code = upper(btrim(s.promo_code))
		WHERE NOT EXISTS (SELECT FROM tiktrack.conversions cv
						  WHERE cv.campaign_id = cid AND cv.order_id = s.order_id)
		UNION ALL
		SELECT w.id, w.creator_id, w.occurred_at,
			   sum(tiktrack.touch_weight(r.model, w.k, w.n, w.decay, w.decay_sum)), w.revenue_cents
		FROM (
			SELECT j.id, j.creator_id, j.occurred_at, j.revenue_cents, j.decay,
				   row_number() OVER w AS k,
				   count(*) OVER w AS n,
				   sum(j.decay) OVER w AS decay_sum
			FROM (
				SELECT s.id, s.revenue_cents, s.occurred_at, t.creator_id, t.occurred_at AS touch_at, t.id AS touch_id,
					   tiktrack.touch_decay(t.occurred_at, s.occurred_at, v_h) AS decay
				FROM scope s
				JOIN tiktrack.touches t
					ON t.campaign_id = cid
				   AND t.customer_key = s.customer_key
				   AND t.occurred_at <= s.occurred_at
				   AND t.occurred_at >= s.occurred_at - v_reach
				   AND t.occurred_at >= s.occurred_at - CASE t.kind WHEN 'click' THEN r.click_lookback ELSE r.view_lookback END
				WHERE NOT EXISTS (SELECT FROM tiktrack.promo_codes pc
								  WHERE pc.campaign_id = cid AND pc.code = upper(btrim(s.promo_code)))
				  AND NOT EXISTS (SELECT FROM tiktrack.conversions cv
								  WHERE cv.campaign_id = cid AND cv.order_id = s.order_id)
			) j
			WINDOW w AS (PARTITION BY j.id ORDER BY j.touch_at, j.touch_id
						 ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
		) w
		GROUP BY w.id, w.creator_id, w.occurred_at, w.revenue_cents
	),
	fresh AS (
		INSERT INTO tiktrack.order_credits (order_id, creator_id, campaign_id, occurred_at, weight, revenue_cents, order_cents)
		SELECT c.id, c.creator_id, cid, c.occurred_at, c.weight, c.revenue_cents,
			   CASE WHEN row_number() OVER (PARTITION BY c.id ORDER BY c.creator_id) = 1 THEN c.revenue_cents ELSE 0 END
		FROM credit c
		WHERE c.weight > 0		-- the touches a model gives nothing
		RETURNING order_credits.occurred_at, order_credits.creator_id, order_credits.weight,
				  order_credits.revenue_cents, order_credits.order_cents
	),
	delta AS (
		SELECT cid AS campaign_id, (f.occurred_at AT TIME ZONE 'UTC')::date AS day, f.creator_id,
			   (f.weight * f.revenue_cents)::numeric AS credited, f.order_cents::numeric AS order_cents
		FROM fresh f
		UNION ALL
		SELECT x.campaign_id, x.day, x.creator_id, -x.credited, -x.order_cents
		FROM ROWS FROM (unnest(g.campaigns), unnest(g.days), unnest(g.creators), unnest(g.credited), unnest(g.order_cents))
			AS x(campaign_id, day, creator_id, credited, order_cents)
		WHERE EXISTS (SELECT FROM tiktrack.campaigns k WHERE k.id = x.campaign_id)
	)
	-- One upsert in key order (concurrent sessions lock the rows in the same
	-- order); sums that did not change take no lock.
	INSERT INTO tiktrack.order_credit_days AS d (campaign_id, day, creator_id, credited_cents, order_cents)
	SELECT x.campaign_id, x.day, x.creator_id, sum(x.credited), sum(x.order_cents)
	FROM delta x
	GROUP BY x.campaign_id, x.day, x.creator_id
	HAVING sum(x.credited) <> 0 OR sum(x.order_cents) <> 0
	ORDER BY x.campaign_id, x.day, x.creator_id
	ON CONFLICT ON CONSTRAINT order_credit_days_pkey DO UPDATE
		SET credited_cents = d.credited_cents + excluded.credited_cents,
			order_cents = d.order_cents + excluded.order_cents;
END
$$;
COMMENT ON FUNCTION tiktrack.credit_orders(bigint, bigint[]) IS
	'Internal: recomputes the stored credits (tiktrack.order_credits, order_credit_days) of the campaign''s orders order_ids (NULL: all its orders) under its configured rules, with the rules and weights of tiktrack.attribution(); ids of orders that no longer exist lose their credits. The caller holds tiktrack.lock_credits().';
REVOKE EXECUTE ON FUNCTION tiktrack.credit_orders(bigint, bigint[]) FROM PUBLIC;

/*
 * The triggers.  Statement level with transition tables, so a COPY of a
 * million rows recomputes in a few set-based statements; the transition
 * table is named by TG_OP (old_rows, new_rows), hence the dynamic SQL.
 */
CREATE FUNCTION tiktrack.orders_credit_trigger()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel text;
	c record;
	v_ids bigint[];
BEGIN
	FOREACH rel IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows'] WHEN 'DELETE' THEN ARRAY['old_rows']
									ELSE ARRAY['old_rows', 'new_rows'] END LOOP
		FOR c IN EXECUTE format(
			'SELECT x.campaign_id, array_agg(x.id) AS ids, count(*) AS n
			 FROM %I x GROUP BY x.campaign_id ORDER BY x.campaign_id', rel)
		LOOP
			v_ids := c.ids;
			IF c.n > 32 THEN
				-- A bulk statement: the campaign's lock; when it wrote as many
				-- orders as the campaign has (a first load), recomputing them
				-- all is cheaper than looking each up.
				PERFORM tiktrack.lock_credits(c.campaign_id, NULL);
				IF c.n >= (SELECT count(*) FROM tiktrack.orders o WHERE o.campaign_id = c.campaign_id) THEN
					v_ids := NULL;
				END IF;
			ELSE
				EXECUTE format(
					'SELECT tiktrack.lock_credits($1, array_agg(DISTINCT ''c '' || coalesce(x.customer_key, ''''))
							|| coalesce(array_agg(DISTINCT ''o '' || x.order_id) FILTER (WHERE x.order_id IS NOT NULL), ''{}''))
					 FROM %I x WHERE x.campaign_id = $1', rel)
					USING c.campaign_id;
			END IF;
			PERFORM tiktrack.credit_orders(c.campaign_id, v_ids);
		END LOOP;
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION tiktrack.orders_credit_trigger() IS
	'Internal: after INSERT, UPDATE or DELETE on tiktrack.orders, recomputes the stored credits of the orders the statement wrote (tiktrack.credit_orders).';
REVOKE EXECUTE ON FUNCTION tiktrack.orders_credit_trigger() FROM PUBLIC;

CREATE FUNCTION tiktrack.touches_credit_trigger()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel text;
	c record;
	v_ids bigint[];
	r record;
BEGIN
	FOREACH rel IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows'] WHEN 'DELETE' THEN ARRAY['old_rows']
									ELSE ARRAY['old_rows', 'new_rows'] END LOOP
		FOR c IN EXECUTE format(
			'SELECT x.campaign_id, count(DISTINCT x.customer_key) AS customers
			 FROM %I x GROUP BY x.campaign_id ORDER BY x.campaign_id', rel)
		LOOP
			-- Lock first, then read the orders: a concurrent order of the same
			-- customer is seen once its session committed.
			IF c.customers > 64 THEN
				PERFORM tiktrack.lock_credits(c.campaign_id, NULL);
			ELSE
				EXECUTE format('SELECT tiktrack.lock_credits($1, array_agg(DISTINCT ''c '' || x.customer_key))
								FROM %I x WHERE x.campaign_id = $1', rel)
					USING c.campaign_id;
			END IF;
			-- The orders a touch can be eligible for: the customer's within
			-- the longer lookback after it.
			r := tiktrack.attribution_rules(c.campaign_id);
			EXECUTE format('SELECT array_agg(DISTINCT o.id)
							FROM %I x
							JOIN tiktrack.orders o
								ON o.campaign_id = x.campaign_id AND o.customer_key = x.customer_key
							   AND o.occurred_at >= x.occurred_at AND o.occurred_at <= x.occurred_at + $2
							WHERE x.campaign_id = $1', rel)
				INTO v_ids
				USING c.campaign_id, greatest(r.click_lookback, r.view_lookback);
			IF v_ids IS NOT NULL THEN
				PERFORM tiktrack.credit_orders(c.campaign_id, v_ids);
			END IF;
		END LOOP;
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION tiktrack.touches_credit_trigger() IS
	'Internal: after INSERT, UPDATE or DELETE on tiktrack.touches, recomputes the stored credits of the orders of the touches'' customers within the campaign''s longer lookback after them.';
REVOKE EXECUTE ON FUNCTION tiktrack.touches_credit_trigger() FROM PUBLIC;

CREATE FUNCTION tiktrack.promo_codes_credit_trigger()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel text;
	c record;
	v_ids bigint[];
BEGIN
	FOREACH rel IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows'] WHEN 'DELETE' THEN ARRAY['old_rows']
									ELSE ARRAY['old_rows', 'new_rows'] END LOOP
		FOR c IN EXECUTE format('SELECT x.campaign_id, array_agg(x.code) AS codes
								 FROM %I x GROUP BY x.campaign_id ORDER BY x.campaign_id', rel)
		LOOP
			-- Codes are few and usually come before the orders: the campaign's
			-- lock, and a scan of its orders.
			PERFORM tiktrack.lock_credits(c.campaign_id, NULL);
			SELECT array_agg(o.id) INTO v_ids
				FROM tiktrack.orders o
				WHERE o.campaign_id = c.campaign_id AND upper(btrim(o.promo_code)) = ANY (c.codes);
			IF v_ids IS NOT NULL THEN
				PERFORM tiktrack.credit_orders(c.campaign_id, v_ids);
			END IF;
		END LOOP;
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION tiktrack.promo_codes_credit_trigger() IS
	'Internal: after INSERT, UPDATE or DELETE on tiktrack.promo_codes, recomputes the stored credits of the campaign''s orders carrying the codes.';
REVOKE EXECUTE ON FUNCTION tiktrack.promo_codes_credit_trigger() FROM PUBLIC;

CREATE FUNCTION tiktrack.conversions_credit_trigger()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	rel text;
	c record;
	v_ids bigint[];
BEGIN
	FOREACH rel IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY['new_rows'] WHEN 'DELETE' THEN ARRAY['old_rows']
									ELSE ARRAY['old_rows', 'new_rows'] END LOOP
		-- Only conversions with an order_id can displace an order.
		FOR c IN EXECUTE format('SELECT x.campaign_id, array_agg(DISTINCT x.order_id) AS order_ids
								 FROM %I x WHERE x.order_id IS NOT NULL
								 GROUP BY x.campaign_id ORDER BY x.campaign_id', rel)
		LOOP
			PERFORM tiktrack.lock_credits(c.campaign_id,
										  ARRAY(SELECT 'o ' || u.order_id FROM unnest(c.order_ids) u(order_id)));
			SELECT array_agg(o.id) INTO v_ids
				FROM tiktrack.orders o
				WHERE o.campaign_id = c.campaign_id AND o.order_id = ANY (c.order_ids);
			IF v_ids IS NOT NULL THEN
				PERFORM tiktrack.credit_orders(c.campaign_id, v_ids);
			END IF;
		END LOOP;
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION tiktrack.conversions_credit_trigger() IS
	'Internal: after INSERT, UPDATE or DELETE on tiktrack.conversions, recomputes the stored credits of the campaign''s orders with the same order_id (a direct conversion takes the order''s place).';
REVOKE EXECUTE ON FUNCTION tiktrack.conversions_credit_trigger() FROM PUBLIC;

CREATE FUNCTION tiktrack.attribution_settings_credit_trigger()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cid bigint;
BEGIN
	-- (an UPDATE recomputes its campaign once, or both when it moved)
	FOREACH cid IN ARRAY CASE TG_OP WHEN 'INSERT' THEN ARRAY[NEW.campaign_id] WHEN 'DELETE' THEN ARRAY[OLD.campaign_id]
									WHEN 'UPDATE' THEN CASE WHEN OLD.campaign_id = NEW.campaign_id THEN ARRAY[NEW.campaign_id]
															ELSE ARRAY[OLD.campaign_id, NEW.campaign_id] END END LOOP
		PERFORM tiktrack.lock_credits(cid, NULL);
		PERFORM tiktrack.credit_orders(cid, NULL);
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION tiktrack.attribution_settings_credit_trigger() IS
	'Internal: after a campaign''s attribution rules change (tiktrack.set_attribution), recomputes the stored credits of all its orders.';
REVOKE EXECUTE ON FUNCTION tiktrack.attribution_settings_credit_trigger() FROM PUBLIC;

CREATE FUNCTION tiktrack.truncate_credit_trigger()
RETURNS trigger
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	cid bigint;
BEGIN
	FOR cid IN SELECT x.campaign_id FROM (SELECT oc.campaign_id FROM tiktrack.order_credits oc
										  UNION SELECT o.campaign_id FROM tiktrack.orders o) x
			   ORDER BY 1 LOOP
		PERFORM tiktrack.lock_credits(cid, NULL);
		PERFORM tiktrack.credit_orders(cid, NULL);
	END LOOP;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION tiktrack.truncate_credit_trigger() IS
	'Internal: after TRUNCATE of a table the stored credits depend on (orders, touches, promo_codes, conversions, attribution_settings), recomputes the credits of every campaign.';
REVOKE EXECUTE ON FUNCTION tiktrack.truncate_credit_trigger() FROM PUBLIC;

CREATE TRIGGER orders_credit_insert AFTER INSERT ON tiktrack.orders
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.orders_credit_trigger();
CREATE TRIGGER orders_credit_update AFTER UPDATE ON tiktrack.orders
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.orders_credit_trigger();
CREATE TRIGGER orders_credit_delete AFTER DELETE ON tiktrack.orders
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.orders_credit_trigger();
CREATE TRIGGER orders_credit_truncate AFTER TRUNCATE ON tiktrack.orders
	FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.truncate_credit_trigger();
CREATE TRIGGER touches_credit_insert AFTER INSERT ON tiktrack.touches
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.touches_credit_trigger();
CREATE TRIGGER touches_credit_update AFTER UPDATE ON tiktrack.touches
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.touches_credit_trigger();
CREATE TRIGGER touches_credit_delete AFTER DELETE ON tiktrack.touches
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.touches_credit_trigger();
CREATE TRIGGER touches_credit_truncate AFTER TRUNCATE ON tiktrack.touches
	FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.truncate_credit_trigger();
CREATE TRIGGER promo_codes_credit_insert AFTER INSERT ON tiktrack.promo_codes
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.promo_codes_credit_trigger();
CREATE TRIGGER promo_codes_credit_update AFTER UPDATE ON tiktrack.promo_codes
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.promo_codes_credit_trigger();
CREATE TRIGGER promo_codes_credit_delete AFTER DELETE ON tiktrack.promo_codes
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.promo_codes_credit_trigger();
CREATE TRIGGER promo_codes_credit_truncate AFTER TRUNCATE ON tiktrack.promo_codes
	FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.truncate_credit_trigger();
CREATE TRIGGER conversions_credit_insert AFTER INSERT ON tiktrack.conversions
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.conversions_credit_trigger();
CREATE TRIGGER conversions_credit_update AFTER UPDATE ON tiktrack.conversions
	REFERENCING OLD TABLE AS old_rows NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.conversions_credit_trigger();
CREATE TRIGGER conversions_credit_delete AFTER DELETE ON tiktrack.conversions
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.conversions_credit_trigger();
CREATE TRIGGER conversions_credit_truncate AFTER TRUNCATE ON tiktrack.conversions
	FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.truncate_credit_trigger();
CREATE TRIGGER attribution_settings_credit_insert AFTER INSERT ON tiktrack.attribution_settings
	FOR EACH ROW EXECUTE FUNCTION tiktrack.attribution_settings_credit_trigger();
CREATE TRIGGER attribution_settings_credit_update AFTER UPDATE ON tiktrack.attribution_settings
	FOR EACH ROW
	WHEN (OLD.campaign_id IS DISTINCT FROM NEW.campaign_id OR OLD.model IS DISTINCT FROM NEW.model
		  OR OLD.click_lookback IS DISTINCT FROM NEW.click_lookback
		  OR OLD.view_lookback IS DISTINCT FROM NEW.view_lookback
		  OR OLD.half_life IS DISTINCT FROM NEW.half_life)
	EXECUTE FUNCTION tiktrack.attribution_settings_credit_trigger();
CREATE TRIGGER attribution_settings_credit_delete AFTER DELETE ON tiktrack.attribution_settings
	FOR EACH ROW EXECUTE FUNCTION tiktrack.attribution_settings_credit_trigger();
CREATE TRIGGER attribution_settings_credit_truncate AFTER TRUNCATE ON tiktrack.attribution_settings
	FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.truncate_credit_trigger();

/*
 * Credited revenue per creator up to as_of, as attribution() gives it, from
 * the stored credits: the day sums before as_of's UTC day, that day's
 * orders up to as_of, and the direct conversions.  The creator_id NULL row
 * is the revenue of the attributed orders, each once (GMV).
 */
CREATE FUNCTION tiktrack.credited_revenue(campaign_id bigint, as_of timestamptz)
RETURNS TABLE (creator_id bigint, revenue_cents numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_day date := CASE WHEN credited_revenue.as_of IS NULL OR credited_revenue.as_of = 'infinity' THEN 'infinity'::date
					   ELSE (credited_revenue.as_of AT TIME ZONE 'UTC')::date END;
	v_from timestamptz := CASE WHEN credited_revenue.as_of IS NULL OR credited_revenue.as_of = 'infinity' THEN 'infinity'::timestamptz
							   ELSE v_day::timestamp AT TIME ZONE 'UTC' END;
BEGIN
	RETURN QUERY
	WITH x AS (
		SELECT d.creator_id, d.credited_cents AS credited, d.order_cents
		FROM tiktrack.order_credit_days d
		WHERE d.campaign_id = credited_revenue.campaign_id AND d.day < v_day
		UNION ALL
		SELECT oc.creator_id, (oc.weight * oc.revenue_cents)::numeric, oc.order_cents::numeric
		FROM tiktrack.order_credits oc
		WHERE oc.campaign_id = credited_revenue.campaign_id
		  AND oc.occurred_at >= v_from AND oc.occurred_at <= credited_revenue.as_of
		UNION ALL
		-- Direct conversions credit their creator (not part of the NULL row).
		SELECT cv.creator_id, cv.revenue_cents::numeric, 0
		FROM tiktrack.conversions cv
		WHERE cv.campaign_id = credited_revenue.campaign_id
		  AND (credited_revenue.as_of IS NULL OR cv.occurred_at <= credited_revenue.as_of)
	)
	SELECT x.creator_id, sum(x.credited) FROM x GROUP BY x.creator_id
	UNION ALL
	SELECT NULL, coalesce(sum(x.order_cents), 0) FROM x;
END
$$;
COMMENT ON FUNCTION tiktrack.credited_revenue(bigint, timestamptz) IS
	'Internal: revenue (minor units, numeric) credited to each creator of the campaign up to as_of (NULL: all) under its configured rules: their direct conversions and their credits of orders, from the stored credits (tiktrack.order_credits); equals tiktrack.attribution(campaign_id, NULL, as_of) revenue_cents but for the rounding of float8 sums. The row with NULL creator_id is the revenue of the attributed orders (conversions not included), each counted once.';
REVOKE EXECUTE ON FUNCTION tiktrack.credited_revenue(bigint, timestamptz) FROM PUBLIC;

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
