/*
 * Fetching from TikTok: OAuth tokens (sealed), pending authorizations, the
 * request log, and the SQL faces of the C fetcher (src/refresh.c,
 * src/oauth.c).  The token and state tables hold secrets: no privilege on
 * them for PUBLIC, and the functions that use them are superuser-only
 * unless an administrator grants EXECUTE (they are SECURITY DEFINER with a
 * pinned search_path, so a granted role can call them without seeing a
 * token).
 */

CREATE TABLE tiktrack.creator_tokens (
	creator_id	bigint PRIMARY KEY REFERENCES tiktrack.creators (id) ON DELETE CASCADE,
	api			text NOT NULL CHECK (api IN ('display', 'business')),
	access_token bytea NOT NULL,
	refresh_token bytea,
	access_expires_at timestamptz NOT NULL,
	refresh_expires_at timestamptz,
	scope		text,
	obtained_at timestamptz NOT NULL DEFAULT now(),
	rotated_at	timestamptz NOT NULL DEFAULT now()
);
REVOKE ALL ON tiktrack.creator_tokens FROM PUBLIC;
COMMENT ON TABLE tiktrack.creator_tokens IS
	'OAuth tokens of authorized creators, sealed with AES-256-GCM under the key file $PGDATA/tiktrack.key (never stored in clear, never shown). Superuser only. Not dumped: after a restore into another cluster creators authorize again.';
COMMENT ON COLUMN tiktrack.creator_tokens.api IS 'API the tokens are for: display (Login Kit) or business (TikTok account holder).';
COMMENT ON COLUMN tiktrack.creator_tokens.access_token IS 'Sealed access token (version byte, nonce, ciphertext, tag).';
COMMENT ON COLUMN tiktrack.creator_tokens.refresh_token IS 'Sealed refresh token; TikTok may rotate it on every refresh.';
COMMENT ON COLUMN tiktrack.creator_tokens.access_expires_at IS 'When the access token expires; it is refreshed a few minutes before.';
COMMENT ON COLUMN tiktrack.creator_tokens.rotated_at IS 'When the tokens were last replaced (authorization or refresh).';

/*
 * Tokens are never dumped, so a restored creator that was authorized has
 * none: it arrives as reauthorization_needed, saying why, and its videos
 * wait for a new authorization instead of claiming one tiktrack no longer
 * holds.  (The fetcher says the same of an authorized creator without
 * tokens, should rows arrive without this trigger.)
 */
CREATE FUNCTION tiktrack.creators_check_tokens()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF NEW.auth_status = 'authorized'
	   AND NOT EXISTS (SELECT FROM tiktrack.creator_tokens t WHERE t.creator_id = NEW.id) THEN
		NEW.auth_status := 'reauthorization_needed';
		NEW.last_error := format('tiktrack holds no tokens for @%s (tokens are never dumped: after a restore creators authorize again); '
								 'reconnect with tiktrack.authorize_url() and tiktrack.complete_authorization(), or tiktrack.connect_creator(); '
								 'the creator must authorize again', NEW.handle);
	END IF;
	RETURN NEW;
END
$$;
REVOKE EXECUTE ON FUNCTION tiktrack.creators_check_tokens() FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.creators_check_tokens() IS
	'Trigger function: a creator inserted as authorized without tokens (restored from a dump, where tokens never are) becomes reauthorization_needed, with the reason in last_error.';

CREATE TRIGGER creators_check_tokens
	BEFORE INSERT ON tiktrack.creators
	FOR EACH ROW
	WHEN (NEW.auth_status = 'authorized')
	EXECUTE FUNCTION tiktrack.creators_check_tokens();

CREATE TABLE tiktrack.oauth_states (
	state		text PRIMARY KEY,
	code_verifier bytea NOT NULL,
	redirect_uri text NOT NULL,
	scopes		text NOT NULL,
	created_at	timestamptz NOT NULL DEFAULT now(),
	expires_at	timestamptz NOT NULL
);
REVOKE ALL ON tiktrack.oauth_states FROM PUBLIC;
COMMENT ON TABLE tiktrack.oauth_states IS
	'Pending Login Kit authorizations started by tiktrack.authorize_url(): the single-use state, the sealed PKCE code_verifier and the redirect_uri, valid until expires_at. Superuser only.';

CREATE TABLE tiktrack.fetch_log (
	id			bigserial PRIMARY KEY,
	requested_at timestamptz NOT NULL,
	api			text NOT NULL,
	endpoint	text NOT NULL,
	http_status integer,
	error_code	text,
	log_id		text,
	duration_ms float8,
	video_count integer,
	video_id	bigint,
	creator_id	bigint,
	message		text
);
CREATE INDEX fetch_log_requested_at_idx ON tiktrack.fetch_log (requested_at);
COMMENT ON SEQUENCE tiktrack.fetch_log_id_seq IS 'Ids of tiktrack.fetch_log rows.';
COMMENT ON TABLE tiktrack.fetch_log IS
	'One row per HTTP request made to TikTok (by tiktrack.refresh(), refresh_creator(), the OAuth functions and the background worker): endpoint, HTTP status, TikTok error code (ok / 0 on success), log_id or request_id, duration. Never holds a token. Rows of a refresh() that raised an error are rolled back with it; the error message carries the same facts.';
