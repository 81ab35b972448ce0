/*
 * Campaigns from SQL: creating a campaign, attaching posts with partial
 * success, recording conversions, and the KPIs a brand looks at (spend, GMV,
 * ROI, ROAS, CPM, CPV, engagement, completion-weighted views, top hashtags),
 * now or as of a past moment, per campaign, per post and per creator.
 *
 * Definitions (see also doc/metrics.md and each object's COMMENT):
 *   spend       = creator fees of all the campaign's posts + agency fee,
 *                 in minor units of the campaign currency ("cents").
 *   engagement  = likes + comments + shares + saves, a counter the API did
 *                 not report (NULL, e.g. saves from the Display API)
 *                 counting 0.
 *   rates       = ratios of sums (total engagement / total views), never
 *                 means of per-post rates; NULL when the denominator is 0.
 *   a post's figures are those of its latest snapshot, or of its latest
 *   snapshot at or before as_of.  The latest one comes from
 *   tiktrack.latest_snapshots (kept up to date on write), a past one from
 *   one backward step of the snapshots primary key: never a post's history.
 */

-- Lower case, without leading @, trimmed; NULL stays NULL.
CREATE FUNCTION tiktrack.normalize_handle(handle text)
RETURNS text
LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT lower(ltrim(btrim(handle), '@'))
$$;
COMMENT ON FUNCTION tiktrack.normalize_handle(text) IS
	'A TikTok handle as tiktrack stores it (as tiktrack.ensure_creator does): trimmed, without leading @, lower case (the result may still be invalid; see tiktrack.creators.handle).';

-- The campaign row, or an ERROR naming the id.
CREATE FUNCTION tiktrack.campaign_or_error(campaign_id bigint)
RETURNS tiktrack.campaigns
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c tiktrack.campaigns;
BEGIN
	SELECT * INTO c FROM tiktrack.campaigns k WHERE k.id = campaign_or_error.campaign_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'campaign % does not exist', coalesce(campaign_id::text, 'NULL')
			USING ERRCODE = 'no_data_found',
				  HINT = 'See tiktrack.campaigns for the campaigns; tiktrack.create_campaign() creates one.';
	END IF;
	RETURN c;
END
$$;
COMMENT ON FUNCTION tiktrack.campaign_or_error(bigint) IS
	'Returns the campaign with this id; raises no_data_found naming the id when there is none.';

