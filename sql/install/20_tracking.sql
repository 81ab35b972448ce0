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
	IF v_handle !~ '^[a-z0-9._]{1,64}$' THEN
		RAISE EXCEPTION 'invalid TikTok handle: "%"', handle
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

CREATE FUNCTION tiktrack.track(url text, track_for interval DEFAULT '7 days')
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p record;
	v_creator bigint;
	v_id bigint;
	v_until timestamptz;
BEGIN
	IF track_for IS NULL OR track_for <= interval '0' THEN
		RAISE EXCEPTION 'track_for must be a positive interval, got "%"', track_for
			USING ERRCODE = 'invalid_parameter_value';
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
		INSERT INTO tiktrack.videos AS v (id, short_url, state, track_until, next_fetch_at)
			VALUES (-nextval('tiktrack.pending_video_id_seq'), p.canonical_url, 'resolving', v_until, now())
			ON CONFLICT (short_url) DO UPDATE
				SET track_until = greatest(v.track_until, excluded.track_until),
					state = CASE WHEN v.state = 'stopped' THEN 'resolving' ELSE v.state END,
					next_fetch_at = CASE WHEN v.state = 'stopped' THEN now() ELSE v.next_fetch_at END
			RETURNING v.id INTO v_id;
		PERFORM tiktrack.wake_worker_on_commit();
		RETURN v_id;
	END IF;

	IF p.handle IS NOT NULL THEN
		v_creator := tiktrack.ensure_creator(p.handle);
	END IF;

	INSERT INTO tiktrack.videos AS v (id, creator_id, kind, url, state, track_until, next_fetch_at)
		VALUES (p.video_id, v_creator, p.kind, p.canonical_url, 'tracking', v_until, now())
		ON CONFLICT (id) DO UPDATE
			SET track_until = greatest(v.track_until, excluded.track_until),
				creator_id = coalesce(v.creator_id, excluded.creator_id),
				url = coalesce(v.url, excluded.url),
				-- Tracking again revives a stopped or completed video; a
				-- video TikTok no longer serves stays unavailable.
				state = CASE WHEN v.state IN ('stopped', 'completed') THEN 'tracking' ELSE v.state END,
				next_fetch_at = CASE WHEN v.state IN ('stopped', 'completed') THEN now()
									 ELSE v.next_fetch_at END
		RETURNING v.id INTO v_id;
	PERFORM tiktrack.wake_worker_on_commit();
	RETURN v_id;
END
$$;
COMMENT ON FUNCTION tiktrack.track(text, interval) IS
	'Starts (or extends) tracking of a TikTok post: creates or finds its creator and video, schedules a fetch now and snapshots until now() + track_for. Returns the video id (a negative placeholder for a short link until it is resolved). Tracking the same post again only extends track_until.';

CREATE FUNCTION tiktrack.untrack(video_id bigint)
RETURNS void
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	UPDATE tiktrack.videos v
		SET state = 'stopped', next_fetch_at = NULL
		WHERE v.id = untrack.video_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'video % is not tracked', video_id
			USING ERRCODE = 'no_data_found',
				  HINT = 'See tiktrack.videos for the tracked videos.';
	END IF;
END
$$;
COMMENT ON FUNCTION tiktrack.untrack(bigint) IS
	'Stops tracking a video; its snapshots and campaign links are kept.';
