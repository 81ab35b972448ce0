/*
 * The background worker's side of the schema: claiming due work,
 * rescheduling creators, releasing claims after a crash, pruning the
 * fetch log, events for applications, and tiktrack.worker_status.
 *
 * The worker (src/worker.c) calls these functions; they are not meant for
 * applications and are not executable by PUBLIC.  The cadence and backoff
 * arithmetic is C (src/schedule.c); what is set-based lives here.  A
 * batch of videos is written by the store step that tiktrack.refresh()
 * uses too (src/snapshot_store.c): its snapshots, and each video's
 * outcome with the next fetch the worker decided and the end of its
 * claim in one row update.
 */

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

CREATE FUNCTION tiktrack.postpone_videos(ids bigint[], due_at timestamptz[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	-- PL/pgSQL, not SQL: Citus plans no SQL function's parameterized query
	-- over a distributed table
	UPDATE tiktrack.video_schedule s
		SET next_fetch_at = u.due_at
		FROM ROWS FROM (pg_catalog.unnest(postpone_videos.ids), pg_catalog.unnest(postpone_videos.due_at))
			AS u(id, due_at)
		WHERE s.video_id = u.id AND s.next_fetch_at IS NOT NULL
		  AND s.video_id = ANY (postpone_videos.ids);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION tiktrack.postpone_videos(bigint[], timestamptz[]) IS
	'Worker: makes claimed videos due again at the given times, unfetched (the rate limiter had no room for them).';

CREATE FUNCTION tiktrack.release_failed_claims(video_ids bigint[], retry_after interval,
											   error text, failing_after integer)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	-- one moment for both tables (on Citus: taken on the coordinator)
	v_now timestamptz := pg_catalog.now();
	n bigint;
BEGIN
	-- PL/pgSQL, two statements: Citus plans no SQL function's
	-- parameterized query over distributed tables
	UPDATE tiktrack.video_schedule s
		SET next_fetch_at = v_now + release_failed_claims.retry_after
		WHERE s.video_id = ANY (release_failed_claims.video_ids) AND s.next_fetch_at IS NOT NULL;
	UPDATE tiktrack.videos v
		SET fetch_failures = v.fetch_failures + 1,
			-- a failure is a failure on this path too
			state = CASE WHEN v.state = 'tracking'
							  AND v.fetch_failures + 1 >= release_failed_claims.failing_after
						 THEN 'failing' ELSE v.state END,
			last_error = release_failed_claims.error,
			last_error_at = v_now
		WHERE v.id = ANY (release_failed_claims.video_ids);
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION tiktrack.release_failed_claims(bigint[], interval, text, integer) IS
	'Worker, after an error in a round: that round''s videos are due again after retry_after, with one failure counted (failing after failing_after in a row) and the error as last_error.';

CREATE FUNCTION tiktrack.next_due_at()
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

/*
 * Creators whose account stats are due (daily by default), oldest first;
 * leased like videos.
 */
CREATE FUNCTION tiktrack.claim_due_creators(max_creators integer, refresh_ahead_s integer)
RETURNS TABLE (creator_id bigint, api text)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v_now timestamptz := now();
BEGIN
	-- PL/pgSQL, not SQL: Citus plans no SQL function's parameterized query
	RETURN QUERY
	WITH due AS (
		SELECT c.id
		FROM tiktrack.creators c
		WHERE c.auth_status = 'authorized' AND c.authorized_via IS NOT NULL
		  AND (c.stats_next_fetch_at IS NULL OR c.stats_next_fetch_at <= v_now
			   -- the access token expires soon: refresh it now (at most
			   -- every 5 minutes per creator, whatever the outcome)
			   OR (c.updated_at < v_now - interval '5 minutes'
				   AND EXISTS (SELECT 1 FROM tiktrack.creator_tokens t
							   WHERE t.creator_id = c.id
								 AND t.access_expires_at <= v_now + make_interval(secs => refresh_ahead_s))))
		ORDER BY c.stats_next_fetch_at NULLS FIRST
		LIMIT max_creators
		FOR UPDATE SKIP LOCKED
	)
	UPDATE tiktrack.creators c
		SET stats_next_fetch_at = v_now + interval '10 minutes'
		FROM due
		WHERE c.id = due.id
		RETURNING c.id, c.authorized_via;
END
$$;
COMMENT ON FUNCTION tiktrack.claim_due_creators(integer, integer) IS
	'Worker: claims up to max_creators authorized creators whose account stats are due or whose access token expires within refresh_ahead_s seconds, leasing them for 10 minutes.';

CREATE FUNCTION tiktrack.reschedule_creators(ids bigint[], next_at timestamptz[])
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	-- PL/pgSQL, not SQL: Citus plans no SQL function's parameterized query
	UPDATE tiktrack.creators c
		SET stats_next_fetch_at = u.next_at
		FROM unnest(reschedule_creators.ids, reschedule_creators.next_at) AS u(id, next_at)
		WHERE c.id = u.id;
	GET DIAGNOSTICS n = ROW_COUNT;
	RETURN n;
END
$$;
COMMENT ON FUNCTION tiktrack.reschedule_creators(bigint[], timestamptz[]) IS
	'Worker: sets when each creator''s account stats are fetched next.';

/*
 * Deletes at most max_rows fetch_log rows older than the retention, so
 * pruning a large backlog never holds long locks or bloats one
 * transaction; the worker calls it again while it returns max_rows.
 */
CREATE FUNCTION tiktrack.prune_fetch_log(retention interval, max_rows integer DEFAULT 1000)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	deleted bigint;
BEGIN
	DELETE FROM tiktrack.fetch_log l
	WHERE l.ctid = ANY (ARRAY(
		SELECT o.ctid FROM tiktrack.fetch_log o
		WHERE o.requested_at < now() - retention
		ORDER BY o.requested_at
		LIMIT max_rows));
	GET DIAGNOSTICS deleted = ROW_COUNT;
	RETURN deleted;
END
$$;
COMMENT ON FUNCTION tiktrack.prune_fetch_log(interval, integer) IS
	'Deletes up to max_rows tiktrack.fetch_log rows older than retention (the worker uses tiktrack.log_retention) and returns how many it deleted.';

/* ---- events: NOTIFY tiktrack_events, JSON payloads ---- */

/*
 * Any role that can connect may LISTEN (PostgreSQL cannot restrict it):
 * payloads carry event names and ids only, and tiktrack.events (superuser
 * only) switches the events off.
 */
CREATE FUNCTION tiktrack.events_enabled()
RETURNS boolean
AS 'MODULE_PATHNAME', 'tiktrack_events_enabled'
LANGUAGE C STABLE STRICT PARALLEL SAFE;
COMMENT ON FUNCTION tiktrack.events_enabled() IS
	'Whether tiktrack sends NOTIFY tiktrack_events: the setting tiktrack.events (on by default; only a superuser can change it).';

/*
 * One snapshot.created event per written batch; a batch larger than 200
 * videos is announced in several payloads (NOTIFY payloads are limited to
 * 8000 bytes), each listing its video ids.
 */
CREATE FUNCTION tiktrack.notify_snapshots_created(video_ids bigint[], captured_at timestamptz)
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

CREATE FUNCTION tiktrack.notify_video_state()
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

-- The store step sends these events itself (from the coordinator on a
-- Citus cluster, where a trigger on a shard cannot NOTIFY): the trigger
-- is for every other writer.
CREATE TRIGGER videos_notify_state
	AFTER UPDATE OF state ON tiktrack.videos
	FOR EACH ROW
	WHEN (NEW.state IN ('completed', 'unavailable') AND OLD.state IS DISTINCT FROM NEW.state
		  AND NOT tiktrack.store_step_running())
	EXECUTE FUNCTION tiktrack.notify_video_state();

CREATE FUNCTION tiktrack.notify_creator_reauthorization()
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

CREATE TRIGGER creators_notify_reauthorization
	AFTER UPDATE OF auth_status ON tiktrack.creators
	FOR EACH ROW
	WHEN (NEW.auth_status = 'reauthorization_needed' AND OLD.auth_status IS DISTINCT FROM NEW.auth_status
		  AND NOT tiktrack.store_step_running())
	EXECUTE FUNCTION tiktrack.notify_creator_reauthorization();

/*
 * Tokens stored by an authorization (connect_creator,
 * complete_authorization: an INSERT ... ON CONFLICT DO UPDATE, which
 * fires the INSERT statement triggers) make a creator's stats and waiting
 * videos fetchable: wake the worker when that commits.  Every path that
 * authorizes a creator stores tokens, so this is the one place.  A
 * rotation after a token refresh is a plain UPDATE and wakes nobody: it
 * makes no new work, and the worker rotates tokens itself.
 */
CREATE FUNCTION tiktrack.wake_worker_trigger()
RETURNS trigger
LANGUAGE plpgsql
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM tiktrack.wake_worker_on_commit();
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION tiktrack.wake_worker_trigger() IS
	'Trigger function: wakes the background worker when the transaction commits.';

CREATE TRIGGER creator_tokens_wake_worker
	AFTER INSERT ON tiktrack.creator_tokens
	FOR EACH STATEMENT EXECUTE FUNCTION tiktrack.wake_worker_trigger();

/* ---- worker_status ---- */

CREATE FUNCTION tiktrack.worker_info(OUT pid integer, OUT state text, OUT state_since timestamptz,
									 OUT started_at timestamptz, OUT starts integer,
									 OUT last_success_display timestamptz,
									 OUT last_success_business timestamptz)
RETURNS record
AS 'MODULE_PATHNAME', 'tiktrack_worker_info'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION tiktrack.worker_info() IS
	'The background worker of the current database (one per database with the extension, started by the tiktrack launcher): its process id (NULL when not running), state, start time, number of starts since the database got a worker, and last successful request per API, from shared memory.';

CREATE FUNCTION tiktrack.worker_videos_in_flight()
RETURNS bigint
AS 'MODULE_PATHNAME', 'tiktrack_worker_videos_in_flight'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION tiktrack.worker_videos_in_flight() IS
	'How many videos the background worker of the current database is fetching right now (claimed by its round in progress), from shared memory; 0 between rounds.';

CREATE FUNCTION tiktrack.worker_counters()
RETURNS TABLE (counter text, last_minute bigint, last_hour bigint, total bigint)
AS 'MODULE_PATHNAME', 'tiktrack_worker_counters'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION tiktrack.worker_counters() IS
	'The counters of the background worker of the current database (requests, snapshots, creator_stats, videos_claimed, rate_limit_waits, and errors by kind) over the last minute, the last hour and since the database got a worker.';

CREATE FUNCTION tiktrack.rate_limits()
RETURNS TABLE (limiter text, limits text, available integer, speed float8,
			   blocked_until timestamptz, throttles bigint, waits bigint, waited_s float8)
AS 'MODULE_PATHNAME', 'tiktrack_rate_limits'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION tiktrack.rate_limits() IS
	'The token buckets in shared memory, one per API (per endpoint for the Display API): configured limits, requests available now, speed (1 = full; halved by every throttle from TikTok), when a throttle ends, how often TikTok throttled us, and how often and how long the worker and synchronous calls (tiktrack.refresh(), refresh_creator()) waited for the budget they share.';

CREATE FUNCTION tiktrack.worker_backlog()
RETURNS TABLE (api text, waiting_since timestamptz)
AS 'MODULE_PATHNAME', 'tiktrack_worker_backlog'
LANGUAGE C VOLATILE STRICT PARALLEL RESTRICTED;
COMMENT ON FUNCTION tiktrack.worker_backlog() IS
	'Per API (display, business), since when the oldest video the background worker postponed for lack of request budget has been due, from shared memory; no row for an API where nothing waits.';

CREATE VIEW tiktrack.worker_status AS
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

REVOKE ALL ON FUNCTION tiktrack.claim_due_videos(integer, interval),
	tiktrack.postpone_videos(bigint[], timestamptz[]),
	tiktrack.release_failed_claims(bigint[], interval, text, integer),
	tiktrack.claim_due_creators(integer, integer),
	tiktrack.reschedule_creators(bigint[], timestamptz[]),
	tiktrack.prune_fetch_log(interval, integer),
	tiktrack.notify_snapshots_created(bigint[], timestamptz)
	FROM PUBLIC;

-- The launcher starts this database's worker as soon as the extension is created.
SELECT tiktrack.wake_worker_on_commit();
