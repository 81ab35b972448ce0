/*
 * Scale-out on Citus (issue 13).
 *
 * A single-node install needs nothing here: distribute() is run once, by
 * hand, on a Citus coordinator whose workers are added; until then every
 * table is a plain table and every function works as on one node.
 *
 * The layout: everything per video (videos, snapshots, latest_snapshots,
 * the schedule, campaign_posts, traction_alerts) is hash-distributed by
 * the video id and colocated, so that a post's history, its latest
 * snapshot and its campaign links are on one shard and every per-video
 * join runs on the shards; creator_stats is distributed by creator; the
 * small shared tables (currencies, creators, tokens, campaigns, pay terms,
 * payments, rate cards) are reference tables, a copy on every node, so
 * that any shard joins them locally.  The worker's private tables
 * (oauth_states, fetch_log) and the sales with their attribution credits
 * (kept by statement triggers with transition tables, which no Citus
 * table can have) stay local tables of the coordinator.
 */

/*
 * Recomputes latest_snapshots from snapshots for the given videos (all
 * when NULL) and runs the traction-breakout check for the young ones.
 * On one node the triggers on snapshots do this for any INSERT but the
 * store step's; on a distributed install there are none (Citus runs a
 * shard's triggers on the node holding the shard, which cannot see that
 * the coordinator's store step runs), so after a plain INSERT INTO
 * tiktrack.snapshots the user calls this.
 */
CREATE FUNCTION tiktrack.sync_latest_snapshots(video_ids bigint[] DEFAULT NULL)
RETURNS bigint
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
	r record;
BEGIN
	-- whole statements over the shards: the latest row and the count of
	-- each video are computed where its snapshots are (colocated tables)
	INSERT INTO tiktrack.latest_snapshots AS l
		(video_id, captured_at, views, likes, comments, shares, saves, reach,
		 completion_rate, avg_watch_time_s, total_watch_time_s, source, snapshot_count)
	SELECT DISTINCT ON (s.video_id)
		   s.video_id, s.captured_at, s.views, s.likes, s.comments, s.shares, s.saves, s.reach,
		   s.completion_rate, s.avg_watch_time_s, s.total_watch_time_s, s.source,
		   count(*) OVER (PARTITION BY s.video_id)
	FROM tiktrack.snapshots s
	WHERE video_ids IS NULL OR s.video_id = ANY (video_ids)
	ORDER BY s.video_id, s.captured_at DESC
	ON CONFLICT (video_id) DO UPDATE
		SET captured_at = excluded.captured_at, views = excluded.views,
			likes = excluded.likes, comments = excluded.comments,
			shares = excluded.shares, saves = excluded.saves, reach = excluded.reach,
			completion_rate = excluded.completion_rate,
			avg_watch_time_s = excluded.avg_watch_time_s,
			total_watch_time_s = excluded.total_watch_time_s,
			source = excluded.source, snapshot_count = excluded.snapshot_count;
	GET DIAGNOSTICS n = ROW_COUNT;
	-- a video whose snapshots are all gone has no latest snapshot
	DELETE FROM tiktrack.latest_snapshots l
		WHERE (video_ids IS NULL OR l.video_id = ANY (video_ids))
		  AND NOT EXISTS (SELECT 1 FROM tiktrack.snapshots s
						  WHERE s.video_id = l.video_id);
	-- the same decision as the trigger takes on one node: young posts only
	FOR r IN
		SELECT l.video_id, l.captured_at AS as_of
		FROM tiktrack.latest_snapshots l
		JOIN tiktrack.videos v ON v.id = l.video_id
		WHERE (video_ids IS NULL OR l.video_id = ANY (video_ids))
		  AND v.posted_at > now() - tiktrack.early_window()
		  AND l.captured_at < v.posted_at + tiktrack.early_window()
		ORDER BY l.video_id
	LOOP
		BEGIN
			PERFORM tiktrack.check_traction_breakout(r.video_id, r.as_of);
		EXCEPTION WHEN OTHERS THEN
			RAISE WARNING 'traction check of video % failed: %', r.video_id, SQLERRM;
		END;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION tiktrack.sync_latest_snapshots(bigint[]) IS
	'Recomputes tiktrack.latest_snapshots of the given videos (all when NULL) from their snapshots and runs the traction-breakout check for the young ones; returns the number of latest snapshots written. Needed after a plain INSERT INTO tiktrack.snapshots on a distributed (Citus) install, where no trigger does it; harmless on one node.';
