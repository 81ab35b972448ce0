/*
 * URL parsing and tracking: how a pasted TikTok link becomes a scheduled
 * video.  parse_url() is C (src/url_parse.c, a pure parser, and
 * src/url_sql.c, its SQL face); track() and untrack() only touch tables.
 */

CREATE FUNCTION tiktrack.parse_url(url text,
								   OUT kind text, OUT handle text,
								   OUT video_id bigint, OUT canonical_url text)
RETURNS record
AS 'MODULE_PATHNAME', 'tiktrack_parse_url'
LANGUAGE C STRICT IMMUTABLE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.parse_url(text) IS
	'Parses a TikTok URL as people paste it. kind is video, photo, short (vm./vt./t/ link, resolved later over HTTP) or profile; handle is lower case (NULL when the URL names none); canonical_url is https://www.tiktok.com/@handle/video/ID for posts. Anything that is not a TikTok http(s) URL is an error.';

/*
 * The worker is woken when a transaction that scheduled work commits (not
 * on rollback, and not by polling).
 */
CREATE FUNCTION tiktrack.wake_worker_on_commit()
RETURNS void
AS 'MODULE_PATHNAME', 'tiktrack_wake_worker_on_commit'
LANGUAGE C VOLATILE PARALLEL RESTRICTED;
COMMENT ON FUNCTION tiktrack.wake_worker_on_commit() IS
	'Asks the background worker (when one runs) to look for due work as soon as the current transaction commits.';

CREATE FUNCTION tiktrack.ensure_creator(handle text)
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

CREATE FUNCTION tiktrack.untrack(video_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE tiktrack.videos v
		SET state = 'stopped'
		WHERE v.id = untrack.video_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'video % is not tracked', video_id
			USING ERRCODE = 'no_data_found',
				  HINT = 'See tiktrack.videos for the tracked videos.';
	END IF;
	UPDATE tiktrack.video_schedule s SET next_fetch_at = NULL WHERE s.video_id = untrack.video_id;
END
$$;
COMMENT ON FUNCTION tiktrack.untrack(bigint) IS
	'Stops tracking a video; its snapshots and campaign links are kept.';
