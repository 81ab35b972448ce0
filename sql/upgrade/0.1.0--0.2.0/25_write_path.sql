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