REVOKE EXECUTE ON FUNCTION tiktrack.sync_latest_snapshots(bigint[]) FROM PUBLIC;

/*
 * The role of this node in a Citus cluster: none (Citus is not installed
 * in this database), coordinator, or worker.  A node not yet added to a
 * cluster is its own coordinator (group 0).
 */
CREATE FUNCTION tiktrack.citus_role()
RETURNS text
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	g integer;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
		RETURN 'none';
	END IF;
	-- Citus' own catalog; dynamic: it exists only with Citus
	EXECUTE 'SELECT groupid FROM pg_catalog.pg_dist_local_group' INTO g;
	RETURN CASE WHEN coalesce(g, 0) = 0 THEN 'coordinator' ELSE 'worker' END;
END
$$;
COMMENT ON FUNCTION tiktrack.citus_role() IS
	'This node''s role in a Citus cluster: none (Citus is not installed in this database), coordinator (group 0, also a node not yet added to a cluster) or worker. The background worker fetches only where this is not worker.';

/*
 * The tables and how distribute() places them.  kind: reference,
 * distributed (by column, colocated with colocate_with) or local.
 */
CREATE FUNCTION tiktrack.citus_layout(
	OUT table_name text, OUT kind text, OUT distribution_column text, OUT colocate_with text)
RETURNS SETOF record
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT * FROM (VALUES
		-- reference tables, referenced ones first
		('currencies', 'reference', NULL, NULL),
		('creators', 'reference', NULL, NULL),
		('creator_tokens', 'reference', NULL, NULL),
		('campaigns', 'reference', NULL, NULL),
		('pay_terms', 'reference', NULL, NULL),
		('payments', 'reference', NULL, NULL),
		('rate_cards', 'reference', NULL, NULL),
		-- per video, colocated with videos
		('videos', 'distributed', 'id', NULL),
		('video_schedule', 'distributed', 'video_id', 'videos'),
		('snapshots', 'distributed', 'video_id', 'videos'),
		('latest_snapshots', 'distributed', 'video_id', 'videos'),
		('campaign_posts', 'distributed', 'video_id', 'videos'),
		('traction_alerts', 'distributed', 'video_id', 'videos'),
		-- per creator
		('creator_stats', 'distributed', 'creator_id', NULL),
		-- the worker's own, on the coordinator only
		('oauth_states', 'local', NULL, NULL),
		('fetch_log', 'local', NULL, NULL),
		-- sales and their attribution credits, on the coordinator only:
		-- statement triggers with transition tables keep the credits
		-- (76_money_credits.sql), which a Citus table cannot have
		('conversions', 'local', NULL, NULL),
		('promo_codes', 'local', NULL, NULL),
		('touches', 'local', NULL, NULL),
		('orders', 'local', NULL, NULL),
		('attribution_settings', 'local', NULL, NULL),
		('order_credits', 'local', NULL, NULL),
		('order_credit_days', 'local', NULL, NULL)
	) AS t(table_name, kind, distribution_column, colocate_with)
$$;
COMMENT ON FUNCTION tiktrack.citus_layout() IS
	'How tiktrack.distribute() places each table of tiktrack on Citus: reference (a copy on every node), distributed by distribution_column (colocated with colocate_with), or local (coordinator only).';

/*
 * Functions that take another body on a distributed install (run by
 * distribute() on every node, before citus_function_settings()): on one
 * node tiktrack.interpolated_counters() is a SQL function the planner
 * inlines into the signals' queries (twice as fast there); Citus plans no
 * SQL function's parameterized query over a distributed table, so on a
 * cluster it is the same query in PL/pgSQL.
 */
CREATE FUNCTION tiktrack.citus_function_replacements()
RETURNS SETOF text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $body$
	SELECT $q$CREATE OR REPLACE FUNCTION tiktrack.interpolated_counters(video_id bigint, posted_at timestamptz, at timestamptz)
