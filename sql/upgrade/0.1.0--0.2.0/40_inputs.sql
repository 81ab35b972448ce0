/*
 * Careless input and totals beyond bigint (issue 9: "Money and views never
 * break for everyone" and "Inputs a careless user types").
 *
 *   - CHECK constraints: campaign dates, conversions' occurred_at and
 *     snapshots' captured_at are finite; watch times are neither NaN nor
 *     infinite.  Rows that break them are dealt with first: an infinite
 *     campaign date meant an open one, which NULL says (converted); a NaN
 *     or infinite watch time is unknown, which NULL says (converted); an
 *     infinite snapshot time or sale time has no finite equivalent, so the
 *     upgrade stops and says which statement fixes them.
 *   - Conversions' order ids are stored trimmed, as record_conversion()
 *     now stores them; an id whose trimmed form is taken already in its
 *     campaign (the same order counted twice before) is left as it is and
 *     reported.
 *   - track() takes a creator_handle (new signature: dropped and created);
 *     campaign_metrics() and the views campaign_summary,
 *     campaign_creator_stats, video_latest_stats and campaign_post_stats
 *     return numeric sums (new column types: dropped and created, with
 *     campaign_creators() and campaign_posts() that return the views'
 *     rows); the other changed functions are replaced.  The views are
 *     created here as 0.1.0 had them but with numeric sums; 70_bi.sql then
 *     adds their 0.2.0 columns (CREATE OR REPLACE VIEW, the same text as
 *     sql/install/40_campaigns.sql).
 */

DO $$
DECLARE
	n bigint;
BEGIN
	SELECT pg_catalog.count(*) INTO n FROM tiktrack.snapshots s WHERE NOT pg_catalog.isfinite(s.captured_at);
	IF n > 0 THEN
		RAISE EXCEPTION 'cannot update tiktrack: % snapshot(s) have an infinite captured_at', n
			USING ERRCODE = 'check_violation',
				  DETAIL = 'tiktrack 0.2.0 accepts only finite snapshot times (an infinite one stays a video''s latest snapshot forever).',
				  HINT = 'Delete them (DELETE FROM tiktrack.snapshots WHERE NOT isfinite(captured_at)), or give them their real time, then update again.';
	END IF;
	SELECT pg_catalog.count(*) INTO n FROM tiktrack.conversions cv WHERE NOT pg_catalog.isfinite(cv.occurred_at);
	IF n > 0 THEN
		RAISE EXCEPTION 'cannot update tiktrack: % conversion(s) have an infinite occurred_at', n
			USING ERRCODE = 'check_violation',
				  DETAIL = 'tiktrack 0.2.0 accepts only finite sale times.',
				  HINT = 'Give them their real time, e.g. UPDATE tiktrack.conversions SET occurred_at = created_at WHERE NOT isfinite(occurred_at), then update again.';
	END IF;
END
$$;

-- An infinite campaign date meant no start or no end: NULL.
UPDATE tiktrack.campaigns k
	SET starts_at = CASE WHEN pg_catalog.isfinite(k.starts_at) THEN k.starts_at END,
		ends_at = CASE WHEN pg_catalog.isfinite(k.ends_at) THEN k.ends_at END
	WHERE NOT pg_catalog.isfinite(k.starts_at) OR NOT pg_catalog.isfinite(k.ends_at);

-- A NaN or infinite watch time is an unknown one: NULL.
UPDATE tiktrack.snapshots s
	SET avg_watch_time_s = CASE WHEN s.avg_watch_time_s < 'Infinity'::float8 THEN s.avg_watch_time_s END,
		total_watch_time_s = CASE WHEN s.total_watch_time_s < 'Infinity'::float8 THEN s.total_watch_time_s END
	WHERE NOT (s.avg_watch_time_s < 'Infinity'::float8) OR NOT (s.total_watch_time_s < 'Infinity'::float8);
UPDATE tiktrack.latest_snapshots l
	SET avg_watch_time_s = CASE WHEN l.avg_watch_time_s < 'Infinity'::float8 THEN l.avg_watch_time_s END,
		total_watch_time_s = CASE WHEN l.total_watch_time_s < 'Infinity'::float8 THEN l.total_watch_time_s END
	WHERE NOT (l.avg_watch_time_s < 'Infinity'::float8) OR NOT (l.total_watch_time_s < 'Infinity'::float8);

