/*
 * The worker under saturation (issue 12): the request budget goes to the
 * oldest due work first, whatever the creator (claim_due_videos returns
 * when each video fell due), and worker_status says when the worker is
 * saturated and how far behind schedule it is.
 */

DROP FUNCTION tiktrack.claim_due_videos(integer, interval);
/*
 * Claims up to max_videos due videos, oldest due first, through
 * videos_due_idx, plus the videos of the same creators that fall due
 * within coalesce_window: fetching them now costs no extra request
 * (TikTok takes 20 ids per request), and it keeps a creator's videos in
 * step instead of drifting into one request each.  SKIP LOCKED: a
 * second claimer (another worker, a tiktrack.refresh() in progress) gets
 * other videos, never the same.  due_at is when each video fell due (a
 * companion's is in the future): the worker spends the request budget in
 * that order, whatever the creator, so the oldest due work goes first.
 */
CREATE FUNCTION tiktrack.claim_due_videos(max_videos integer,
										  coalesce_window interval DEFAULT '0')
RETURNS TABLE (video_id bigint, creator_id bigint, api text, posted_at timestamptz,
			   track_until timestamptz, fetch_failures integer, due_at timestamptz)
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH due AS (
		SELECT v.id, v.creator_id, v.next_fetch_at
		FROM tiktrack.videos v
		WHERE v.next_fetch_at <= pg_catalog.now()
		ORDER BY v.next_fetch_at
		LIMIT claim_due_videos.max_videos
		FOR UPDATE SKIP LOCKED
	), companions AS (
		SELECT v.id, v.next_fetch_at
		FROM tiktrack.videos v
		WHERE claim_due_videos.coalesce_window > interval '0'
		  -- (arrays, not joins: index scans whatever the row estimates)
		  AND v.creator_id = ANY (ARRAY(SELECT DISTINCT d.creator_id FROM due d
										WHERE d.creator_id IS NOT NULL))
		  AND v.next_fetch_at > pg_catalog.now()
		  AND v.next_fetch_at <= pg_catalog.now() + claim_due_videos.coalesce_window
		  AND v.claimed_by IS NULL
		LIMIT claim_due_videos.max_videos
		FOR UPDATE SKIP LOCKED
	), chosen AS (
		SELECT d.id, d.next_fetch_at FROM due d
		UNION ALL
		SELECT c.id, c.next_fetch_at FROM companions c
	), claimed AS (
		UPDATE tiktrack.videos v
			SET next_fetch_at = pg_catalog.now() + interval '10 minutes',
				claimed_by = pg_catalog.pg_backend_pid(),
				claimed_at = pg_catalog.now()
			WHERE v.id = ANY (ARRAY(SELECT ch.id FROM chosen ch))
			RETURNING v.id, v.creator_id, coalesce(v.posted_at, v.tracked_at) AS posted_at,
					  v.track_until, v.fetch_failures
	)
	SELECT c.id, c.creator_id,
		   CASE WHEN cr.auth_status = 'authorized' THEN cr.authorized_via END,
		   c.posted_at, c.track_until, c.fetch_failures, ch.next_fetch_at
	FROM claimed c
	JOIN chosen ch ON ch.id = c.id
	LEFT JOIN tiktrack.creators cr ON cr.id = c.creator_id
	ORDER BY ch.next_fetch_at, c.creator_id, c.id
$$;
COMMENT ON FUNCTION tiktrack.claim_due_videos(integer, interval) IS
	'Worker: claims up to max_videos due videos (FOR UPDATE SKIP LOCKED, oldest due first) and the videos of the same creators due within coalesce_window, leasing them for 10 minutes; returns what scheduling needs, the API of their creator (NULL when not authorized) and when each fell due, oldest first.';

REVOKE ALL ON FUNCTION tiktrack.claim_due_videos(integer, interval) FROM PUBLIC;

CREATE FUNCTION tiktrack.worker_backlog()
RETURNS TABLE (api text, waiting_since timestamptz)
AS 'MODULE_PATHNAME', 'tiktrack_worker_backlog'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION tiktrack.worker_backlog() IS
	'Per API (display, business), since when the oldest video the background worker postponed for lack of request budget has been due, from shared memory; no row for an API where nothing waits.';