RETURNS TABLE (views numeric, engagement numeric, saves numeric)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $f$
BEGIN
	-- PL/pgSQL on Citus (SQL on one node, where it is inlined): each call
	-- is one router query to the shard of the video, on the node that
	-- runs the caller's shard query.
	RETURN QUERY
	SELECT CASE WHEN a.captured_at = interpolated_counters.at THEN a.views::numeric
				ELSE b.views + (a.views - b.views) * b.done / b.span END,
		   CASE WHEN a.captured_at = interpolated_counters.at THEN a.engagement::numeric
				ELSE b.engagement + (a.engagement - b.engagement) * b.done / b.span END,
		   CASE WHEN a.captured_at = interpolated_counters.at THEN a.saves::numeric
				ELSE b.saves + (a.saves - b.saves) * b.done / b.span END
	FROM (SELECT h.captured_at, h.views,
				 coalesce(h.likes, 0) + coalesce(h.comments, 0) + coalesce(h.shares, 0) AS engagement,
				 coalesce(h.saves, 0) AS saves
		  FROM tiktrack.snapshots h
		  WHERE h.video_id = interpolated_counters.video_id
			AND h.captured_at >= interpolated_counters.at
		  ORDER BY h.captured_at
		  LIMIT 1) a
	LEFT JOIN LATERAL (
		SELECT h.captured_at, h.views,
			   coalesce(h.likes, 0) + coalesce(h.comments, 0) + coalesce(h.shares, 0) AS engagement,
			   coalesce(h.saves, 0) AS saves
		FROM tiktrack.snapshots h
		WHERE h.video_id = interpolated_counters.video_id
		  AND h.captured_at < interpolated_counters.at
		ORDER BY h.captured_at DESC
		LIMIT 1) p ON true
	CROSS JOIN LATERAL (
		SELECT CASE WHEN p.captured_at IS NULL THEN 0 ELSE p.views END AS views,
			   coalesce(p.engagement, 0) AS engagement,
			   coalesce(p.saves, 0) AS saves,
			   extract(epoch FROM interpolated_counters.at - coalesce(p.captured_at, interpolated_counters.posted_at)) AS done,
			   extract(epoch FROM a.captured_at - coalesce(p.captured_at, interpolated_counters.posted_at)) AS span) b
	WHERE interpolated_counters.at >= interpolated_counters.posted_at;
END
$f$$q$
$body$;
COMMENT ON FUNCTION tiktrack.citus_function_replacements() IS
	'The CREATE OR REPLACE FUNCTION statements tiktrack.distribute() runs on every node of a Citus cluster: tiktrack.interpolated_counters() in PL/pgSQL instead of SQL (Citus plans no SQL function''s parameterized query over a distributed table).';
REVOKE EXECUTE ON FUNCTION tiktrack.citus_function_replacements() FROM PUBLIC;

/*
 * The settings tiktrack's functions take on a distributed install (ALTER
 * FUNCTION statements, run by distribute() on every node):
 *   - readers (STABLE or IMMUTABLE, with a search_path of their own) may
 *     run distributed queries from a shard query: when Citus pushes a
 *     query calling tiktrack.interpolated_counters(v.id, ...) down to the
 *     shards of videos, each call reads the snapshots of its video, on
 *     the same node (colocated), committed data only;
 *   - functions planned generically on one node (plan_cache_mode =
 *     force_generic_plan) plan per call: Citus cannot plan a generic plan
 *     of a query that is not routed to one shard;
 *   - writers (VOLATILE) modify over one connection per node
 *     (citus.multi_shard_modify_mode = sequential): they write reference
 *     tables after reading distributed ones in one transaction.
 */
CREATE FUNCTION tiktrack.citus_function_settings()
RETURNS SETOF text
LANGUAGE sql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
	SELECT pg_catalog.format('ALTER FUNCTION %s SET %s', p.oid::regprocedure, s.setting)
	FROM pg_catalog.pg_proc p
	JOIN pg_catalog.pg_depend d
	  ON d.classid = 'pg_catalog.pg_proc'::regclass AND d.objid = p.oid AND d.deptype = 'e'
	JOIN pg_catalog.pg_extension e ON e.oid = d.refobjid AND e.extname = 'tiktrack'
	CROSS JOIN LATERAL (
		SELECT 'citus.allow_nested_distributed_execution = on'
		WHERE p.provolatile IN ('s', 'i') AND p.proconfig IS NOT NULL
		  AND p.prolang IN (SELECT l.oid FROM pg_catalog.pg_language l
							WHERE l.lanname IN ('sql', 'plpgsql'))
		UNION ALL
		SELECT 'plan_cache_mode = force_custom_plan'
		WHERE 'plan_cache_mode=force_generic_plan' = ANY (p.proconfig)
		UNION ALL
		SELECT 'citus.multi_shard_modify_mode = sequential'
		WHERE p.provolatile = 'v' AND p.prokind = 'f'
		  AND p.prolang = (SELECT l.oid FROM pg_catalog.pg_language l WHERE l.lanname = 'plpgsql')
	) s(setting)
	ORDER BY 1
