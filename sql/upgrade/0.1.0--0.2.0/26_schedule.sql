/*
 * 0.2.0: the worker's write path (issue 12).  Schedule state leaves the
 * wide videos row for tiktrack.video_schedule (one narrow row per video:
 * next_fetch_at, last_fetched_at); claims are no longer written
 * (videos.claimed_by/claimed_at go, with release_orphaned_claims();
 * claim_due_videos() is the worker's own claim, in C, and writes nothing).
 * Every video keeps its schedule: a video claimed when the old worker
 * stopped (its lease in next_fetch_at) is due at once.
 */

/*
 * When each video is fetched next, apart from the wide videos row: the
 * worker reschedules every fetched video, and a narrow row makes that a
 * cheap update, while videos changes only when a video's state, error or
 * metadata does.  One row per video, made with it (track(), add_posts(), a
 * resolved short link).  The worker's claim of due videos writes nothing:
 * one worker serves a database, and a claim it did not complete leaves the
 * videos due, so a killed worker loses and duplicates nothing.
 *
 * The claim finds due videos by claim_at, not next_fetch_at.  A trigger
 * sets claim_at to next_fetch_at on every write, so a video anyone
 * schedules (UPDATE ... SET next_fetch_at = now() included) is in the due
 * indexes, and wakes the worker when the transaction commits.  The
 * worker's own store step writes claim_at NULL instead and keeps the video
 * in its queue in memory (src/held_videos.c, rebuilt from this table when
 * it starts): its reschedules then change no indexed column, so they are
 * HOT updates that add no index entry.
 */
CREATE TABLE tiktrack.video_schedule (
	video_id	bigint PRIMARY KEY REFERENCES tiktrack.videos (id) ON DELETE CASCADE,
	next_fetch_at timestamptz,
	last_fetched_at timestamptz,
	creator_id	bigint,
	claim_at	timestamptz
)
-- Room on every page for the next version of each row: a held video's
-- reschedule stays on its page (HOT) until pruning reclaims the old one.
WITH (fillfactor = 50);
COMMENT ON TABLE tiktrack.video_schedule IS
	'One row per tracked video: when the background worker fetches it next (NULL: not scheduled) and when it last fetched it successfully. UPDATE tiktrack.video_schedule SET next_fetch_at = now() makes a video due at once.';
COMMENT ON COLUMN tiktrack.video_schedule.video_id IS 'The video (tiktrack.videos.id).';
COMMENT ON COLUMN tiktrack.video_schedule.next_fetch_at IS 'When the next snapshot is due; NULL when not scheduled (stopped, completed, unavailable).';
COMMENT ON COLUMN tiktrack.video_schedule.last_fetched_at IS 'When the worker or tiktrack.refresh() last stored a snapshot of the video fetched from TikTok.';
COMMENT ON COLUMN tiktrack.video_schedule.creator_id IS 'The video''s creator (as tiktrack.videos.creator_id), so that the claim finds a creator''s videos due soon by index.';
COMMENT ON COLUMN tiktrack.video_schedule.claim_at IS 'Internal: when the worker''s claim finds the video by index. Every write sets it to next_fetch_at (trigger video_schedule_claim_at); NULL while the background worker holds the video in its own queue in memory.';
-- The worker claims due videos through this index, never by a scan,
CREATE INDEX video_schedule_due_idx ON tiktrack.video_schedule (claim_at)
	WHERE claim_at IS NOT NULL;
-- and the videos of the same creators due soon after (they share
-- requests) through this one: a few index entries per creator, whatever
-- the number of videos tracked.
CREATE INDEX video_schedule_creator_due_idx ON tiktrack.video_schedule (creator_id, claim_at)
	WHERE claim_at IS NOT NULL;

CREATE FUNCTION tiktrack.video_schedule_claim_at()
RETURNS trigger
AS 'MODULE_PATHNAME', 'tiktrack_video_schedule_claim_at'
LANGUAGE C;
COMMENT ON FUNCTION tiktrack.video_schedule_claim_at() IS
	'Trigger function: a written video_schedule row is found by the worker''s claim through its due indexes (claim_at := next_fetch_at), and the worker wakes when the transaction commits.';
-- Every writer but the worker's store step, which writes the row directly
-- and keeps the video in its own queue.
CREATE TRIGGER video_schedule_claim_at
	BEFORE INSERT OR UPDATE ON tiktrack.video_schedule
	FOR EACH ROW EXECUTE FUNCTION tiktrack.video_schedule_claim_at();
REVOKE EXECUTE ON FUNCTION tiktrack.video_schedule_claim_at() FROM PUBLIC;