CREATE OR REPLACE VIEW tiktrack.worker_status AS
SELECT w.pid,
	   w.state,
	   w.state_since,
	   w.started_at,
	   w.starts,
	   (SELECT count(*) FROM tiktrack.videos v
		WHERE v.state IN ('tracking', 'failing', 'awaiting_authorization', 'resolving')) AS tracked_videos,
	   (SELECT count(*) FROM tiktrack.videos v WHERE v.next_fetch_at <= now()) AS due_videos,
	   (SELECT count(*) FROM tiktrack.videos v WHERE v.claimed_by IS NOT NULL) AS videos_in_flight,
	   (SELECT count(*) FROM tiktrack.videos v WHERE v.state = 'failing') AS failing_videos,
	   c.requests_last_minute,
	   c.requests_last_hour,
	   c.snapshots_last_minute,
	   c.snapshots_last_hour,
	   c.errors_last_hour,
	   c.errors_total,
	   c.rate_limit_waits_last_hour,
	   (SELECT jsonb_object_agg(r.limiter, r.blocked_until) FROM tiktrack.rate_limits() r
		WHERE r.blocked_until > now()) AS rate_limited_until,
	   w.last_success_display,
	   w.last_success_business,
	   coalesce(c.rate_limit_waits_last_minute, 0) > 0 AS saturated,
	   (SELECT pg_catalog.jsonb_object_agg(d.api,
				pg_catalog.round(EXTRACT(epoch FROM pg_catalog.now() - d.oldest), 1))
		FROM (SELECT a.api, pg_catalog.min(a.oldest) AS oldest
			  FROM (SELECT coalesce(CASE WHEN cr.auth_status = 'authorized' THEN cr.authorized_via END,
									'none') AS api,
						   v.next_fetch_at AS oldest
					FROM tiktrack.videos v
					LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id
					WHERE v.next_fetch_at <= pg_catalog.now()
					UNION ALL
					-- postponed for lack of budget: due since their place in line
					SELECT b.api, b.waiting_since FROM tiktrack.worker_backlog() b) a
			  GROUP BY a.api) d) AS oldest_due_age_s
FROM tiktrack.worker_info() w,
	 LATERAL (
		SELECT max(k.last_minute) FILTER (WHERE k.counter = 'requests') AS requests_last_minute,
			   max(k.last_hour) FILTER (WHERE k.counter = 'requests') AS requests_last_hour,
			   max(k.last_minute) FILTER (WHERE k.counter = 'snapshots') AS snapshots_last_minute,
			   max(k.last_hour) FILTER (WHERE k.counter = 'snapshots') AS snapshots_last_hour,
			   max(k.last_hour) FILTER (WHERE k.counter = 'rate_limit_waits') AS rate_limit_waits_last_hour,
			   max(k.last_minute) FILTER (WHERE k.counter = 'rate_limit_waits') AS rate_limit_waits_last_minute,
			   coalesce(jsonb_object_agg(k.counter, k.last_hour)
							FILTER (WHERE k.counter IN ('rate_limited', 'throttled', 'auth', 'network',
														'server_error', 'malformed', 'api_error', 'worker_error')
									AND k.last_hour > 0), '{}') AS errors_last_hour,
			   coalesce(jsonb_object_agg(k.counter, k.total)
							FILTER (WHERE k.counter IN ('rate_limited', 'throttled', 'auth', 'network',
														'server_error', 'malformed', 'api_error', 'worker_error')
									AND k.total > 0), '{}') AS errors_total
		FROM tiktrack.worker_counters() k
	 ) c;
COMMENT ON VIEW tiktrack.worker_status IS
	'One row: the background worker''s pid and state, tracked/due/in-flight/failing video counts, requests and snapshots in the last minute and hour, errors by kind (last hour and since server start), rate-limit waits, the limiters TikTok has paused us on, the last successful request per API, whether the worker is saturated (in the last minute due work waited for the request budget) and, per API, how many seconds ago the oldest due video fell due (how far behind schedule it is).';
COMMENT ON COLUMN tiktrack.worker_status.saturated IS
	'True when, in the last minute, due videos had to wait for the request budget: the tracked videos need more requests than the budgets allow; lower the cadence or raise the budget.';