$$;
COMMENT ON FUNCTION tiktrack.citus_function_settings() IS
	'The ALTER FUNCTION statements tiktrack.distribute() runs on every node of a Citus cluster: nested distributed execution for the reading functions (they are called in queries pushed down to the shards), plans per call instead of generic ones, and sequential modifications for the writing functions.';
REVOKE EXECUTE ON FUNCTION tiktrack.citus_function_settings() FROM PUBLIC;

/*
 * Runs a statement on every worker node, then here (distribute()'s set-up
 * of the functions: CREATE EXTENSION made them on every node, and Citus
 * propagates no DDL on an extension's own objects).
 */
CREATE FUNCTION tiktrack.citus_run_everywhere(command text)
RETURNS void
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	n bigint;
BEGIN
	-- (with DDL propagation off on the worker: a worker node refuses
	-- function DDL it would have to propagate, which this is not)
	EXECUTE 'SELECT count(*) FROM pg_catalog.run_command_on_workers($1) WHERE NOT success'
		INTO n USING 'SET LOCAL citus.enable_ddl_propagation = off; ' || command;
	IF n > 0 THEN
		RAISE EXCEPTION 'could not set up the functions on the worker nodes: % failed on % of them',
			pg_catalog.left(command, 200), n
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Check that every worker node is up and has tiktrack.';
	END IF;
	EXECUTE command;
END
$$;
COMMENT ON FUNCTION tiktrack.citus_run_everywhere(text) IS
	'Internal (tiktrack.distribute()): runs a statement on every Citus worker node, then on this node; an error when it fails on a worker.';
REVOKE EXECUTE ON FUNCTION tiktrack.citus_run_everywhere(text) FROM PUBLIC;

/*
 * Distributes tiktrack's tables on a Citus cluster.  Citus refuses to
 * distribute a table with triggers, with foreign keys it cannot enforce
 * (from a reference table to a distributed one, ON UPDATE CASCADE on the
 * distribution column) or with unique keys lacking the distribution
 * column, so distribute() drops those first, on the coordinator and on
 * the workers' copies of the tables (CREATE EXTENSION made them there
 * too), distributes, and then puts back every foreign key Citus can
 * enforce and every trigger that works on shards:
 *   - the token check fires on the node that holds the row
 *     (citus.enable_unsafe_triggers); the triggers that send events
 *     (video and creator state changes) are not put back: a worker node
 *     commits its part of a distributed transaction with PREPARE
 *     TRANSACTION, which a NOTIFY forbids;
 *   - the two triggers on snapshots (latest_snapshots, traction breakout)
 *     stand aside while the store step runs (WHEN NOT
 *     tiktrack.store_step_running()), which a shard cannot see: on a
 *     shard they would count the store step's snapshots twice.  They are
 *     not put back (nor 0.1.0's statement triggers, whose transition
 *     table Citus cannot join with distributed tables).  The worker's
 *     store step maintains latest_snapshots and runs the breakout check
 *     itself; after a plain INSERT INTO tiktrack.snapshots call
 *     tiktrack.sync_latest_snapshots().
 *   - videos.short_url stays indexed, without its unique constraint
 *     (Citus enforces uniqueness only with the distribution column).
 */
CREATE FUNCTION tiktrack.distribute(shard_count integer DEFAULT NULL)
RETURNS TABLE (table_name regclass, kind text, distribution_column text, colocated_with regclass)
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
	k record;
	v_rel regclass;
	v_cmd text;
	v_drops text[] := '{}';
	v_fks text[] := '{}';
	v_triggers text[] := '{}';
	v_tables text[];
	v_local text[];
	v_shards integer;