INSERT INTO tiktrack.video_schedule (video_id, next_fetch_at, last_fetched_at, creator_id)
SELECT v.id, CASE WHEN v.claimed_by IS NOT NULL AND v.next_fetch_at IS NOT NULL THEN now()
				  ELSE v.next_fetch_at END,
	   v.last_fetched_at, v.creator_id
FROM tiktrack.videos v;
SELECT pg_catalog.pg_extension_config_dump('tiktrack.video_schedule', '');

CREATE FUNCTION tiktrack.worker_videos_in_flight()
RETURNS bigint
AS 'MODULE_PATHNAME', 'tiktrack_worker_videos_in_flight'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION tiktrack.worker_videos_in_flight() IS
	'How many videos the background worker of the current database is fetching right now (claimed by its round in progress), from shared memory; 0 between rounds.';

CREATE OR REPLACE VIEW tiktrack.worker_status AS
SELECT w.pid,
	   w.state,
	   w.state_since,
	   w.started_at,
	   w.starts,
	   (SELECT count(*) FROM tiktrack.videos v
		WHERE v.state IN ('tracking', 'failing', 'awaiting_authorization', 'resolving')) AS tracked_videos,
	   (SELECT count(*) FROM tiktrack.video_schedule s WHERE s.next_fetch_at <= now()) AS due_videos,
	   tiktrack.worker_videos_in_flight() AS videos_in_flight,
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
						   s.next_fetch_at AS oldest
					FROM tiktrack.video_schedule s
					JOIN tiktrack.videos v ON v.id = s.video_id
					LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id
					WHERE s.next_fetch_at <= pg_catalog.now()
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


DROP FUNCTION tiktrack.claim_due_videos(integer, interval);
/*
 * What the worker claims next: up to max_videos due videos, oldest due
 * first, and the videos of the same creators due within coalesce_window
 * (they share requests).  The claim writes nothing: one worker serves a
 * database and stores a round before it claims the next, and a round it
 * never stored leaves its videos due (src/worker_videos.c).
 */
CREATE FUNCTION tiktrack.claim_due_videos(max_videos integer,
										  coalesce_window interval DEFAULT '0')
RETURNS TABLE (video_id bigint, creator_id bigint, api text, posted_at timestamptz,
			   track_until timestamptz, fetch_failures integer, due_at timestamptz)
AS 'MODULE_PATHNAME', 'tiktrack_claim_due_videos'
LANGUAGE C VOLATILE STRICT PARALLEL UNSAFE;
COMMENT ON FUNCTION tiktrack.claim_due_videos(integer, interval) IS
	'Worker: the videos its next round claims from the due indexes, as the worker''s own claim finds them (changing nothing; the videos the worker holds in its own queue, claim_at NULL, are not among them): up to max_videos due videos, oldest due first, and the videos of the same creators due within coalesce_window; with what scheduling needs, the API of their creator (NULL when not authorized) and when each fell due, oldest first.';

DROP FUNCTION tiktrack.release_orphaned_claims();
DROP FUNCTION tiktrack.release_failed_claims(integer, bigint[], interval, text, integer);
CREATE FUNCTION tiktrack.release_failed_claims(video_ids bigint[], retry_after interval,
											   error text, failing_after integer)
RETURNS bigint
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH retried AS (
		UPDATE tiktrack.video_schedule s
			SET next_fetch_at = pg_catalog.now() + release_failed_claims.retry_after
			WHERE s.video_id = ANY (release_failed_claims.video_ids) AND s.next_fetch_at IS NOT NULL
	), done AS (
		UPDATE tiktrack.videos v
			SET fetch_failures = v.fetch_failures + 1,
				-- a failure is a failure on this path too
				state = CASE WHEN v.state = 'tracking'
								  AND v.fetch_failures + 1 >= release_failed_claims.failing_after
							 THEN 'failing' ELSE v.state END,
				last_error = release_failed_claims.error,
				last_error_at = pg_catalog.now()
			WHERE v.id = ANY (release_failed_claims.video_ids)
			RETURNING 1
	)
	SELECT pg_catalog.count(*) FROM done
$$;
COMMENT ON FUNCTION tiktrack.release_failed_claims(bigint[], interval, text, integer) IS
	'Worker, after an error in a round: that round''s videos are due again after retry_after, with one failure counted (failing after failing_after in a row) and the error as last_error.';

CREATE OR REPLACE FUNCTION tiktrack.postpone_videos(ids bigint[], due_at timestamptz[])
RETURNS bigint
LANGUAGE sql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
	WITH done AS (
		UPDATE tiktrack.video_schedule s
			SET next_fetch_at = u.due_at
			FROM ROWS FROM (pg_catalog.unnest(postpone_videos.ids), pg_catalog.unnest(postpone_videos.due_at))
				AS u(id, due_at)
			WHERE s.video_id = u.id AND s.next_fetch_at IS NOT NULL
			  AND s.video_id = ANY (postpone_videos.ids)
			RETURNING 1
	)
	SELECT pg_catalog.count(*) FROM done