CREATE FUNCTION tiktrack.create_campaign(name text,
										 currency text DEFAULT 'USD',
										 agency_fee_cents bigint DEFAULT 0,
										 budget_cents bigint DEFAULT NULL,
										 starts_at timestamptz DEFAULT NULL,
										 ends_at timestamptz DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_name text := btrim(create_campaign.name);
	v_currency text := upper(btrim(create_campaign.currency));
	v_id bigint;
BEGIN
	IF create_campaign.name IS NULL THEN
		RAISE EXCEPTION 'campaign name must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF v_name = '' THEN
		RAISE EXCEPTION 'campaign name must not be empty'
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF pg_catalog.length(v_name) > 200 THEN
		RAISE EXCEPTION 'campaign name is too long (% characters, at most 200): "%..."',
			pg_catalog.length(v_name), pg_catalog.left(v_name, 40)
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF v_name ~ '[[:cntrl:]]' THEN
		RAISE EXCEPTION 'campaign name must not contain control characters (tabs, line breaks...)'
			USING ERRCODE = 'invalid_parameter_value',
				  DETAIL = pg_catalog.format('The name "%s" has U+%s (shown as ?) at position %s.',
							pg_catalog.regexp_replace(pg_catalog.left(v_name, 40), '[[:cntrl:]]', '?', 'g'),
							pg_catalog.lpad(pg_catalog.upper(pg_catalog.to_hex(pg_catalog.ascii(pg_catalog.substring(v_name, '[[:cntrl:]]')))), 4, '0'),
							pg_catalog.strpos(v_name, pg_catalog.substring(v_name, '[[:cntrl:]]')));
	END IF;
	IF create_campaign.currency IS NULL THEN
		RAISE EXCEPTION 'currency must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Use an ISO 4217 code listed in tiktrack.currencies, e.g. USD or EUR.';
	END IF;
	IF v_currency IS NULL OR NOT EXISTS (SELECT FROM tiktrack.currencies cur WHERE cur.code = v_currency) THEN
		RAISE EXCEPTION 'unknown currency "%"', coalesce(create_campaign.currency, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Use an ISO 4217 code listed in tiktrack.currencies, e.g. USD or EUR.';
	END IF;
	IF create_campaign.agency_fee_cents IS NULL OR create_campaign.agency_fee_cents < 0 THEN
		RAISE EXCEPTION 'agency_fee_cents must be zero or positive, got %',
			coalesce(create_campaign.agency_fee_cents::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF create_campaign.budget_cents < 0 THEN
		RAISE EXCEPTION 'budget_cents must be zero or positive, got %', create_campaign.budget_cents
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF NOT pg_catalog.isfinite(create_campaign.starts_at) OR NOT pg_catalog.isfinite(create_campaign.ends_at) THEN
		RAISE EXCEPTION 'campaign dates must be finite, got starts_at % and ends_at %',
			coalesce(create_campaign.starts_at::text, 'NULL'), coalesce(create_campaign.ends_at::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Leave a date NULL for a campaign without a start or an end.';
	END IF;
	IF create_campaign.ends_at < create_campaign.starts_at THEN
		RAISE EXCEPTION 'campaign ends (%) before it starts (%)', create_campaign.ends_at, create_campaign.starts_at
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	BEGIN
		INSERT INTO tiktrack.campaigns AS k (name, currency, agency_fee_cents, budget_cents, starts_at, ends_at)
			VALUES (v_name, v_currency, create_campaign.agency_fee_cents, create_campaign.budget_cents,
					create_campaign.starts_at, create_campaign.ends_at)
			RETURNING k.id INTO v_id;
	EXCEPTION
		WHEN unique_violation THEN
			RAISE EXCEPTION 'a campaign named "%" already exists', v_name
				USING ERRCODE = 'unique_violation',
					  HINT = 'Campaign names are unique; pick another name or use the existing campaign.';
	END;
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION tiktrack.create_campaign(text, text, bigint, bigint, timestamptz, timestamptz) IS
	'Creates a campaign and returns its id. The name is trimmed, at most 200 characters, without control characters. currency is an ISO 4217 code from tiktrack.currencies (any case, stored upper case); amounts are in minor units of that currency (cents; yen for JPY). Dates are NULL (open) or finite. Errors: NULL, empty, too long or duplicate name, NULL or unknown currency, negative agency fee or budget, infinite dates, ends_at before starts_at.';

/*
 * One element of add_posts(): validates it without side effects and returns
 * the reason to reject it, or NULL together with the parsed pieces.
 */
CREATE FUNCTION tiktrack.add_posts_check(elem jsonb,
										 OUT reason text, OUT url text, OUT handle text,
										 OUT fee_cents bigint, OUT parsed_kind text,
										 OUT parsed_video_id bigint, OUT parsed_url text)
RETURNS record
-- PARALLEL UNSAFE: its EXCEPTION block is a subtransaction, which parallel
-- mode forbids.
LANGUAGE plpgsql STABLE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_unknown text;
	v_fee numeric;
	p record;
BEGIN
	IF jsonb_typeof(elem) IS DISTINCT FROM 'object' THEN
		reason := 'element is not a JSON object';
		RETURN;
	END IF;
	SELECT string_agg(k, ', ' ORDER BY k) INTO v_unknown
		FROM jsonb_object_keys(elem) k
		WHERE k NOT IN ('url', 'creator_handle', 'fee_cents');
	IF v_unknown IS NOT NULL THEN
		reason := 'unknown field: ' || v_unknown;
		RETURN;
	END IF;

	IF jsonb_typeof(elem -> 'url') IS DISTINCT FROM 'string' OR btrim(elem ->> 'url') = '' THEN
		reason := 'missing url';
		RETURN;
	END IF;
	url := btrim(elem ->> 'url');
	IF jsonb_typeof(elem -> 'creator_handle') IS DISTINCT FROM 'string' OR btrim(elem ->> 'creator_handle') = '' THEN
		reason := 'missing creator_handle';
		RETURN;
	END IF;
	handle := tiktrack.normalize_handle(elem ->> 'creator_handle');
	IF handle !~ '^[a-z0-9._]{1,64}$' THEN
		reason := 'invalid creator_handle';
		RETURN;
	END IF;

	IF jsonb_typeof(elem -> 'fee_cents') IN ('null') OR NOT elem ? 'fee_cents' THEN
		fee_cents := 0;
	ELSIF jsonb_typeof(elem -> 'fee_cents') <> 'number' THEN
		reason := 'fee_cents is not a number';
		RETURN;
	ELSE
		v_fee := (elem ->> 'fee_cents')::numeric;
		IF v_fee <> trunc(v_fee) OR v_fee > 9223372036854775807 OR v_fee < -9223372036854775808 THEN
			reason := 'fee_cents is not a whole number of minor units';
			RETURN;
		END IF;
		IF v_fee < 0 THEN
			reason := 'negative fee_cents';
			RETURN;
		END IF;
		fee_cents := v_fee;
	END IF;

	BEGIN
		p := tiktrack.parse_url(url);
	EXCEPTION
		WHEN data_exception THEN
			reason := 'malformed URL: ' || SQLERRM;
			RETURN;
	END;
	IF p.kind = 'profile' THEN
		reason := 'profile URL, not a post';
		RETURN;
	END IF;
	IF p.handle IS NOT NULL AND p.handle <> handle THEN
		reason := format('creator_handle does not match the URL''s creator @%s', p.handle);
		RETURN;
	END IF;
	parsed_kind := p.kind;
	parsed_video_id := p.video_id;
	parsed_url := p.canonical_url;
END
$$;
COMMENT ON FUNCTION tiktrack.add_posts_check(jsonb) IS
	'Validates one element of tiktrack.add_posts() without side effects: reason is NULL when it can be added, else why not.';

CREATE FUNCTION tiktrack.add_posts(campaign_id bigint, posts jsonb)
RETURNS TABLE (url text, creator_handle text, status text, video_id bigint, reason text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c tiktrack.campaigns := tiktrack.campaign_or_error(add_posts.campaign_id);
	v_track_for interval;
	e record;
	chk record;
	v_video bigint;
	v_creator bigint;
	v_owner text;
	v_added bigint := 0;
BEGIN
	IF jsonb_typeof(posts) IS DISTINCT FROM 'array' THEN
		RAISE EXCEPTION 'posts must be a JSON array of {"url", "creator_handle", "fee_cents"} objects, got %',
			coalesce(jsonb_typeof(posts), 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- Track until 30 days after the campaign ends (late views still count),
	-- and never for less than tracking's usual 7 days from now.
	-- At most the 10 years tiktrack.track() accepts (a later call extends).
	v_track_for := least(greatest(interval '7 days', c.ends_at + interval '30 days' - now()),
						 interval '10 years');

	FOR e IN SELECT a.elem, a.n FROM jsonb_array_elements(posts) WITH ORDINALITY AS a(elem, n) ORDER BY a.n
	LOOP
		url := CASE jsonb_typeof(e.elem -> 'url') WHEN 'string' THEN e.elem ->> 'url' END;
		creator_handle := CASE jsonb_typeof(e.elem -> 'creator_handle') WHEN 'string' THEN e.elem ->> 'creator_handle' END;
		video_id := NULL;
		chk := tiktrack.add_posts_check(e.elem);
		reason := chk.reason;

		-- A post already in the campaign, found without touching anything.
		IF reason IS NULL THEN
			SELECT cp.video_id INTO v_video
				FROM tiktrack.campaign_posts cp JOIN tiktrack.videos v ON v.id = cp.video_id
				WHERE cp.campaign_id = c.id
				  AND (v.id = chk.parsed_video_id OR v.short_url = chk.parsed_url);
			IF FOUND THEN
				reason := 'duplicate: the post is already in this campaign';
				video_id := v_video;
			END IF;
		END IF;

		IF reason IS NULL THEN
			-- One subtransaction per element: a failure undoes this element's
			-- creator, video and link, and nothing else.
			BEGIN
				v_video := tiktrack.track(chk.url, v_track_for, creator_handle => chk.handle);
				v_creator := tiktrack.ensure_creator(chk.handle);
				SELECT cr.handle INTO v_owner
					FROM tiktrack.videos v JOIN tiktrack.creators cr ON cr.id = v.creator_id
					WHERE v.id = v_video;
				IF v_owner IS NOT NULL AND v_owner <> chk.handle THEN
					RAISE EXCEPTION 'creator_handle does not match the post''s creator @%', v_owner
						USING ERRCODE = 'invalid_parameter_value';
				END IF;
				INSERT INTO tiktrack.campaign_posts AS cp (campaign_id, video_id, creator_id, fee_cents)
					VALUES (c.id, v_video, v_creator, chk.fee_cents)
					ON CONFLICT ON CONSTRAINT campaign_posts_pkey DO NOTHING;
				IF NOT FOUND THEN
					RAISE EXCEPTION 'duplicate: the post is already in this campaign'
						USING ERRCODE = 'unique_violation';
				END IF;
				video_id := v_video;
				v_added := v_added + 1;
			EXCEPTION
				WHEN data_exception OR integrity_constraint_violation THEN
					reason := SQLERRM;
			END;
		END IF;

		status := CASE WHEN reason IS NULL THEN 'added' ELSE 'rejected' END;
		RETURN NEXT;
	END LOOP;
	IF v_added > 0 THEN
		UPDATE tiktrack.campaigns k SET updated_at = now() WHERE k.id = c.id;
	END IF;
END
$$;
COMMENT ON FUNCTION tiktrack.add_posts(bigint, jsonb) IS
	'Adds posts to a campaign from a JSON array of {"url", "creator_handle", "fee_cents"} (fee in minor units, default 0) and returns one row per element, in order: status added (video_id set) or rejected (reason set; video_id names the existing post for a duplicate). Partial success: a malformed or profile URL, a missing, invalid or mismatched creator_handle, a negative or fractional fee, an unknown field, or a post already in the campaign rejects that element only. Handles are accepted with @ and in any case; a short link is accepted with the given handle as the post''s creator. An embed link (/embed/ID, /v/ID.html) takes the given handle as the video''s creator. Added posts are tracked until 30 days after the campaign''s ends_at, at least 7 days and at most 10 years from now. An unknown campaign id is an ERROR.';

CREATE FUNCTION tiktrack.record_conversion(campaign_id bigint,
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

	SELECT cr.id INTO v_creator
		FROM tiktrack.creators cr
		WHERE cr.handle = v_handle
		  AND EXISTS (SELECT FROM tiktrack.campaign_posts cp
					  WHERE cp.campaign_id = c.id AND cp.creator_id = cr.id);
	IF NOT FOUND THEN
		RAISE EXCEPTION 'creator "%" has no post in campaign %',
			CASE WHEN pg_catalog.length(record_conversion.creator_handle) > 100
				 THEN pg_catalog.left(record_conversion.creator_handle, 100) || '...'
				 ELSE record_conversion.creator_handle END, c.id
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Conversions are attributed to the campaign''s creators; add their posts with tiktrack.add_posts() first.';
	END IF;
	IF record_conversion.video_id IS NOT NULL
	   AND NOT EXISTS (SELECT FROM tiktrack.campaign_posts cp
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
COMMENT ON FUNCTION tiktrack.record_conversion(bigint, text, bigint, timestamptz, text, text, bigint, text, text, text, text) IS
	'Records a sale (revenue in minor units of the campaign currency) attributed to a creator who has a post in the campaign, optionally to one of their posts (video_id), and returns the conversion id. order_id is trimmed of blanks, tabs and line breaks (blank is an error; at most 200 characters, as promo_code; utm values at most 500); recording the same order_id again with the same creator, revenue and video returns the existing id and changes nothing, so it counts once, and with a different one is error 23505. occurred_at must be finite.';

/*
 * KPIs.
 */

CREATE FUNCTION tiktrack.campaign_metrics(campaign_id bigint, as_of timestamptz DEFAULT NULL)
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

CREATE VIEW tiktrack.video_latest_stats AS
SELECT v.id AS video_id,
	   v.creator_id,
	   cr.handle AS creator_handle,
	   v.kind,
	   coalesce(v.url, v.short_url) AS url,
	   v.caption,
	   v.hashtags,
	   v.mentions,
	   v.posted_at,
	   v.state,
	   l.captured_at,
	   l.views,
	   l.likes,
	   l.comments,
	   l.shares,
	   l.saves,
	   l.reach,
	   l.completion_rate,
	   l.avg_watch_time_s,
	   -- numeric: four counters of up to 2^63-1 each may pass bigint
	   CASE WHEN l.video_id IS NOT NULL
			THEN coalesce(l.likes, 0)::numeric + coalesce(l.comments, 0) + coalesce(l.shares, 0) + coalesce(l.saves, 0)
	   END AS engagement,
	   (coalesce(l.likes, 0)::numeric + coalesce(l.comments, 0) + coalesce(l.shares, 0) + coalesce(l.saves, 0))::float8
		   / nullif(l.views, 0) AS engagement_rate,
	   l.snapshot_count,
	   l.source,
	   -- 0.2.0 (sql/install/80_bi.sql comments every column)
	   v.last_error,
	   v.last_error_at,
	   vs.next_fetch_at
FROM tiktrack.videos v
LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id
LEFT JOIN tiktrack.latest_snapshots l ON l.video_id = v.id
LEFT JOIN tiktrack.video_schedule vs ON vs.video_id = v.id;
COMMENT ON VIEW tiktrack.video_latest_stats IS
	'Every tracked video with its creator, caption, tracking state and the counters of its latest snapshot (NULL before the first one). engagement = likes + comments + shares + saves (unreported counters count 0); engagement_rate = engagement / views.';
COMMENT ON COLUMN tiktrack.video_latest_stats.url IS 'Canonical URL, or the short link while it is not resolved.';
COMMENT ON COLUMN tiktrack.video_latest_stats.captured_at IS 'When the latest snapshot was taken; NULL before the first one.';
COMMENT ON COLUMN tiktrack.video_latest_stats.engagement IS 'likes + comments + shares + saves of the latest snapshot, a counter the API did not report counting 0 (numeric, exact beyond bigint).';
COMMENT ON COLUMN tiktrack.video_latest_stats.engagement_rate IS 'engagement / views; NULL when views is 0 or unknown.';

CREATE VIEW tiktrack.campaign_post_stats AS
SELECT cp.campaign_id,
	   cp.video_id,
	   cp.creator_id,
	   cr.handle AS creator_handle,
	   s.url,
	   s.caption,
	   s.posted_at,
	   cp.fee_cents,
	   s.views,
	   s.likes,
	   s.comments,
	   s.shares,
	   s.saves,
	   s.engagement,
	   s.engagement_rate,
	   s.completion_rate,
	   cp.fee_cents::float8 * 1000 / nullif(s.views, 0) AS cpm_cents,
	   s.captured_at,
	   CASE WHEN s.captured_at IS NULL THEN 'pending' ELSE 'published' END AS status,
	   s.state AS tracking_state,
	   cp.added_at,
	   -- 0.2.0: why a post is pending, money units, a picture of its growth
	   s.last_error,
	   CASE WHEN s.captured_at IS NULL THEN
		   CASE s.state
			   WHEN 'tracking' THEN coalesce('the first fetch failed and is retried: ' || s.last_error,
											 'the first fetch is not done yet')
			   WHEN 'resolving' THEN 'the short link is not resolved yet' || coalesce(': ' || s.last_error, '')
			   WHEN 'awaiting_authorization' THEN 'the creator has not authorized tiktrack' || coalesce(': ' || s.last_error, '')
			   WHEN 'failing' THEN 'fetches keep failing: ' || coalesce(s.last_error, 'no error recorded')
			   WHEN 'unavailable' THEN 'TikTok does not serve the video (deleted or private)' || coalesce(': ' || s.last_error, '')
			   WHEN 'stopped' THEN 'tracking was stopped before the first snapshot'
			   WHEN 'completed' THEN 'tracking ended before the first snapshot'
		   END
	   END AS pending_reason,
	   k.currency,
	   cur.minor_units AS currency_minor_units,
	   tiktrack.sparkline(ARRAY(SELECT h.views::float8
								FROM (SELECT h.views, h.captured_at FROM tiktrack.snapshots h
									  WHERE h.video_id = cp.video_id
									  ORDER BY h.captured_at DESC LIMIT 20) h
								ORDER BY h.captured_at)) AS views_trend
FROM tiktrack.campaign_posts cp
JOIN tiktrack.campaigns k ON k.id = cp.campaign_id
JOIN tiktrack.currencies cur ON cur.code = k.currency
JOIN tiktrack.creators cr ON cr.id = cp.creator_id
JOIN tiktrack.video_latest_stats s ON s.video_id = cp.video_id;
COMMENT ON VIEW tiktrack.campaign_post_stats IS
	'Every campaign post merged with its latest stats: creator (as given to add_posts), URL, fee (minor units of the campaign currency), counters, engagement and engagement_rate as in video_latest_stats, completion_rate, cpm_cents = fee / views * 1000 (the post''s own fee, no agency fee), captured_at of the latest snapshot, status pending (no snapshot yet) or published, and the video''s tracking_state.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.status IS 'pending until the post''s first snapshot, then published.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.cpm_cents IS 'fee_cents / views * 1000, unrounded; NULL while views is 0 or unknown.';
COMMENT ON COLUMN tiktrack.campaign_post_stats.tracking_state IS 'tiktrack.videos.state: tracking, completed, stopped, unavailable, failing, awaiting_authorization or resolving.';

CREATE VIEW tiktrack.campaign_creator_stats AS
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
	   g.roi,
	   g.roas,
	   g.cpm_cents,
	   k.currency,							-- 0.2.0
	   cur.minor_units AS currency_minor_units
FROM (SELECT x.campaign_id,
			 x.creator_id,
			 count(*) FILTER (WHERE x.is_post) AS posts,
			 count(x.captured_at) AS posts_published,
			 sum(x.cost_cents) AS creator_fee_cents,
			 sum(x.revenue_cents) AS gmv_cents,
			 count(*) FILTER (WHERE NOT x.is_post) AS conversions,
			 sum(x.views) AS views,
			 sum(x.likes) + sum(x.comments) + sum(x.shares) + sum(x.saves) AS engagement,
			 tiktrack.engagement_rate(x.views, x.likes, x.comments, x.shares, x.saves) AS engagement_rate,
			 tiktrack.roi(x.revenue_cents, x.cost_cents) AS roi,
			 tiktrack.roas(x.revenue_cents, x.cost_cents) AS roas,
			 tiktrack.cpm(x.cost_cents, x.views) AS cpm_cents
	  -- The creator's posts (fee, latest counters) and sales, a row each.
	  FROM (SELECT cp.campaign_id, cp.creator_id, true AS is_post,
				   cp.fee_cents AS cost_cents, 0::bigint AS revenue_cents,
				   coalesce(l.views, 0) AS views, coalesce(l.likes, 0) AS likes,
				   coalesce(l.comments, 0) AS comments, coalesce(l.shares, 0) AS shares,
				   coalesce(l.saves, 0) AS saves, l.captured_at
			FROM tiktrack.campaign_posts cp
			LEFT JOIN tiktrack.latest_snapshots l ON l.video_id = cp.video_id
			UNION ALL
			SELECT cv.campaign_id, cv.creator_id, false, 0, cv.revenue_cents, 0, 0, 0, 0, 0, NULL
			FROM tiktrack.conversions cv) x
	  GROUP BY x.campaign_id, x.creator_id) g
JOIN tiktrack.creators cr ON cr.id = g.creator_id
JOIN tiktrack.campaigns k ON k.id = g.campaign_id
JOIN tiktrack.currencies cur ON cur.code = k.currency;
COMMENT ON VIEW tiktrack.campaign_creator_stats IS
	'Per campaign and creator (every creator with a post or a conversion in the campaign): posts (and how many have a snapshot), creator fees, GMV and number of conversions attributed to the creator, views and engagement summed over the posts'' latest snapshots, engagement_rate = engagement / views (ratio of sums), roi = (gmv - creator fees) / creator fees, roas = gmv / creator fees, cpm_cents = creator fees / views * 1000 (the C aggregates tiktrack.engagement_rate, roi, roas, cpm). The campaign''s agency fee is not split over creators: it is in campaign_metrics only. Money in minor units of the campaign currency; sums (money and counters) are numeric, exact beyond bigint.';

CREATE FUNCTION tiktrack.campaign_posts(campaign_id bigint)
RETURNS SETOF tiktrack.campaign_post_stats
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c tiktrack.campaigns := tiktrack.campaign_or_error(campaign_posts.campaign_id);
BEGIN
	RETURN QUERY
		SELECT s.* FROM tiktrack.campaign_post_stats s
		WHERE s.campaign_id = c.id
		ORDER BY s.posted_at NULLS LAST, s.creator_handle, s.video_id;
END
$$;
COMMENT ON FUNCTION tiktrack.campaign_posts(bigint) IS
	'Per-post breakdown of a campaign (the rows of tiktrack.campaign_post_stats), by posting time: creator, URL, fee, latest counters, engagement and completion rates, CPM, captured_at of the latest snapshot and status (pending until the first snapshot). An unknown campaign id is an ERROR.';

CREATE FUNCTION tiktrack.campaign_creators(campaign_id bigint)
RETURNS SETOF tiktrack.campaign_creator_stats
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c tiktrack.campaigns := tiktrack.campaign_or_error(campaign_creators.campaign_id);
BEGIN
	RETURN QUERY
		SELECT s.* FROM tiktrack.campaign_creator_stats s
		WHERE s.campaign_id = c.id
		ORDER BY s.creator_handle;
END
$$;
COMMENT ON FUNCTION tiktrack.campaign_creators(bigint) IS
	'Per-creator breakdown of a campaign (the rows of tiktrack.campaign_creator_stats), by handle: posts, creator fees, GMV, views, engagement rate, ROI and ROAS on the creator''s own fees. An unknown campaign id is an ERROR.';

CREATE FUNCTION tiktrack.post_windows(campaign_id bigint)
RETURNS TABLE (video_id bigint,
			   creator_handle text,
			   posted_at timestamptz,
			   views_24h bigint, engagement_24h bigint,
			   views_72h bigint, engagement_72h bigint,
			   views_7d bigint, engagement_7d bigint,
			   views_30d bigint, engagement_30d bigint)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c tiktrack.campaigns := tiktrack.campaign_or_error(post_windows.campaign_id);
BEGIN
	-- The counters at each age are those of tiktrack.views_at_age (the
	-- same primitive, tiktrack.interpolated_counters: two index steps per
	-- post and age); engagement adds saves.
	RETURN QUERY
	SELECT cp.video_id, cr.handle, v.posted_at,
		   round(w1.views)::bigint, round(w1.engagement + w1.saves)::bigint,
		   round(w3.views)::bigint, round(w3.engagement + w3.saves)::bigint,
		   round(w7.views)::bigint, round(w7.engagement + w7.saves)::bigint,
		   round(w30.views)::bigint, round(w30.engagement + w30.saves)::bigint
	FROM tiktrack.campaign_posts cp
	JOIN tiktrack.videos v ON v.id = cp.video_id
	JOIN tiktrack.creators cr ON cr.id = cp.creator_id
	LEFT JOIN LATERAL tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + interval '24 hours') w1 ON true
	LEFT JOIN LATERAL tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + interval '72 hours') w3 ON true
	LEFT JOIN LATERAL tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + interval '7 days') w7 ON true
	LEFT JOIN LATERAL tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + interval '30 days') w30 ON true
	WHERE cp.campaign_id = c.id
	ORDER BY v.posted_at NULLS LAST, cr.handle, cp.video_id;
END
$$;
COMMENT ON FUNCTION tiktrack.post_windows(bigint) IS
	'Each campaign post''s cumulative views and engagement (likes + comments + shares + saves) at 24 hours, 72 hours, 7 days and 30 days after posted_at, so posts can be compared at the same age. Each value is computed as tiktrack.views_at_age computes views: exact when a snapshot was taken at that moment, else interpolated linearly between the last snapshot before it and the first after it (from 0 at posted_at before the first snapshot), rounded to a whole count (halves away from zero); it is NULL until a snapshot at or after the moment exists and while posted_at is unknown. An unknown campaign id is an ERROR.';

CREATE VIEW tiktrack.campaign_summary AS
SELECT c.id AS campaign_id,
	   c.name,
	   c.currency,
	   c.archived,
	   c.starts_at,
	   c.ends_at,
	   c.budget_cents,
	   (SELECT count(DISTINCT cp.creator_id) FROM tiktrack.campaign_posts cp WHERE cp.campaign_id = c.id) AS creators,
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
	   (SELECT cur.minor_units FROM tiktrack.currencies cur
		WHERE cur.code = c.currency) AS currency_minor_units	-- 0.2.0
FROM tiktrack.campaigns c
CROSS JOIN LATERAL tiktrack.campaign_metrics(c.id) m;
COMMENT ON VIEW tiktrack.campaign_summary IS
	'One row per campaign with its current KPIs, as tiktrack.campaign_metrics(id) computes them (see its comment for the definitions), plus name, dates, budget and number of distinct creators. Money in minor units of currency.';