BEGIN
	IF NOT EXISTS (SELECT 1 FROM pg_extension WHERE extname = 'citus') THEN
		RAISE EXCEPTION 'Citus is not installed in database "%"', current_database()
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Load citus (shared_preload_libraries = ''citus,tiktrack''), CREATE EXTENSION citus, add the worker nodes, then run tiktrack.distribute() on the coordinator.';
	END IF;
	IF tiktrack.citus_role() <> 'coordinator' THEN
		RAISE EXCEPTION 'tiktrack.distribute() must run on the Citus coordinator, this node is a worker'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'Connect to the coordinator (the node where citus_add_node() was run).';
	END IF;
	IF shard_count IS NOT NULL AND (shard_count < 1 OR shard_count > 64000) THEN
		RAISE EXCEPTION 'shard_count must be between 1 and 64000, got %', shard_count
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	EXECUTE 'SELECT count(*) FROM pg_catalog.pg_dist_partition WHERE logicalrelid = ''tiktrack.videos''::regclass'
		INTO k;
	IF k.count > 0 THEN
		RAISE EXCEPTION 'tiktrack is distributed already'
			USING ERRCODE = 'object_not_in_prerequisite_state',
				  HINT = 'tiktrack.citus_layout() lists the layout; pg_catalog.pg_dist_partition holds what Citus made of it.';
	END IF;
	v_shards := coalesce(shard_count, current_setting('citus.shard_count')::integer);
	-- foreign keys to reference tables want one connection per node
	PERFORM set_config('citus.multi_shard_modify_mode', 'sequential', true);
	-- the tables of this version (video_schedule and the money tables may
	-- be absent from an older schema)
	SELECT array_agg(l.table_name) INTO v_tables
		FROM tiktrack.citus_layout() l
		WHERE l.kind <> 'local' AND to_regclass('tiktrack.' || l.table_name) IS NOT NULL;
	SELECT array_agg(l.table_name) INTO v_local
		FROM tiktrack.citus_layout() l
		WHERE l.kind = 'local' AND to_regclass('tiktrack.' || l.table_name) IS NOT NULL;

	-- foreign keys between tiktrack's tables, and triggers on them
	FOR k IN
		SELECT c.conname, r.relname, pg_get_constraintdef(c.oid) AS def,
			   f.relname AS target
		FROM pg_constraint c
		JOIN pg_class r ON r.oid = c.conrelid
		JOIN pg_class f ON f.oid = c.confrelid
		WHERE c.contype = 'f' AND r.relnamespace = 'tiktrack'::regnamespace
		  AND (r.relname = ANY (v_tables)
			   -- a local table's key to a Citus table: Citus would make the
			   -- local table a Citus table, which an extension's table
			   -- cannot become
			   OR (r.relname = ANY (v_local) AND f.relname = ANY (v_tables)))
		ORDER BY r.relname, c.conname
	LOOP
		v_drops := v_drops || format('ALTER TABLE tiktrack.%I DROP CONSTRAINT IF EXISTS %I',
									 k.relname, k.conname);
		IF k.relname = ANY (v_local) THEN
			CONTINUE;
		END IF;
		-- Citus enforces no key from a reference table to a distributed
		-- one, nor ON UPDATE CASCADE (ids never change anyway)
		IF (SELECT l.kind FROM tiktrack.citus_layout() l WHERE l.table_name = k.relname) = 'reference'
		   AND (SELECT l.kind FROM tiktrack.citus_layout() l WHERE l.table_name = k.target) = 'distributed' THEN
			CONTINUE;
		END IF;
		v_fks := v_fks || format('ALTER TABLE tiktrack.%I ADD CONSTRAINT %I %s', k.relname, k.conname,
								 replace(k.def, ' ON UPDATE CASCADE', ''));
	END LOOP;
	FOR k IN
		SELECT g.tgname, r.relname, pg_get_triggerdef(g.oid) AS def,
			   g.tgnewtable IS NOT NULL OR g.tgoldtable IS NOT NULL AS transition,
			   f.prosrc ~ 'pg_notify' AS notifies
		FROM pg_trigger g
		JOIN pg_class r ON r.oid = g.tgrelid
		JOIN pg_proc f ON f.oid = g.tgfoid
		WHERE NOT g.tgisinternal AND r.relnamespace = 'tiktrack'::regnamespace
		  AND r.relname = ANY (v_tables)
		ORDER BY r.relname, g.tgname
	LOOP
		v_drops := v_drops || format('DROP TRIGGER IF EXISTS %I ON tiktrack.%I', k.tgname, k.relname);
		-- not the triggers that stand aside for the store step: on a shard
		-- they cannot see that it runs (it runs on the coordinator); nor
		-- those that NOTIFY: a worker node commits its part of a
		-- distributed transaction with PREPARE TRANSACTION, which a NOTIFY
		-- forbids
		IF NOT k.transition AND k.def !~ 'store_step_running' AND NOT k.notifies THEN
			v_triggers := v_triggers || k.def;
		END IF;
	END LOOP;
	IF to_regclass('tiktrack.videos_short_url_key') IS NOT NULL THEN
		v_drops := v_drops || 'ALTER TABLE tiktrack.videos DROP CONSTRAINT IF EXISTS videos_short_url_key'::text;
	END IF;

	-- on the workers' copies (not Citus tables yet: nothing propagates),
	-- then here
	FOREACH v_cmd IN ARRAY v_drops LOOP
		EXECUTE format('SELECT count(*) FROM pg_catalog.run_command_on_workers(%L) WHERE NOT success', v_cmd)
			INTO k;
		IF k.count > 0 THEN
			RAISE EXCEPTION 'could not prepare the worker nodes: % failed on % of them', v_cmd, k.count
				USING ERRCODE = 'object_not_in_prerequisite_state',
					  HINT = 'Check that every worker node is up and has tiktrack (SELECT * FROM run_command_on_workers(''SELECT extversion FROM pg_extension WHERE extname = ''''tiktrack''''''))).';
		END IF;
		EXECUTE v_cmd;
	END LOOP;
	IF to_regclass('tiktrack.videos_short_url_idx') IS NULL THEN
		CREATE INDEX videos_short_url_idx ON tiktrack.videos (short_url) WHERE short_url IS NOT NULL;
	END IF;

	FOR t IN
		SELECT l.* FROM tiktrack.citus_layout() l
		WHERE l.table_name = ANY (v_tables)
		ORDER BY l.kind DESC, l.colocate_with NULLS FIRST
	LOOP
		v_rel := ('tiktrack.' || t.table_name)::regclass;
		IF t.kind = 'reference' THEN
			PERFORM pg_catalog.create_reference_table(v_rel);
		ELSIF t.colocate_with IS NULL THEN
			PERFORM pg_catalog.create_distributed_table(v_rel, t.distribution_column,
														shard_count => v_shards, colocate_with => 'none');
		ELSE
			PERFORM pg_catalog.create_distributed_table(v_rel, t.distribution_column,
														colocate_with => 'tiktrack.' || t.colocate_with);
		END IF;
		-- the rows now live in the shards; the coordinator's copy goes
		PERFORM pg_catalog.truncate_local_data_after_distributing_table(v_rel);
	END LOOP;

	FOREACH v_cmd IN ARRAY v_fks LOOP
		EXECUTE v_cmd;
	END LOOP;
	PERFORM set_config('citus.enable_unsafe_triggers', 'on', true);
	FOREACH v_cmd IN ARRAY v_triggers LOOP
		EXECUTE v_cmd;
	END LOOP;

	-- How tiktrack's functions run on Citus, on every node (a function
	-- called in a query pushed down to the shards runs on a worker): their
	-- bodies first (a new body drops a function's settings), then their
	-- settings.
	FOR v_cmd IN SELECT tiktrack.citus_function_replacements() LOOP
		PERFORM tiktrack.citus_run_everywhere(v_cmd);
	END LOOP;
	FOR v_cmd IN SELECT tiktrack.citus_function_settings() LOOP
		PERFORM tiktrack.citus_run_everywhere(v_cmd);
	END LOOP;

	RETURN QUERY
		SELECT ('tiktrack.' || l.table_name)::regclass, l.kind, l.distribution_column,
			   CASE WHEN l.colocate_with IS NOT NULL THEN ('tiktrack.' || l.colocate_with)::regclass END
		FROM tiktrack.citus_layout() l
		WHERE l.table_name = ANY (v_tables || v_local)
		ORDER BY l.kind DESC, l.table_name;
END
$$;
COMMENT ON FUNCTION tiktrack.distribute(integer) IS
	'Distributes tiktrack on a Citus cluster; run once on the coordinator after CREATE EXTENSION tiktrack and citus_add_node() of every worker. Per-video tables by video id, colocated with videos (shard_count shards, default citus.shard_count); creator_stats by creator; the shared tables as reference tables; sales, attribution credits and the worker''s own tables stay local tables of the coordinator (tiktrack.citus_layout() lists them). Drops what Citus cannot enforce or run: the foreign keys of the local tables to Citus tables, ON UPDATE CASCADE, the unique constraint on videos.short_url (kept as an index), the triggers on snapshots (call tiktrack.sync_latest_snapshots() after a plain INSERT INTO tiktrack.snapshots) and the triggers that NOTIFY. Gives some functions another body or settings on every node (citus_function_replacements(), citus_function_settings()). Returns the layout.';
REVOKE EXECUTE ON FUNCTION tiktrack.distribute(integer) FROM PUBLIC;
