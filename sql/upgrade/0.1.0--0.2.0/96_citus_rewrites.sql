/*
 * Citus (issue 13): 0.1.0's functions rewritten so that Citus can plan
 * them on a distributed install, as they are in the install fragments
 * (20_tracking.sql, 40_campaigns.sql, 60_worker.sql).  After the other fragments, which
 * replace some of them too: this text is the final one.
 *   - track(): now() as a value in ON CONFLICT DO UPDATE; a short link is
 *     found under an advisory lock instead of ON CONFLICT (short_url)
 *   - record_conversion(), campaign_summary: no correlated subquery next
 *     to a reference table
 *   - campaign_metrics(): the as_of branches chosen in PL/pgSQL, the
 *     caption tags joined per post
 *   - the worker's postpone_videos(), release_failed_claims(),
 *     claim_due_creators(), reschedule_creators(): PL/pgSQL, not SQL
 *     (Citus plans no SQL function's parameterized query)
 */

CREATE OR REPLACE FUNCTION tiktrack.track(url text, track_for interval DEFAULT '7 days',
							   creator_handle text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	v_handle text;
	v_known text;
	v_creator bigint;
	v_id bigint;
	v_until timestamptz;
	-- now() as a value: on Citus one moment taken on the coordinator, not
	-- now() evaluated on the shards
	v_now timestamptz := now();
BEGIN
	IF url IS NULL THEN
		RAISE EXCEPTION 'url must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass a TikTok post link such as https://www.tiktok.com/@user/video/1234567890123456789.';
	END IF;
	IF track_for IS NULL OR track_for <= interval '0' THEN
		RAISE EXCEPTION 'track_for must be a positive interval, got "%"', track_for
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- (the coarse test first: now() + a huge interval is out of range)
	IF track_for > interval '3660 days' OR now() + track_for > now() + interval '10 years' THEN
		RAISE EXCEPTION 'track_for must be at most 10 years, got "%"', track_for
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Tracking the same post again extends it; a campaign''s posts are tracked until 30 days after it ends.';
	END IF;
	IF creator_handle IS NOT NULL THEN
		v_handle := tiktrack.normalize_handle(creator_handle);
		IF v_handle !~ '^[a-z0-9._]{1,64}$' THEN
			RAISE EXCEPTION 'invalid TikTok handle: "%"',
				CASE WHEN pg_catalog.length(creator_handle) > 100 THEN pg_catalog.left(creator_handle, 100) || '...' ELSE creator_handle END
				USING ERRCODE = 'invalid_parameter_value',
					  HINT = 'A handle is the username after the @, made of letters, digits, "_" and ".".';
		END IF;
	END IF;
	p := tiktrack.parse_url(url);
	v_until := now() + track_for;

	IF p.kind = 'profile' THEN
		RAISE EXCEPTION 'cannot track a profile URL: "%"', url
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Track each post by its video URL, e.g. https://www.tiktok.com/@' || p.handle || '/video/<id>.';
	END IF;

	IF p.kind = 'short' THEN
		-- The item id is learnt when the fetcher follows the redirect; until
		-- then the row carries a negative placeholder id.
		-- One row per short link.  Not ON CONFLICT (short_url): on Citus
		-- the link is not unique by constraint (a distributed table's
		-- unique keys include the video id), so concurrent calls for the
		-- same link are serialized here instead.
		PERFORM pg_catalog.pg_advisory_xact_lock(pg_catalog.hashtext('tiktrack.videos.short_url'),
												 pg_catalog.hashtext(p.canonical_url));
		UPDATE tiktrack.videos v
			SET track_until = greatest(v.track_until, v_until),
				state = CASE WHEN v.state = 'stopped' THEN 'resolving' ELSE v.state END
			WHERE v.short_url = p.canonical_url
			RETURNING v.id INTO v_id;
		IF v_id IS NULL THEN
			INSERT INTO tiktrack.videos AS v (id, short_url, state, track_until)
				VALUES (-nextval('tiktrack.pending_video_id_seq'), p.canonical_url, 'resolving', v_until)
				RETURNING v.id INTO v_id;
		END IF;
		-- (Re)schedules it now unless it is scheduled already or not active.
		INSERT INTO tiktrack.video_schedule AS s (video_id, next_fetch_at, creator_id)
			SELECT v.id, v_now, v.creator_id FROM tiktrack.videos v
			WHERE v.id = v_id AND v.state IN ('tracking', 'failing', 'awaiting_authorization', 'resolving')
			ON CONFLICT (video_id) DO UPDATE SET next_fetch_at = coalesce(s.next_fetch_at, excluded.next_fetch_at),
												 creator_id = excluded.creator_id;
		PERFORM tiktrack.wake_worker_on_commit();
		RETURN v_id;
	END IF;

	-- The creator: the URL's, else the one given (embed links name none),
	-- else the one the video is known under.  A post never changes hands.
	IF v_handle IS NOT NULL AND p.handle IS NOT NULL AND v_handle <> p.handle THEN
		RAISE EXCEPTION 'creator_handle "%" does not match the URL''s creator @%', creator_handle, p.handle
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	v_handle := coalesce(p.handle, v_handle);
	SELECT cr.handle INTO v_known
		FROM tiktrack.videos v JOIN tiktrack.creators cr ON cr.id = v.creator_id
		WHERE v.id = p.video_id;
	IF v_known <> v_handle THEN
		RAISE EXCEPTION 'video % is a post of @%, not of @%', p.video_id, v_known, v_handle
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Check the link or the handle: a post''s creator does not change.';
	END IF;
	v_handle := coalesce(v_handle, v_known);
	IF v_handle IS NULL THEN
		RAISE EXCEPTION 'the link "%" does not name the post''s creator', url
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = 'An embed link (/embed/ID, /v/ID.html) carries only the video id, and TikTok serves a video''s statistics only through its creator''s authorization.',
				  HINT = pg_catalog.format('Name the creator: tiktrack.track(%L, creator_handle => ''<handle>''), or track the post''s full link https://www.tiktok.com/@<handle>/video/%s.',
								url, p.video_id);
	END IF;
	v_creator := tiktrack.ensure_creator(v_handle);

	INSERT INTO tiktrack.videos AS v (id, creator_id, kind, url, state, track_until)
		VALUES (p.video_id, v_creator, p.kind,
				coalesce(p.canonical_url, pg_catalog.format('https://www.tiktok.com/@%s/%s/%s', v_handle, p.kind, p.video_id)),
				'tracking', v_until)
		ON CONFLICT (id) DO UPDATE
			SET track_until = greatest(v.track_until, excluded.track_until),
				creator_id = coalesce(v.creator_id, excluded.creator_id),
				url = coalesce(v.url, excluded.url),
				-- Tracking again revives a stopped or completed video; a
				-- video TikTok no longer serves stays unavailable.
				state = CASE WHEN v.state IN ('stopped', 'completed') THEN 'tracking' ELSE v.state END
		RETURNING v.id INTO v_id;
	-- (Re)schedules it now unless it is scheduled already or not active.
	INSERT INTO tiktrack.video_schedule AS s (video_id, next_fetch_at, creator_id)
		SELECT v.id, v_now, v.creator_id FROM tiktrack.videos v
		WHERE v.id = v_id AND v.state IN ('tracking', 'failing', 'awaiting_authorization', 'resolving')
		ON CONFLICT (video_id) DO UPDATE SET next_fetch_at = coalesce(s.next_fetch_at, excluded.next_fetch_at),
											 creator_id = excluded.creator_id;
	PERFORM tiktrack.wake_worker_on_commit();
	RETURN v_id;
END
$$;

CREATE OR REPLACE FUNCTION tiktrack.record_conversion(campaign_id bigint,
										   creator_handle text,
										   revenue_cents bigint,
										   occurred_at timestamptz DEFAULT now(),
										   order_id text DEFAULT NULL,
										   promo_code text DEFAULT NULL,
										   video_id bigint DEFAULT NULL,
										   utm_source text DEFAULT NULL,
										   utm_medium text DEFAULT NULL,
										   utm_campaign text DEFAULT NULL,
										   utm_content text DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c tiktrack.campaigns := tiktrack.campaign_or_error(record_conversion.campaign_id);
	v_handle text := tiktrack.normalize_handle(record_conversion.creator_handle);
	v_order text := pg_catalog.btrim(record_conversion.order_id, E' \t\n\r');
	v_creator bigint;
	v_id bigint;
	v_long record;
	v_old record;
BEGIN
	IF record_conversion.creator_handle IS NULL THEN
		RAISE EXCEPTION 'creator_handle must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Conversions are attributed to one of the campaign''s creators: pass their handle.';
	END IF;
	IF record_conversion.revenue_cents IS NULL OR record_conversion.revenue_cents < 0 THEN
		RAISE EXCEPTION 'revenue_cents must be zero or positive, got %',
			coalesce(record_conversion.revenue_cents::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF record_conversion.occurred_at IS NULL THEN
		RAISE EXCEPTION 'occurred_at must not be NULL'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT pg_catalog.isfinite(record_conversion.occurred_at) THEN
		RAISE EXCEPTION 'occurred_at must be a finite timestamp, got %', record_conversion.occurred_at
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF v_order = '' THEN
		RAISE EXCEPTION 'order_id must not be empty (pass NULL when there is none)'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	SELECT f.name, pg_catalog.length(f.value) AS len, f.max_len, pg_catalog.left(f.value, 40) AS head INTO v_long
		FROM (VALUES ('order_id', v_order, 200), ('promo_code', record_conversion.promo_code, 200),
					 ('utm_source', record_conversion.utm_source, 500),
					 ('utm_medium', record_conversion.utm_medium, 500),
					 ('utm_campaign', record_conversion.utm_campaign, 500),
					 ('utm_content', record_conversion.utm_content, 500)) f(name, value, max_len)
		WHERE pg_catalog.length(f.value) > f.max_len
		LIMIT 1;
	IF FOUND THEN
		RAISE EXCEPTION '% is too long (% characters, at most %): "%..."', v_long.name, v_long.len, v_long.max_len, v_long.head
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	-- (two uncorrelated lookups: Citus plans no correlated subquery next to
	-- a reference table such as creators; and SELECT 1, as Citus plans no
	-- EXISTS over a distributed table with an empty target list)
	SELECT cr.id INTO v_creator
		FROM tiktrack.creators cr
		WHERE cr.handle = v_handle;
	IF v_creator IS NULL
	   OR NOT EXISTS (SELECT 1 FROM tiktrack.campaign_posts cp
					  WHERE cp.campaign_id = c.id AND cp.creator_id = v_creator) THEN
		RAISE EXCEPTION 'creator "%" has no post in campaign %',
			CASE WHEN pg_catalog.length(record_conversion.creator_handle) > 100
				 THEN pg_catalog.left(record_conversion.creator_handle, 100) || '...'
				 ELSE record_conversion.creator_handle END, c.id
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Conversions are attributed to the campaign''s creators; add their posts with tiktrack.add_posts() first.';
	END IF;
	IF record_conversion.video_id IS NOT NULL
	   AND NOT EXISTS (SELECT 1 FROM tiktrack.campaign_posts cp
					   WHERE cp.campaign_id = c.id AND cp.creator_id = v_creator
						 AND cp.video_id = record_conversion.video_id) THEN
		RAISE EXCEPTION 'video % is not a post of creator "%" in campaign %', record_conversion.video_id, v_handle, c.id
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'See tiktrack.campaign_posts(campaign_id) for the campaign''s posts.';
	END IF;

	INSERT INTO tiktrack.conversions AS cv
		(campaign_id, creator_id, video_id, revenue_cents, occurred_at, order_id, promo_code,
		 utm_source, utm_medium, utm_campaign, utm_content)
		VALUES (c.id, v_creator, record_conversion.video_id, record_conversion.revenue_cents,
				record_conversion.occurred_at, v_order, record_conversion.promo_code,
				record_conversion.utm_source, record_conversion.utm_medium,
				record_conversion.utm_campaign, record_conversion.utm_content)
		ON CONFLICT ON CONSTRAINT conversions_order_key DO NOTHING
		RETURNING cv.id INTO v_id;
	IF v_id IS NULL THEN
		-- The order was recorded before: the same sale again counts once
		-- and changes nothing; a different one under its id is an error.
		SELECT cv.id, cv.revenue_cents, cv.video_id, cr.handle INTO STRICT v_old
			FROM tiktrack.conversions cv JOIN tiktrack.creators cr ON cr.id = cv.creator_id
			WHERE cv.campaign_id = c.id AND cv.order_id = v_order;
		IF v_old.handle <> v_handle OR v_old.revenue_cents <> record_conversion.revenue_cents
		   OR v_old.video_id IS DISTINCT FROM record_conversion.video_id THEN
			RAISE EXCEPTION 'order "%" of campaign % was recorded before with other data', v_order, c.id
				USING ERRCODE = 'unique_violation',
					  DETAIL = pg_catalog.format('Conversion %s: creator @%s, revenue_cents %s, video_id %s; now: creator @%s, revenue_cents %s, video_id %s.',
								v_old.id, v_old.handle, v_old.revenue_cents, coalesce(v_old.video_id::text, 'NULL'),
								v_handle, record_conversion.revenue_cents, coalesce(record_conversion.video_id::text, 'NULL')),
					  HINT = 'An order counts once per campaign. Correct it in tiktrack.conversions, or record a different order_id.';
		END IF;
		v_id := v_old.id;
	END IF;
	RETURN v_id;
END
$$;

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
	-- Only one branch runs: the as_of test is made once per call, not per
	-- post (a test inside the query, a pseudoconstant next to the outer
	-- join, is what Citus cannot push down on PostgreSQL 15).  The rest
	-- of the query is the same in both.
	IF campaign_metrics.as_of IS NULL THEN
		RETURN QUERY
		WITH snap AS (
			-- Each post with the snapshot it counts with: the row the trigger
			-- keeps in latest_snapshots, or with as_of the latest at or before
			-- it (one backward step of the primary key per post).
			-- (Trying latest_snapshots first when it is not after as_of measured
			-- slower: most posts of a past day have later snapshots, so it adds
			-- a lookup to nearly every post.)
			--
			-- Here and for the caption tags, OFFSET 0 keeps the lookups per
			-- post (index probes, ~1 us each, the cost grows with the
			-- campaign): otherwise the planner, pricing every probe as a disk
			-- read, hashes the whole latest_snapshots and videos tables on
			-- each call, a cost that grows with everything tracked (1.4x the
			-- time with 10,000 videos, test/bench/campaign_metrics.sh).  Every
			-- lookup is correlated with campaign_posts itself, not with this
			-- CTE: Citus pushes such a lateral subquery down to the shards
			-- (all three tables are colocated by video), not one over a CTE.
			SELECT cp.video_id, CASE WHEN cp.creator_id = ANY (v_termed) THEN 0 ELSE cp.fee_cents END,
				   l.captured_at, l.views, l.likes, l.comments,
				   l.shares, l.saves, l.completion_rate, v.hashtags, v.mentions
			FROM tiktrack.campaign_posts cp
			CROSS JOIN LATERAL (
				SELECT v.hashtags, v.mentions FROM tiktrack.videos v
				WHERE v.id = cp.video_id
				OFFSET 0) v
			LEFT JOIN LATERAL (
				SELECT l.captured_at, l.views, l.likes, l.comments, l.shares, l.saves, l.completion_rate
				FROM tiktrack.latest_snapshots l
				WHERE l.video_id = cp.video_id
				OFFSET 0) l ON true
			WHERE cp.campaign_id = c.id
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
				   s.hashtags, s.mentions
			FROM snap s
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
	ELSE
		RETURN QUERY
		WITH snap AS (
			SELECT cp.video_id, CASE WHEN cp.creator_id = ANY (v_termed) THEN 0 ELSE cp.fee_cents END,
				   h.captured_at, h.views, h.likes, h.comments,
				   h.shares, h.saves, h.completion_rate, v.hashtags, v.mentions
			FROM tiktrack.campaign_posts cp
			CROSS JOIN LATERAL (
				SELECT v.hashtags, v.mentions FROM tiktrack.videos v
				WHERE v.id = cp.video_id
				OFFSET 0) v
			LEFT JOIN LATERAL (
				SELECT h.captured_at, h.views, h.likes, h.comments, h.shares, h.saves, h.completion_rate
				FROM tiktrack.snapshots h
				WHERE h.video_id = cp.video_id AND h.captured_at <= campaign_metrics.as_of
				ORDER BY h.captured_at DESC
				LIMIT 1) h ON true
			WHERE cp.campaign_id = c.id
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
				   s.hashtags, s.mentions
			FROM snap s
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
	END IF;
END
$$;

CREATE OR REPLACE VIEW tiktrack.campaign_summary AS
SELECT c.id AS campaign_id,
	   c.name,
	   c.currency,
	   c.archived,
	   c.starts_at,
	   c.ends_at,
	   c.budget_cents,
	   coalesce(k.creators, 0) AS creators,
	   m.posts_published + m.posts_pending AS posts,
	   m.posts_published,
	   m.posts_pending,
	   m.spend_cents,
	   m.agency_fee_cents,
	   m.creator_fee_cents,
	   m.gmv_cents,
	   m.roi,
	   m.roas,
	   m.cpm_cents,
	   m.cpv_cents,
	   m.cpe_cents,
	   m.total_views,
	   m.total_likes,
	   m.total_comments,
	   m.total_shares,
	   m.total_saves,
	   m.total_engagement,
	   m.engagement_rate,
	   m.completion_weighted_views,
	   c.created_at,
	   cur.minor_units AS currency_minor_units	-- 0.2.0
-- joins, not correlated subqueries: Citus plans none next to a reference
-- table such as campaigns
FROM tiktrack.campaigns c
JOIN tiktrack.currencies cur ON cur.code = c.currency
LEFT JOIN (SELECT cp.campaign_id, count(DISTINCT cp.creator_id) AS creators
		   FROM tiktrack.campaign_posts cp
		   GROUP BY cp.campaign_id) k ON k.campaign_id = c.id
CROSS JOIN LATERAL tiktrack.campaign_metrics(c.id) m;

CREATE OR REPLACE FUNCTION tiktrack.postpone_videos(ids bigint[], due_at timestamptz[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	-- PL/pgSQL, not SQL: Citus plans no SQL function's parameterized query
	-- over a distributed table
	UPDATE tiktrack.video_schedule s
		SET next_fetch_at = u.due_at
		FROM ROWS FROM (pg_catalog.unnest(postpone_videos.ids), pg_catalog.unnest(postpone_videos.due_at))
			AS u(id, due_at)
		WHERE s.video_id = u.id AND s.next_fetch_at IS NOT NULL
		  AND s.video_id = ANY (postpone_videos.ids);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION tiktrack.release_failed_claims(video_ids bigint[], retry_after interval,
											   error text, failing_after integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- one moment for both tables (on Citus: taken on the coordinator)
	v_now timestamptz := pg_catalog.now();
	n bigint;
BEGIN
	-- PL/pgSQL, two statements: Citus plans no SQL function's
	-- parameterized query over distributed tables
	UPDATE tiktrack.video_schedule s
		SET next_fetch_at = v_now + release_failed_claims.retry_after
		WHERE s.video_id = ANY (release_failed_claims.video_ids) AND s.next_fetch_at IS NOT NULL;
	UPDATE tiktrack.videos v
		SET fetch_failures = v.fetch_failures + 1,
			-- a failure is a failure on this path too
			state = CASE WHEN v.state = 'tracking'
							  AND v.fetch_failures + 1 >= release_failed_claims.failing_after
						 THEN 'failing' ELSE v.state END,
			last_error = release_failed_claims.error,
			last_error_at = v_now
		WHERE v.id = ANY (release_failed_claims.video_ids);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;

CREATE OR REPLACE FUNCTION tiktrack.claim_due_creators(max_creators integer, refresh_ahead_s integer)
RETURNS TABLE (creator_id bigint, api text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_now timestamptz := now();
BEGIN
	-- PL/pgSQL, not SQL: Citus plans no SQL function's parameterized query
	RETURN QUERY
	WITH due AS (
		SELECT c.id
		FROM tiktrack.creators c
		WHERE c.auth_status = 'authorized' AND c.authorized_via IS NOT NULL
		  AND (c.stats_next_fetch_at IS NULL OR c.stats_next_fetch_at <= v_now
			   -- the access token expires soon: refresh it now (at most
			   -- every 5 minutes per creator, whatever the outcome)
			   OR (c.updated_at < v_now - interval '5 minutes'
				   AND EXISTS (SELECT 1 FROM tiktrack.creator_tokens t
							   WHERE t.creator_id = c.id
								 AND t.access_expires_at <= v_now + make_interval(secs => refresh_ahead_s))))
		ORDER BY c.stats_next_fetch_at NULLS FIRST
		LIMIT max_creators
		FOR UPDATE SKIP LOCKED
	)
	UPDATE tiktrack.creators c
		SET stats_next_fetch_at = v_now + interval '10 minutes'
		FROM due
		WHERE c.id = due.id
		RETURNING c.id, c.authorized_via;
END
$$;

CREATE OR REPLACE FUNCTION tiktrack.reschedule_creators(ids bigint[], next_at timestamptz[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	-- PL/pgSQL, not SQL: Citus plans no SQL function's parameterized query
	UPDATE tiktrack.creators c
		SET stats_next_fetch_at = u.next_at
		FROM unnest(reschedule_creators.ids, reschedule_creators.next_at) AS u(id, next_at)
		WHERE c.id = u.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
