/*
 * Security hardening (issue 9): every statement tiktrack issues resolves
 * only to pg_catalog and tiktrack objects, LISTEN payloads carry ids only
 * and can be switched off (tiktrack.events), and a creator restored
 * without tokens reads reauthorization_needed.  Each function here is
 * re-created exactly as sql/install/ creates it.
 */

-- caption_tags() computes the videos' generated hashtags and mentions in
-- whoever's session writes a caption.  It is now C (src/caption_tags.c,
-- same results as 0.1.0's SQL body, about ten times faster), which
-- resolves no names, so it needs no pinned search_path.

CREATE OR REPLACE FUNCTION tiktrack.caption_tags(caption text, sigil text)
RETURNS text[]
AS 'MODULE_PATHNAME', 'tiktrack_caption_tags'
LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.caption_tags(text, text) IS
	'Hashtags (sigil ''#'') or mentions (sigil ''@'') found in a caption, lower-cased, without the sigil, each once in order of first appearance.';

-- Events: ids only, and a superuser's switch (tiktrack.events).
CREATE FUNCTION tiktrack.events_enabled()
RETURNS boolean
AS 'MODULE_PATHNAME', 'tiktrack_events_enabled'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.events_enabled() IS
	'Whether tiktrack sends NOTIFY tiktrack_events: the setting tiktrack.events (on by default; only a superuser can change it).';

CREATE OR REPLACE FUNCTION tiktrack.notify_snapshots_created(video_ids bigint[], captured_at timestamptz)
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n integer := coalesce(cardinality(video_ids), 0);
	chunk constant integer := 200;
	sent integer := 0;
	i integer := 1;
BEGIN
	IF NOT tiktrack.events_enabled() THEN
		RETURN 0;
	END IF;
	WHILE i <= n LOOP
		PERFORM pg_notify('tiktrack_events', json_build_object(
			'event', 'snapshot.created',
			'captured_at', captured_at,
			'count', least(chunk, n - i + 1),
			'batch_count', n,
			'video_ids', video_ids[i:i + chunk - 1])::text);
		sent := sent + 1;
		i := i + chunk;
	END LOOP;
	RETURN sent;
END
$$;
COMMENT ON FUNCTION tiktrack.notify_snapshots_created(bigint[], timestamptz) IS
	'Sends snapshot.created on channel tiktrack_events for a batch of new snapshots: {"event", "captured_at", "count", "batch_count", "video_ids"}, at most 200 ids per payload; nothing when tiktrack.events is off. Returns the number of payloads sent.';

CREATE OR REPLACE FUNCTION tiktrack.notify_video_state()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- ids only: any role may LISTEN (an application joins to what it may read)
	IF tiktrack.events_enabled() THEN
		PERFORM pg_notify('tiktrack_events', json_build_object(
			'event', CASE NEW.state WHEN 'completed' THEN 'tracking.completed' ELSE 'video.unavailable' END,
			'video_id', NEW.id,
			'creator_id', NEW.creator_id)::text);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION tiktrack.notify_video_state() IS
	'Trigger function: sends tracking.completed or video.unavailable on channel tiktrack_events when a video enters that state: {"event", "video_id", "creator_id"}; nothing when tiktrack.events is off.';

CREATE OR REPLACE FUNCTION tiktrack.notify_creator_reauthorization()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	-- ids only: any role may LISTEN (an application joins to what it may read)
	IF tiktrack.events_enabled() THEN
		PERFORM pg_notify('tiktrack_events', json_build_object(
			'event', 'creator.reauthorization_needed',
			'creator_id', NEW.id)::text);
	END IF;
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION tiktrack.notify_creator_reauthorization() IS
	'Trigger function: sends creator.reauthorization_needed on channel tiktrack_events when a creator must authorize again: {"event", "creator_id"}; nothing when tiktrack.events is off.';

-- A creator restored without tokens reads reauthorization_needed.
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

-- Creators restored under 0.1.0 that still claim an authorization they have no tokens for.
UPDATE tiktrack.creators c
	SET auth_status = 'reauthorization_needed',
		last_error = pg_catalog.format('tiktrack holds no tokens for @%s (tokens are never dumped: after a restore creators authorize again); '
							'reconnect with tiktrack.authorize_url() and tiktrack.complete_authorization(), or tiktrack.connect_creator(); '
							'the creator must authorize again', c.handle),
		updated_at = pg_catalog.now()
	WHERE c.auth_status = 'authorized'
	  AND NOT EXISTS (SELECT FROM tiktrack.creator_tokens t WHERE t.creator_id = c.id);