COMMENT ON COLUMN tiktrack.fetch_log.api IS 'display, business, oauth (Display token endpoints), business_oauth or web (short links).';
COMMENT ON COLUMN tiktrack.fetch_log.error_code IS 'Display/OAuth error code (ok on success), Business numeric code (0 on success), or a transport error name (timeout, tls, connect, connection_dropped, response_too_large, refused).';
COMMENT ON COLUMN tiktrack.fetch_log.log_id IS 'TikTok''s log_id (Display) or request_id (Business), to quote to TikTok support.';
COMMENT ON COLUMN tiktrack.fetch_log.video_count IS 'Number of videos asked for in the request.';
COMMENT ON COLUMN tiktrack.fetch_log.video_id IS 'The video concerned when the request was about one video.';
COMMENT ON COLUMN tiktrack.fetch_log.creator_id IS 'The creator whose token or account the request used.';

/*
 * Completes a video tracked through a short link once the redirect named
 * its real id.  A video's id never changes (no foreign key cascades an
 * update, which a distributed table could not do either): the video is
 * the row under its real id, created from the placeholder when it is not
 * tracked yet; what hangs on the placeholder (snapshots, campaign posts,
 * conversions) moves to it, and the placeholder row goes.  Returns the
 * real id.
 */
CREATE FUNCTION tiktrack.resolve_placeholder(placeholder_id bigint, real_id bigint,
											 handle text, kind text, url text)
RETURNS bigint
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	p tiktrack.videos;
	v_creator bigint;
	v_new boolean := false;
BEGIN
	SELECT * INTO p FROM tiktrack.videos v WHERE v.id = placeholder_id FOR UPDATE;
	IF NOT FOUND THEN
		-- already resolved (e.g. by the worker meanwhile)
		RETURN real_id;
	END IF;
	IF handle IS NOT NULL AND handle <> '' THEN
		v_creator := tiktrack.ensure_creator(handle);
	END IF;
	PERFORM 1 FROM tiktrack.videos v WHERE v.id = real_id FOR UPDATE;
	IF NOT FOUND THEN
		-- the placeholder's tracking under the real id (its short link
		-- follows once the placeholder is gone: it is unique)
		INSERT INTO tiktrack.videos (id, creator_id, kind, url, state, track_until, tracked_at)
			VALUES (real_id, v_creator, coalesce(resolve_placeholder.kind, p.kind), resolve_placeholder.url,
					CASE WHEN p.state = 'resolving' THEN 'tracking' ELSE p.state END,
					p.track_until, p.tracked_at);
		INSERT INTO tiktrack.video_schedule (video_id, next_fetch_at, last_fetched_at, creator_id)
			SELECT real_id, s.next_fetch_at, s.last_fetched_at, v_creator
			FROM tiktrack.video_schedule s WHERE s.video_id = placeholder_id;
		v_new := true;
	END IF;
	-- move what hangs on the placeholder, drop it, then fold it in
	DELETE FROM tiktrack.campaign_posts cp
		WHERE cp.video_id = placeholder_id
		  AND EXISTS (SELECT 1 FROM tiktrack.campaign_posts o
					  WHERE o.campaign_id = cp.campaign_id AND o.video_id = real_id);
	UPDATE tiktrack.campaign_posts cp SET video_id = real_id WHERE cp.video_id = placeholder_id;
	UPDATE tiktrack.conversions c SET video_id = real_id WHERE c.video_id = placeholder_id;
	INSERT INTO tiktrack.snapshots
		SELECT real_id, s.captured_at, s.views, s.likes, s.comments, s.shares, s.saves, s.reach,
			   s.completion_rate, s.avg_watch_time_s, s.total_watch_time_s, s.source
		FROM tiktrack.snapshots s WHERE s.video_id = placeholder_id
		ON CONFLICT DO NOTHING;
	DELETE FROM tiktrack.videos v WHERE v.id = placeholder_id;
	IF v_new THEN
		UPDATE tiktrack.videos v SET short_url = p.short_url WHERE v.id = real_id;
	ELSE
		UPDATE tiktrack.videos v
			SET track_until = greatest(v.track_until, p.track_until),
				short_url = coalesce(v.short_url, p.short_url),
				creator_id = coalesce(v.creator_id, v_creator),
				url = coalesce(v.url, resolve_placeholder.url),
				state = CASE WHEN v.state IN ('stopped', 'completed') AND p.state <> 'stopped'
							 THEN 'tracking' ELSE v.state END
			WHERE v.id = real_id;
		INSERT INTO tiktrack.video_schedule AS s (video_id, next_fetch_at, creator_id)
			SELECT v.id, now(), v.creator_id FROM tiktrack.videos v
			WHERE v.id = real_id AND v.state IN ('tracking', 'failing', 'awaiting_authorization')
			ON CONFLICT (video_id) DO UPDATE SET next_fetch_at = coalesce(s.next_fetch_at, excluded.next_fetch_at),
												 creator_id = excluded.creator_id;
	END IF;
	RETURN real_id;