$$;
COMMENT ON FUNCTION tiktrack.postpone_videos(bigint[], timestamptz[]) IS
	'Worker: makes claimed videos due again at the given times, unfetched (the rate limiter had no room for them).';

CREATE OR REPLACE FUNCTION tiktrack.next_due_at()
RETURNS timestamptz
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT least((SELECT min(s.claim_at) FROM tiktrack.video_schedule s
				  WHERE s.claim_at IS NOT NULL),
				 (SELECT min(coalesce(c.stats_next_fetch_at, '-infinity')) FROM tiktrack.creators c
				  WHERE c.auth_status = 'authorized' AND c.authorized_via IS NOT NULL))
$$;
COMMENT ON FUNCTION tiktrack.next_due_at() IS
	'Worker: when the next video found by the due indexes (claim_at) or the next creator is due for a fetch (NULL: nothing scheduled); the worker also looks at the videos it holds in memory, and sleeps until the earliest.';

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


CREATE OR REPLACE FUNCTION tiktrack.untrack(video_id bigint)
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


/* latest_snapshots: a row trigger that the store step's statements skip */
/*
 * true while the fetcher's store step runs its own statements, which keep
 * latest_snapshots (and judge early traction) from their batch: the
 * triggers below do not fire for them.
 */
CREATE FUNCTION tiktrack.store_step_running()
RETURNS boolean
AS 'MODULE_PATHNAME', 'tiktrack_store_step_running'
LANGUAGE C VOLATILE PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.store_step_running() IS
	'Internal: true while the fetcher''s store step inserts its batch of snapshots (it keeps latest_snapshots itself), for the WHEN of the triggers on tiktrack.snapshots.';

CREATE OR REPLACE FUNCTION tiktrack.snapshots_keep_latest()
RETURNS trigger
AS 'MODULE_PATHNAME', 'tiktrack_snapshots_keep_latest_row'
LANGUAGE C
SET search_path = pg_catalog, pg_temp;
COMMENT ON FUNCTION tiktrack.snapshots_keep_latest() IS
	'Trigger function: folds a newly inserted snapshot into tiktrack.latest_snapshots (any INSERT INTO tiktrack.snapshots but the fetcher''s store step, which keeps latest_snapshots itself, from its batch, in the statement that inserts the snapshots).';

-- A row trigger, not a statement trigger with a transition table: the
-- store step's statements capture nothing (the WHEN keeps it from firing
-- there), and a distributed table can have it.
DROP TRIGGER snapshots_keep_latest ON tiktrack.snapshots;
CREATE TRIGGER snapshots_keep_latest
	AFTER INSERT ON tiktrack.snapshots
	FOR EACH ROW WHEN (NOT tiktrack.store_step_running())
	EXECUTE FUNCTION tiktrack.snapshots_keep_latest();

/* the state events: the store step sends them itself (see 60_worker.sql) */
DROP TRIGGER videos_notify_state ON tiktrack.videos;
-- The store step sends these events itself (from the coordinator on a
-- Citus cluster, where a trigger on a shard cannot NOTIFY): the trigger
-- is for every other writer.
CREATE TRIGGER videos_notify_state
	AFTER UPDATE OF state ON tiktrack.videos
	FOR EACH ROW
	WHEN (NEW.state IN ('completed', 'unavailable') AND OLD.state IS DISTINCT FROM NEW.state
		  AND NOT tiktrack.store_step_running())
	EXECUTE FUNCTION tiktrack.notify_video_state();
DROP TRIGGER creators_notify_reauthorization ON tiktrack.creators;
CREATE TRIGGER creators_notify_reauthorization
	AFTER UPDATE OF auth_status ON tiktrack.creators
	FOR EACH ROW
	WHEN (NEW.auth_status = 'reauthorization_needed' AND OLD.auth_status IS DISTINCT FROM NEW.auth_status
		  AND NOT tiktrack.store_step_running())
	EXECUTE FUNCTION tiktrack.notify_creator_reauthorization();

ALTER TABLE tiktrack.videos
	DROP COLUMN next_fetch_at,
	DROP COLUMN last_fetched_at,
	DROP COLUMN claimed_by,
	DROP COLUMN claimed_at;

REVOKE ALL ON FUNCTION tiktrack.claim_due_videos(integer, interval),
	tiktrack.postpone_videos(bigint[], timestamptz[]),
	tiktrack.release_failed_claims(bigint[], interval, text, integer)
	FROM PUBLIC;