COMMENT ON COLUMN tiktrack.worker_status.oldest_due_age_s IS
	'Per API (display, business, none: creator not authorized), seconds since the oldest due video fell due; near 0 when the worker keeps up.';


/*
 * latest_snapshots kept by the store step itself, set-based from its batch;
 * the trigger, now C, stands aside for that statement and keeps covering
 * every other INSERT INTO tiktrack.snapshots.
 */
CREATE OR REPLACE FUNCTION tiktrack.snapshots_keep_latest()
RETURNS trigger
AS 'MODULE_PATHNAME', 'tiktrack_snapshots_keep_latest'
LANGUAGE C
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION tiktrack.snapshots_keep_latest() IS
	'Trigger function: folds newly inserted snapshots into tiktrack.latest_snapshots (any INSERT INTO tiktrack.snapshots; the fetcher''s store step keeps latest_snapshots itself, from its batch, in the statement that inserts the snapshots).';
COMMENT ON TABLE tiktrack.latest_snapshots IS
	'The most recent snapshot of each video (same columns as snapshots) plus the number of snapshots taken; maintained by the fetcher''s store step for its batches and by a trigger on snapshots for any other insert.';

/*
 * A video's id never changes: a resolved short link becomes the row under
 * its real id and the placeholder row goes, so no foreign key cascades an
 * update any more.
 */
ALTER TABLE tiktrack.snapshots DROP CONSTRAINT snapshots_video_id_fkey,
	ADD CONSTRAINT snapshots_video_id_fkey FOREIGN KEY (video_id)
		REFERENCES tiktrack.videos (id) ON DELETE CASCADE;
ALTER TABLE tiktrack.latest_snapshots DROP CONSTRAINT latest_snapshots_video_id_fkey,
	ADD CONSTRAINT latest_snapshots_video_id_fkey FOREIGN KEY (video_id)
		REFERENCES tiktrack.videos (id) ON DELETE CASCADE;
ALTER TABLE tiktrack.campaign_posts DROP CONSTRAINT campaign_posts_video_id_fkey,
	ADD CONSTRAINT campaign_posts_video_id_fkey FOREIGN KEY (video_id)
		REFERENCES tiktrack.videos (id);
ALTER TABLE tiktrack.conversions DROP CONSTRAINT conversions_video_id_fkey,
	ADD CONSTRAINT conversions_video_id_fkey FOREIGN KEY (video_id)
		REFERENCES tiktrack.videos (id);

/*
 * Completes a video tracked through a short link once the redirect named
 * its real id.  A video's id never changes (no foreign key cascades an
 * update, which a distributed table could not do either): the video is
 * the row under its real id, created from the placeholder when it is not
 * tracked yet; what hangs on the placeholder (snapshots, campaign posts,
 * conversions) moves to it, and the placeholder row goes.  Returns the
 * real id.
 */
CREATE OR REPLACE FUNCTION tiktrack.resolve_placeholder(placeholder_id bigint, real_id bigint,
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
		INSERT INTO tiktrack.videos (id, creator_id, kind, url, state, track_until, next_fetch_at,
									 last_fetched_at, tracked_at, claimed_by, claimed_at)
			VALUES (real_id, v_creator, coalesce(resolve_placeholder.kind, p.kind), resolve_placeholder.url,
					CASE WHEN p.state = 'resolving' THEN 'tracking' ELSE p.state END,
					p.track_until, p.next_fetch_at, p.last_fetched_at, p.tracked_at,
					p.claimed_by, p.claimed_at);
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
							 THEN 'tracking' ELSE v.state END,
				next_fetch_at = coalesce(v.next_fetch_at, now())
			WHERE v.id = real_id;
	END IF;
	RETURN real_id;
END
$$;
COMMENT ON FUNCTION tiktrack.resolve_placeholder(bigint, bigint, text, text, text) IS
	'Internal: gives a short-link video its real TikTok id (the row under the real id, created or already tracked, takes over the placeholder''s snapshots, campaign posts and conversions; the placeholder row goes; no id is ever updated) and its creator. Used by the fetcher.';
