/*
 * Discovering a creator's posts: the videos an authorized creator published
 * recently, paged from TikTok's video list endpoints (src/creator_videos.c,
 * src/video_pager.c), and tracking them in one call.  Like the other
 * fetching functions these are superuser-only unless an administrator
 * grants EXECUTE; they are SECURITY DEFINER with a pinned search_path.
 */

CREATE FUNCTION tiktrack.creator_videos(handle text, max_videos integer DEFAULT 100,
										posted_since timestamptz DEFAULT NULL)
RETURNS TABLE (video_id bigint, kind text, posted_at timestamptz, caption text, url text,
			   views bigint, likes bigint, comments bigint, shares bigint, saves bigint,
			   reach bigint, source text)
AS 'MODULE_PATHNAME', 'tiktrack_creator_videos'
LANGUAGE C VOLATILE CALLED ON NULL INPUT PARALLEL UNSAFE SECURITY DEFINER
ROWS 100
SET search_path = pg_catalog, pg_temp;
REVOKE EXECUTE ON FUNCTION tiktrack.creator_videos(text, integer, timestamptz) FROM PUBLIC;
COMMENT ON FUNCTION tiktrack.creator_videos(text, integer, timestamptz) IS
	'The authorized creator''s most recent public videos (at most max_videos, 1..1000), newest first, with their current counters as TikTok lists them: Display API POST /v2/video/list/ (saves and reach NULL) or Business API /business/video/list/, paged 20 at a time with cursor and has_more. With posted_since, only videos posted at or after it, and paging stops at the first page holding only older ones. Paging also stops, with a WARNING and the videos found so far, when TikTok answers has_more without a new cursor, repeats a cursor, sends 3 pages in a row without a new video or exceeds max(10, max_videos/5) pages. Each page takes one request from the request budget shared with the background worker (waiting at most 5 s): a budget used up before the first page is ERROR 53400 naming the API and when to retry (a WARNING if a token was refreshed first, so that the rotated token is kept), after it paging stops with a WARNING and the videos found so far. Nothing is tracked or stored except fetch_log rows and refreshed tokens. API errors raise an ERROR naming the endpoint, TikTok''s error code and log_id. Superuser only unless granted.';

CREATE FUNCTION tiktrack.track_creator_videos(handle text,
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