-- A latest snapshot left infinite by a snapshot deleted by hand: rebuilt
-- from the video's remaining snapshots.
DELETE FROM tiktrack.latest_snapshots l WHERE NOT pg_catalog.isfinite(l.captured_at);
INSERT INTO tiktrack.latest_snapshots
	(video_id, captured_at, views, likes, comments, shares, saves, reach,
	 completion_rate, avg_watch_time_s, total_watch_time_s, source, snapshot_count)
SELECT DISTINCT ON (s.video_id)
	   s.video_id, s.captured_at, s.views, s.likes, s.comments, s.shares, s.saves, s.reach,
	   s.completion_rate, s.avg_watch_time_s, s.total_watch_time_s, s.source,
	   pg_catalog.count(*) OVER (PARTITION BY s.video_id)
FROM tiktrack.snapshots s
WHERE NOT EXISTS (SELECT FROM tiktrack.latest_snapshots l WHERE l.video_id = s.video_id)
ORDER BY s.video_id, s.captured_at DESC;

ALTER TABLE tiktrack.snapshots
	ADD CONSTRAINT snapshots_captured_at_finite_check CHECK (pg_catalog.isfinite(captured_at)),
	ADD CONSTRAINT snapshots_watch_time_finite_check
		CHECK (avg_watch_time_s < 'Infinity'::float8 AND total_watch_time_s < 'Infinity'::float8);
ALTER TABLE tiktrack.campaigns
	ADD CONSTRAINT campaigns_dates_finite_check CHECK (pg_catalog.isfinite(starts_at) AND pg_catalog.isfinite(ends_at));
ALTER TABLE tiktrack.conversions
	ADD CONSTRAINT conversions_occurred_at_finite_check CHECK (pg_catalog.isfinite(occurred_at));

-- Order ids trimmed, as record_conversion() stores them now.  Where the
-- trimmed id is taken in the campaign (the same order recorded twice),
-- both rows stay as they are: which one is right is the user's call.
DO $$
DECLARE
	n bigint;
BEGIN
	UPDATE tiktrack.conversions cv
		SET order_id = pg_catalog.btrim(cv.order_id, E' \t\n\r')
		WHERE cv.id IN (SELECT DISTINCT ON (o.campaign_id, pg_catalog.btrim(o.order_id, E' \t\n\r')) o.id
						FROM tiktrack.conversions o
						WHERE o.order_id <> pg_catalog.btrim(o.order_id, E' \t\n\r') AND pg_catalog.btrim(o.order_id, E' \t\n\r') <> ''
						ORDER BY o.campaign_id, pg_catalog.btrim(o.order_id, E' \t\n\r'), o.id)
		  AND NOT EXISTS (SELECT FROM tiktrack.conversions t
						  WHERE t.campaign_id = cv.campaign_id AND t.order_id = pg_catalog.btrim(cv.order_id, E' \t\n\r'));
	SELECT pg_catalog.count(*) INTO n FROM tiktrack.conversions cv
		WHERE cv.order_id <> pg_catalog.btrim(cv.order_id, E' \t\n\r');
	IF n > 0 THEN
		RAISE WARNING '% conversion(s) keep an order_id with surrounding blanks: the trimmed id is recorded in the same campaign too', n
			USING HINT = 'See SELECT * FROM tiktrack.conversions WHERE order_id <> btrim(order_id); delete the duplicate sale or correct its order_id.';
	END IF;
END
$$;

DROP FUNCTION tiktrack.track(text, interval);
DROP VIEW tiktrack.campaign_summary;
DROP FUNCTION tiktrack.campaign_metrics(bigint, timestamptz);
DROP FUNCTION tiktrack.campaign_creators(bigint);
DROP VIEW tiktrack.campaign_creator_stats;
DROP FUNCTION tiktrack.campaign_posts(bigint);
DROP VIEW tiktrack.campaign_post_stats;
DROP VIEW tiktrack.video_latest_stats;