END
$$;
REVOKE EXECUTE ON FUNCTION tiktrack.resolve_placeholder(bigint, bigint, text, text, text) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.resolve_placeholder(bigint, bigint, text, text, text) IS
	'Internal: gives a short-link video its real TikTok id (the row under the real id, created or already tracked, takes over the placeholder''s snapshots, campaign posts and conversions; the placeholder row goes; no id is ever updated) and its creator. Used by the fetcher.';

CREATE FUNCTION tiktrack.authorize_url(redirect_uri text,
	scopes text DEFAULT 'user.info.basic,user.info.profile,user.info.stats,video.list')
RETURNS text
AS 'MODULE_PATHNAME', 'tiktrack_authorize_url'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION tiktrack.authorize_url(text, text) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.authorize_url(text, text) IS
	'TikTok Login Kit authorization URL for a creator to open: carries tiktrack.client_key, the scopes, a random single-use state (valid 10 minutes) and a PKCE S256 challenge. TikTok redirects to redirect_uri with code and state; pass them to tiktrack.complete_authorization(). Superuser only unless granted.';

CREATE FUNCTION tiktrack.complete_authorization(code text, state text)
RETURNS bigint
AS 'MODULE_PATHNAME', 'tiktrack_complete_authorization'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION tiktrack.complete_authorization(text, text) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.complete_authorization(text, text) IS
	'Finishes a Login Kit authorization: checks and consumes the state, exchanges the code at /v2/oauth/token/ (with the PKCE verifier), stores the sealed tokens, reads /v2/user/info/ and returns the creator id. An unknown, reused or expired state is refused. Superuser only unless granted.';

CREATE FUNCTION tiktrack.connect_creator(access_token text, refresh_token text,
	expires_in integer DEFAULT 86400, refresh_expires_in integer DEFAULT 31536000,
	api text DEFAULT 'display')
RETURNS bigint
AS 'MODULE_PATHNAME', 'tiktrack_connect_creator'
LANGUAGE C VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION tiktrack.connect_creator(text, text, integer, integer, text) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.connect_creator(text, text, integer, integer, text) IS
	'Registers tokens an application obtained itself (api display or business): asks TikTok who they belong to (/v2/user/info/, or /tt_user/token_info/get/ and /business/get/), stores them sealed and returns the creator id. Superuser only unless granted.';

CREATE FUNCTION tiktrack.disconnect_creator(handle text, purge boolean DEFAULT false)
RETURNS void
AS 'MODULE_PATHNAME', 'tiktrack_disconnect_creator'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION tiktrack.disconnect_creator(text, boolean) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.disconnect_creator(text, boolean) IS
	'Revokes the creator''s token at TikTok and deletes it; the creator becomes revoked and their videos await authorization. With purge, also deletes what came from that authorization (platform compliance): the creator''s snapshots and creator_stats taken from the Display or Business API and the profile fields TikTok supplied.';

CREATE FUNCTION tiktrack.refresh(video_id bigint)
RETURNS tiktrack.snapshots
AS 'MODULE_PATHNAME', 'tiktrack_refresh'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION tiktrack.refresh(bigint) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.refresh(bigint) IS
	'Fetches one video from TikTok now (resolving its short link first if needed) through the API its creator authorized, stores and returns the snapshot. API errors raise an ERROR naming the video, endpoint, TikTok error code and log_id, and nothing is written. When TikTok''s answer changes the video''s state instead (not returned: missing_count, unavailable after 3; creator not authorized or must re-authorize) that state is stored, a WARNING says why and the result is NULL. Works without the background worker; with the library preloaded it takes its request from the budget it shares with the worker (tiktrack.rate_limits()), waiting up to 5 s for it, else raising an ERROR that says when to retry. Superuser only unless granted.';

CREATE FUNCTION tiktrack.refresh_creator(handle text)
RETURNS tiktrack.creator_stats
AS 'MODULE_PATHNAME', 'tiktrack_refresh_creator'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION tiktrack.refresh_creator(text) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.refresh_creator(text) IS
	'Fetches a creator''s follower, following, like and video counts now (Display /v2/user/info/ or Business /business/get/ with audience shares), updates the profile, stores and returns the creator_stats row. Errors and request budget as for tiktrack.refresh(). Superuser only unless granted.';