CREATE OR REPLACE FUNCTION tiktrack.ensure_creator(handle text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_handle text := lower(ltrim(btrim(handle), '@'));
	v_id bigint;
BEGIN
	-- before anything is written: a NULL must not reach the INSERT (nor
	-- burn an identity value)
	IF handle IS NULL THEN
		RAISE EXCEPTION 'handle must not be NULL'
			USING ERRCODE = 'null_value_not_allowed',
				  HINT = 'Pass the creator''s TikTok username, e.g. ''@alice''.';
	END IF;
	IF v_handle !~ '^[a-z0-9._]{1,64}$' THEN
		RAISE EXCEPTION 'invalid TikTok handle: "%"',
			CASE WHEN pg_catalog.length(handle) > 100 THEN pg_catalog.left(handle, 100) || '...' ELSE handle END
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'A handle is the username after the @, made of letters, digits, "_" and ".".';
	END IF;
	SELECT c.id INTO v_id FROM tiktrack.creators c WHERE c.handle = v_handle;
	IF NOT FOUND THEN
		INSERT INTO tiktrack.creators AS c (handle) VALUES (v_handle)
			ON CONFLICT ON CONSTRAINT creators_handle_key DO UPDATE SET handle = excluded.handle
			RETURNING c.id INTO v_id;
	END IF;
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION tiktrack.ensure_creator(text) IS
	'Returns the id of the creator with this handle (with or without @, any case), creating the row if needed.';

CREATE FUNCTION tiktrack.track(url text, track_for interval DEFAULT '7 days',
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
		INSERT INTO tiktrack.videos AS v (id, short_url, state, track_until)
			VALUES (-nextval('tiktrack.pending_video_id_seq'), p.canonical_url, 'resolving', v_until)
			ON CONFLICT (short_url) DO UPDATE
				SET track_until = greatest(v.track_until, excluded.track_until),
					state = CASE WHEN v.state = 'stopped' THEN 'resolving' ELSE v.state END
			RETURNING v.id INTO v_id;
		-- (Re)schedules it now unless it is scheduled already or not active.
		INSERT INTO tiktrack.video_schedule AS s (video_id, next_fetch_at, creator_id)
			SELECT v.id, now(), v.creator_id FROM tiktrack.videos v
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
		SELECT v.id, now(), v.creator_id FROM tiktrack.videos v
		WHERE v.id = v_id AND v.state IN ('tracking', 'failing', 'awaiting_authorization', 'resolving')
		ON CONFLICT (video_id) DO UPDATE SET next_fetch_at = coalesce(s.next_fetch_at, excluded.next_fetch_at),
											 creator_id = excluded.creator_id;
	PERFORM tiktrack.wake_worker_on_commit();
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION tiktrack.track(text, interval, text) IS
	'Starts (or extends) tracking of a TikTok post: creates or finds its creator and video, schedules a fetch now and snapshots until now() + track_for (positive, at most 10 years). Returns the video id (a negative placeholder for a short link until it is resolved; its creator is learnt from the redirect). Tracking the same post again only extends track_until. An embed link (/embed/ID, /v/ID.html) names no creator: pass creator_handle, unless the video is tracked already with its creator. A creator_handle or URL naming another creator than the video''s is an error.';

CREATE OR REPLACE FUNCTION tiktrack.create_campaign(name text,
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

CREATE OR REPLACE FUNCTION tiktrack.add_posts(campaign_id bigint, posts jsonb)
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
BEGIN
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
		SELECT cp.video_id, cp.fee_cents, l.captured_at, l.views, l.likes, l.comments,
			   l.shares, l.saves, l.completion_rate
		FROM tiktrack.campaign_posts cp
		LEFT JOIN LATERAL (
			SELECT l.captured_at, l.views, l.likes, l.comments, l.shares, l.saves, l.completion_rate
			FROM tiktrack.latest_snapshots l
			WHERE l.video_id = cp.video_id
			OFFSET 0) l ON true
		WHERE cp.campaign_id = c.id AND campaign_metrics.as_of IS NULL
		UNION ALL
		SELECT cp.video_id, cp.fee_cents, h.captured_at, h.views, h.likes, h.comments,
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
		FROM (SELECT coalesce(sum(cv.revenue_cents), 0) AS total
			  FROM tiktrack.conversions cv
			  WHERE cv.campaign_id = c.id
				AND (campaign_metrics.as_of IS NULL OR cv.occurred_at <= campaign_metrics.as_of)) s
		CROSS JOIN LATERAL (
			SELECT least(s.total - (k - 1)::numeric * 9223372036854775807, 9223372036854775807)::bigint AS piece
			FROM pg_catalog.generate_series(1, pg_catalog.div(s.total + 9223372036854775806, 9223372036854775807)::bigint) k
			UNION ALL
			SELECT 0 WHERE s.total = 0) g
	),
	total AS (
		SELECT sum(l.cost_cents) AS spend,
			   coalesce(sum(l.cost_cents) FILTER (WHERE l.is_post), 0) AS creator_fees,
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
	'Dashboard KPIs of a campaign, as one row, now (as_of NULL) or as of a past moment. Each post counts with its latest snapshot, or its latest snapshot at or before as_of; GMV counts conversions that occurred at or before as_of. Money is in minor units of currency; sums (money and counters) are numeric, exact beyond bigint. spend = creator fees of all posts + agency fee (as_of does not change it); roi = (gmv - spend) / spend; roas = gmv / spend; cpm_cents = spend / views * 1000; cpv_cents = spend / views; cpe_cents = spend / engagement (unrounded float8, NULL when the divisor is 0; computed by the C aggregates tiktrack.roi, roas, cpm, cpv, engagement_rate and completion_weighted_views over the posts, the agency fee and the sales). engagement = likes + comments + shares + saves (a counter the API did not report counts 0); engagement_rate = total engagement / total views (a ratio of sums); completion_weighted_views = sum of views x completion_rate over posts whose completion rate is known (NULL if none). posts_published have a snapshot (as of as_of), posts_pending none. top_hashtags and top_mentions: the 10 most frequent in the posts'' captions, [{"value", "count"}] by count then value, count being the number of posts. An unknown campaign id is an ERROR.';

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
	   l.source
FROM tiktrack.videos v
LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id
LEFT JOIN tiktrack.latest_snapshots l ON l.video_id = v.id;
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
	   cp.added_at
FROM tiktrack.campaign_posts cp
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
	   g.cpm_cents
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
JOIN tiktrack.creators cr ON cr.id = g.creator_id;
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
	   c.created_at
FROM tiktrack.campaigns c
CROSS JOIN LATERAL tiktrack.campaign_metrics(c.id) m;
COMMENT ON VIEW tiktrack.campaign_summary IS
	'One row per campaign with its current KPIs, as tiktrack.campaign_metrics(id) computes them (see its comment for the definitions), plus name, dates, budget and number of distinct creators. Money in minor units of currency.';

CREATE OR REPLACE FUNCTION tiktrack.disconnect_creator(handle text, purge boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'tiktrack_disconnect_creator'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION tiktrack.disconnect_creator(text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.disconnect_creator(text, boolean) IS
	'Revokes the creator''s token at TikTok and deletes it; the creator becomes revoked and their videos await authorization. With purge, also deletes what came from that authorization (platform compliance): the creator''s snapshots and creator_stats taken from the Display or Business API and the profile fields TikTok supplied.';

CREATE OR REPLACE FUNCTION tiktrack.track_creator_videos(handle text,
	since timestamptz DEFAULT now() - interval '30 days',
	track_for interval DEFAULT '7 days')
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	n integer := 0;
BEGIN
	IF since IS NULL THEN
		RAISE EXCEPTION 'since must not be NULL'
			USING ERRCODE = 'null_value_not_allowed';
	END IF;
	IF NOT isfinite(since) THEN
		RAISE EXCEPTION 'since must be a finite timestamp, got "%"', since
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	-- as tiktrack.track() checks it, but before any request to TikTok
	IF track_for IS NULL OR track_for <= interval '0' THEN
		RAISE EXCEPTION 'track_for must be a positive interval, got "%"', track_for
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF track_for > interval '3660 days' OR now() + track_for > now() + interval '10 years' THEN
		RAISE EXCEPTION 'track_for must be at most 10 years, got "%"', track_for
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Tracking the same post again extends it; a campaign''s posts are tracked until 30 days after it ends.';
	END IF;
	FOR r IN SELECT * FROM tiktrack.creator_videos(track_creator_videos.handle, 1000, since) LOOP
		PERFORM tiktrack.track(r.url, track_for);
		-- what the listing told us already, until the first fetch says more
		UPDATE tiktrack.videos v
			SET caption = coalesce(v.caption, r.caption),
				posted_at = coalesce(v.posted_at, r.posted_at)
			WHERE v.id = r.video_id;
		n := n + 1;
	END LOOP;
	RETURN n;
END
$$;
REVOKE EXECUTE ON FUNCTION tiktrack.track_creator_videos(text, timestamptz, interval) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.track_creator_videos(text, timestamptz, interval) IS
	'Tracks every video the authorized creator posted since `since` (default the last 30 days, at most 1000 videos) for track_for, as tiktrack.track(url, track_for) would: new videos are scheduled for a fetch now, tracked ones have their track_until extended. Returns the number of videos tracked by the call (new or extended). Uses tiktrack.creator_videos(); errors as there. Superuser only unless granted.';
