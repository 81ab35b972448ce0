/*
 * Signals from our own history (issue 10): a post's views at an age,
 * same-age benchmarks, early traction with a breakout event, view
 * forecasts with intervals and their backtest, explainable fraud signals
 * and an authenticity score.
 *
 * Everything builds on one primitive, the counters of a post at a moment
 * (tiktrack.interpolated_counters): exact when a snapshot was captured at
 * that moment, else linear in time between the last snapshot before it and
 * the first after it (before the first snapshot: from 0 at posted_at);
 * nothing without a snapshot at or after the moment (never extrapolated).
 * It is two backward/forward steps of the snapshots primary key, never a
 * walk over a post's history, and an inlinable SQL function, so queries
 * over many posts plan it as two index probes per post.
 *
 * SQL-standard bodies (BEGIN ATOMIC) are parsed when created, so their
 * names are bound to tiktrack's and pg_catalog's objects whatever the
 * caller's search_path; PL/pgSQL functions pin search_path.
 */

CREATE FUNCTION tiktrack.early_window()
RETURNS interval
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tiktrack_early_window';
COMMENT ON FUNCTION tiktrack.early_window() IS
	'The worker''s early window (setting tiktrack.early_window, default 6 hours): how long after posting a post is snapshotted densely and counts as young for tiktrack.early_traction and the traction.breakout event.';

CREATE FUNCTION tiktrack.traction_breakout_threshold()
RETURNS float8
LANGUAGE c STABLE PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tiktrack_traction_breakout_threshold';
COMMENT ON FUNCTION tiktrack.traction_breakout_threshold() IS
	'The setting tiktrack.traction_breakout (reloadable, default 3.0): the traction index from which tiktrack.traction() reports status breakout.';

/*
 * Internal: the interpolated counters of a video at a moment (see the
 * head of this file).  engagement = likes + comments + shares, saves
 * apart (the Display API has none); a counter TikTok did not report counts
 * 0, as in the campaign KPIs.  No row when the moment is not observed.
 */
CREATE FUNCTION tiktrack.interpolated_counters(video_id bigint, posted_at timestamptz, at timestamptz)
RETURNS TABLE (views numeric, engagement numeric, saves numeric)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
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
END;
COMMENT ON FUNCTION tiktrack.interpolated_counters(bigint, timestamptz, timestamptz) IS
	'Internal (the primitive of tiktrack.views_at_age): a video''s views, engagement (likes + comments + shares, unreported counting 0) and saves at a moment, unrounded: exact at a snapshot, else linear in time between the last snapshot before and the first after it (from 0 at posted_at before the first); no row when no snapshot is at or after the moment or the moment precedes posted_at.';

CREATE FUNCTION tiktrack.views_at_age(video_id bigint, age interval)
RETURNS bigint
LANGUAGE plpgsql STABLE STRICT PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v tiktrack.videos;
	result bigint;
BEGIN
	SELECT * INTO v FROM tiktrack.videos x WHERE x.id = views_at_age.video_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'video % does not exist', coalesce(views_at_age.video_id::text, 'NULL')
			USING ERRCODE = 'no_data_found',
				  HINT = 'See tiktrack.videos for the tracked posts; tiktrack.track() tracks one.';
	END IF;
	IF v.posted_at IS NULL OR age < interval '0' THEN
		RETURN NULL;
	END IF;
	SELECT round(c.views)::bigint INTO result
	FROM tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + age) c;
	RETURN result;
END
$$;
COMMENT ON FUNCTION tiktrack.views_at_age(bigint, interval) IS
	'Cumulative views of a post at posted_at + age: exact when a snapshot was captured at that moment, else interpolated linearly in time between the last snapshot before and the first snapshot after it (before the first snapshot: from 0 views at posted_at), rounded to the nearest integer (halves away from zero). NULL when posted_at is unknown, age is negative, or no snapshot is at or after that moment (never extrapolated). An unknown video id is an ERROR (P0002).';

/*
 * ---- Benchmarks ----
 */

-- Internal: the benchmark group(s) of a post; several for hashtags.
CREATE FUNCTION tiktrack.benchmark_keys(by text, handle text, kind text, duration_s real,
										posted_at timestamptz, hashtags text[])
RETURNS TABLE (key text, ord integer)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT k.key, k.ord
	FROM pg_catalog.unnest(CASE benchmark_keys.by WHEN 'hashtag' THEN benchmark_keys.hashtags
							   ELSE ARRAY[NULL::text] END) AS t(tag)
	CROSS JOIN LATERAL (
		SELECT CASE benchmark_keys.by
				   WHEN 'creator' THEN benchmark_keys.handle
				   WHEN 'kind' THEN benchmark_keys.kind
				   WHEN 'length' THEN CASE WHEN benchmark_keys.duration_s IS NULL THEN NULL
										   WHEN benchmark_keys.duration_s < 15 THEN '<15s'
										   WHEN benchmark_keys.duration_s < 30 THEN '15-30s'
										   WHEN benchmark_keys.duration_s < 45 THEN '30-45s'
										   WHEN benchmark_keys.duration_s < 90 THEN '45-90s'
										   WHEN benchmark_keys.duration_s <= 180 THEN '90-180s'
										   ELSE '>180s' END
				   WHEN 'hour' THEN pg_catalog.to_char(benchmark_keys.posted_at AT TIME ZONE 'UTC', 'HH24')
				   WHEN 'weekday' THEN pg_catalog.lower(pg_catalog.to_char(benchmark_keys.posted_at AT TIME ZONE 'UTC', 'Dy'))
				   WHEN 'hashtag' THEN t.tag
				   WHEN 'all' THEN 'all'
			   END AS key,
			   CASE benchmark_keys.by
				   WHEN 'length' THEN CASE WHEN benchmark_keys.duration_s < 15 THEN 1
										   WHEN benchmark_keys.duration_s < 30 THEN 2
										   WHEN benchmark_keys.duration_s < 45 THEN 3
										   WHEN benchmark_keys.duration_s < 90 THEN 4
										   WHEN benchmark_keys.duration_s <= 180 THEN 5
										   ELSE 6 END
				   WHEN 'weekday' THEN pg_catalog.date_part('isodow', benchmark_keys.posted_at AT TIME ZONE 'UTC')::integer
				   ELSE 0
			   END AS ord) k
	WHERE k.key IS NOT NULL;
END;
COMMENT ON FUNCTION tiktrack.benchmark_keys(text, text, text, real, timestamptz, text[]) IS
	'Internal: the group key(s) of a post for tiktrack.benchmark(by => ...) and their display order.';

CREATE FUNCTION tiktrack.benchmark(age interval,
								   by text DEFAULT 'creator',
								   metric text DEFAULT 'views',
								   since timestamptz DEFAULT NULL)
RETURNS TABLE (key text, posts bigint, p25 float8, median float8, p75 float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF age IS NULL OR age < interval '0' THEN
		RAISE EXCEPTION 'age % is not a valid post age', coalesce(age::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give a non-negative interval such as ''24 hours''.';
	END IF;
	IF by IS NULL OR by NOT IN ('creator', 'kind', 'length', 'hour', 'weekday', 'hashtag', 'all') THEN
		RAISE EXCEPTION 'unknown benchmark grouping "%"', coalesce(by, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'by is one of creator, kind, length, hour, weekday, hashtag, all.';
	END IF;
	IF metric IS NULL OR metric NOT IN ('views', 'engagement_rate', 'completion_rate') THEN
		RAISE EXCEPTION 'unknown benchmark metric "%"', coalesce(metric, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'metric is one of views, engagement_rate, completion_rate.';
	END IF;

	IF metric IN ('views', 'engagement_rate') THEN
		RETURN QUERY
		SELECT k.key, count(*),
			   percentile_cont(0.25) WITHIN GROUP (ORDER BY m.value),
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY m.value),
			   percentile_cont(0.75) WITHIN GROUP (ORDER BY m.value)
		FROM tiktrack.videos v
		LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id
		CROSS JOIN LATERAL tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + age) c
		CROSS JOIN LATERAL (
			SELECT CASE WHEN metric = 'views' THEN round(c.views)::float8
						WHEN c.views > 0 THEN (c.engagement / c.views)::float8 END AS value) m
		CROSS JOIN LATERAL tiktrack.benchmark_keys(by, cr.handle, v.kind, v.duration_s, v.posted_at, v.hashtags) k
		WHERE v.id > 0 AND v.posted_at IS NOT NULL
		  AND (since IS NULL OR v.posted_at > since)
		  AND m.value IS NOT NULL
		GROUP BY k.key, k.ord
		ORDER BY k.ord, k.key;
	ELSE
		RETURN QUERY
		SELECT k.key, count(*),
			   percentile_cont(0.25) WITHIN GROUP (ORDER BY cr_at.completion_rate),
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY cr_at.completion_rate),
			   percentile_cont(0.75) WITHIN GROUP (ORDER BY cr_at.completion_rate)
		FROM tiktrack.videos v
		LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id
		CROSS JOIN LATERAL (
			SELECT h.completion_rate FROM tiktrack.snapshots h
			WHERE h.video_id = v.id AND h.captured_at <= v.posted_at + age
			  AND h.completion_rate IS NOT NULL
			ORDER BY h.captured_at DESC LIMIT 1) cr_at
		CROSS JOIN LATERAL tiktrack.benchmark_keys(by, cr.handle, v.kind, v.duration_s, v.posted_at, v.hashtags) k
		WHERE v.id > 0 AND v.posted_at IS NOT NULL
		  AND (since IS NULL OR v.posted_at > since)
		  AND EXISTS (SELECT 1 FROM tiktrack.snapshots h
					  WHERE h.video_id = v.id AND h.captured_at >= v.posted_at + age)
		GROUP BY k.key, k.ord
		ORDER BY k.ord, k.key;
	END IF;
END
$$;
COMMENT ON FUNCTION tiktrack.benchmark(interval, text, text, timestamptz) IS
	'Same-age benchmark from our own history: per group, the number of posts and the 25th, 50th and 75th percentiles (percentile_cont) of a metric at posted_at + age. by: creator (handle), kind (video/photo), length (duration buckets <15s, 15-30s, 30-45s, 45-90s, 90-180s, >180s; lower bounds inclusive, 180 s is 90-180s), hour (UTC hour of posting, 00..23), weekday (UTC, mon..sun), hashtag (one row per hashtag), all. metric: views (tiktrack.views_at_age), engagement_rate ((likes + comments + shares) / views, from the interpolated counters; needs views > 0 at that age), completion_rate (the latest reported at or before that age, for posts observed at that age). A post counts only where its metric at that age is observed; since keeps posts posted after it. Rows ordered by bucket, hour, weekday (mon first) or key. Bad arguments are ERRORs (22023).';

/*
 * ---- Early traction ----
 */

-- Internal: tiktrack.traction's body (PL/pgSQL cannot name a parameter
-- and a result column both video_id, as traction's signature does).
CREATE FUNCTION tiktrack.traction_of(post_id bigint, as_of timestamptz)
RETURNS TABLE (video_id bigint, age interval, views bigint, baseline text,
			   baseline_posts integer, baseline_median float8,
			   traction_index float8, percentile float8, status text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v tiktrack.videos;
	a interval;
	seen bigint;
	sample float8[];
	kind text;
	med float8;
	idx float8;
BEGIN
	SELECT * INTO v FROM tiktrack.videos x WHERE x.id = post_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'video % does not exist', coalesce(post_id::text, 'NULL')
			USING ERRCODE = 'no_data_found',
				  HINT = 'See tiktrack.videos for the tracked posts; tiktrack.track() tracks one.';
	END IF;
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of % is not a usable moment', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	a := as_of - v.posted_at;
	SELECT h.views INTO seen FROM tiktrack.snapshots h
	WHERE h.video_id = v.id AND h.captured_at <= as_of
	ORDER BY h.captured_at DESC LIMIT 1;
	IF a IS NULL OR a < interval '0' OR seen IS NULL THEN
		RETURN QUERY SELECT v.id, a, seen, NULL::text, 0, NULL::float8, NULL::float8, NULL::float8,
							'insufficient_history'::text;
		RETURN;
	END IF;

	-- The creator's own earlier posts observed at this age, 30 most
	-- recent: the posts are sorted first (OFFSET 0 keeps the subquery),
	-- so the nested loop stops probing once it has 30.
	SELECT array_agg(x.value) INTO sample
	FROM (SELECT round(c.views)::float8 AS value
		  FROM (SELECT o.id, o.posted_at FROM tiktrack.videos o
				-- (placeholders out, but not by an index condition: before
				-- statistics exist the planner would combine a range over
				-- all of videos_pkey with the creator's few index entries)
				WHERE o.creator_id = v.creator_id AND o.id <> v.id AND (o.id > 0) IS TRUE
				  AND o.posted_at < v.posted_at
				ORDER BY o.posted_at DESC, o.id DESC
				OFFSET 0) o
		  CROSS JOIN LATERAL tiktrack.interpolated_counters(o.id, o.posted_at, o.posted_at + a) c
		  WHERE c.views IS NOT NULL
		  ORDER BY o.posted_at DESC, o.id DESC
		  LIMIT 30) x;
	kind := 'creator';
	IF coalesce(cardinality(sample), 0) < 5 THEN
		SELECT array_agg(round(c.views)::float8) INTO sample
		FROM tiktrack.videos o
		CROSS JOIN LATERAL tiktrack.interpolated_counters(o.id, o.posted_at, o.posted_at + a) c
		WHERE o.creator_id IS DISTINCT FROM v.creator_id AND o.id > 0 AND o.posted_at IS NOT NULL
		  AND c.views IS NOT NULL;
		kind := 'all';
	END IF;
	IF coalesce(cardinality(sample), 0) < 5 THEN
		RETURN QUERY SELECT v.id, a, seen, NULL::text, coalesce(cardinality(sample), 0),
							NULL::float8, NULL::float8, NULL::float8, 'insufficient_history'::text;
		RETURN;
	END IF;

	SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY s) INTO med FROM unnest(sample) s;
	idx := CASE WHEN med > 0 THEN seen / med END;
	RETURN QUERY
	SELECT v.id, a, seen, kind, cardinality(sample), med, idx,
		   (SELECT count(*) FILTER (WHERE s < seen)::float8 / count(*) FROM unnest(sample) s),
		   CASE WHEN idx >= tiktrack.traction_breakout_threshold() THEN 'breakout'
				WHEN idx >= 1.5 THEN 'above'
				WHEN idx <= 0.5 THEN 'below'
				ELSE 'normal' END;
END
$$;
COMMENT ON FUNCTION tiktrack.traction_of(bigint, timestamptz) IS
	'Internal: the body of tiktrack.traction.';

CREATE FUNCTION tiktrack.traction(video_id bigint, as_of timestamptz DEFAULT now())
RETURNS TABLE (video_id bigint, age interval, views bigint, baseline text,
			   baseline_posts integer, baseline_median float8,
			   traction_index float8, percentile float8, status text)
LANGUAGE sql STABLE PARALLEL SAFE
BEGIN ATOMIC
	SELECT * FROM tiktrack.traction_of(traction.video_id, traction.as_of);
END;
COMMENT ON FUNCTION tiktrack.traction(bigint, timestamptz) IS
	'Early traction of a post at as_of: age = as_of - posted_at, views = its latest snapshot at or before as_of, against a baseline of views at the same age (tiktrack.views_at_age): the same creator''s earlier posts observed at that age (at most the 30 most recent; baseline = creator), else with fewer than 5 of them all tracked posts of other creators observed at that age (baseline = all). traction_index = views / baseline median (NULL when the median is 0), percentile = share of baseline posts with fewer views at that age (0..1). status: breakout (index >= tiktrack.traction_breakout, default 3.0), above (>= 1.5), below (<= 0.5), normal; insufficient_history (index NULL) with fewer than 5 baseline posts, or when posted_at is unknown or after as_of, or no snapshot precedes as_of (baseline NULL). Unknown video id: ERROR P0002.';

CREATE VIEW tiktrack.early_traction AS
SELECT t.video_id,
	   cr.handle AS creator_handle,
	   v.posted_at,
	   t.age,
	   t.views,
	   t.baseline,
	   t.baseline_posts,
	   t.baseline_median,
	   t.traction_index,
	   t.percentile,
	   t.status
FROM tiktrack.videos v
LEFT JOIN tiktrack.creators cr ON cr.id = v.creator_id
CROSS JOIN LATERAL tiktrack.traction(v.id, now()) t
WHERE v.id > 0
  AND v.posted_at > now() - tiktrack.early_window()
  AND v.posted_at <= now()
ORDER BY t.traction_index DESC NULLS LAST, v.posted_at DESC, v.id;
COMMENT ON VIEW tiktrack.early_traction IS
	'Every tracked post younger than the worker''s early window (tiktrack.early_window(), default 6 hours) with its traction now (tiktrack.traction), highest traction index first.';
COMMENT ON COLUMN tiktrack.early_traction.video_id IS 'TikTok item id of the post.';
COMMENT ON COLUMN tiktrack.early_traction.creator_handle IS 'Handle of the post''s creator.';
COMMENT ON COLUMN tiktrack.early_traction.posted_at IS 'When the post was published.';
COMMENT ON COLUMN tiktrack.early_traction.age IS 'now() - posted_at.';
COMMENT ON COLUMN tiktrack.early_traction.views IS 'Views of the latest snapshot.';
COMMENT ON COLUMN tiktrack.early_traction.baseline IS 'creator (the creator''s earlier posts) or all (every other creator''s posts); NULL when there is no baseline.';
COMMENT ON COLUMN tiktrack.early_traction.baseline_posts IS 'Number of baseline posts observed at this age.';
COMMENT ON COLUMN tiktrack.early_traction.baseline_median IS 'Median views of the baseline posts at this age.';
COMMENT ON COLUMN tiktrack.early_traction.traction_index IS 'views / baseline_median.';
COMMENT ON COLUMN tiktrack.early_traction.percentile IS 'Share of baseline posts with fewer views at this age (0..1).';
COMMENT ON COLUMN tiktrack.early_traction.status IS 'breakout, above, normal, below or insufficient_history (see tiktrack.traction).';

/*
 * The traction.breakout event: one decision, taken whenever snapshots are
 * stored (worker, refresh() or a manual INSERT all go through the
 * trigger below), and recorded so that a video is announced once.
 */
CREATE TABLE tiktrack.traction_alerts (
	video_id	bigint PRIMARY KEY REFERENCES tiktrack.videos (id) ON UPDATE CASCADE ON DELETE CASCADE,
	alerted_at	timestamptz NOT NULL DEFAULT now(),
	age			interval NOT NULL,
	views		bigint NOT NULL,
	traction_index float8 NOT NULL
);
COMMENT ON TABLE tiktrack.traction_alerts IS
	'Posts found at traction status breakout while younger than the early window (each once; announced as traction.breakout on channel tiktrack_events), with the age, views and traction index that triggered it.';

CREATE FUNCTION tiktrack.check_traction_breakout(video_id bigint, as_of timestamptz)
RETURNS boolean
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	t record;
BEGIN
	IF EXISTS (SELECT 1 FROM tiktrack.traction_alerts x WHERE x.video_id = check_traction_breakout.video_id) THEN
		RETURN false;
	END IF;
	SELECT * INTO t FROM tiktrack.traction(check_traction_breakout.video_id, as_of);
	IF t.status IS DISTINCT FROM 'breakout' OR t.age >= tiktrack.early_window() THEN
		RETURN false;
	END IF;
	INSERT INTO tiktrack.traction_alerts (video_id, age, views, traction_index)
	VALUES (t.video_id, t.age, t.views, t.traction_index)
	ON CONFLICT DO NOTHING;
	IF NOT FOUND THEN
		RETURN false;
	END IF;
	-- ids only: any role may LISTEN (the figures are in traction_alerts)
	IF tiktrack.events_enabled() THEN
		PERFORM pg_notify('tiktrack_events', json_build_object(
			'event', 'traction.breakout',
			'video_id', t.video_id,
			'creator_id', (SELECT v.creator_id FROM tiktrack.videos v WHERE v.id = t.video_id))::text);
	END IF;
	RETURN true;
END
$$;
COMMENT ON FUNCTION tiktrack.check_traction_breakout(bigint, timestamptz) IS
	'Internal: when a post younger than the early window is at status breakout as of as_of and was never announced, records it (age, views, traction index) in tiktrack.traction_alerts and sends {"event": "traction.breakout", "video_id", "creator_id"} on channel tiktrack_events (ids only, as every event; nothing when tiktrack.events is off); returns whether it recorded it.';

/*
 * The young posts among newly stored snapshots, each judged as of its
 * newest new snapshot.  Called by the store step for its batch (set-based,
 * one statement) and by the row trigger below for any other INSERT INTO
 * tiktrack.snapshots.
 */
CREATE FUNCTION tiktrack.check_traction_breakouts(video_ids bigint[], captured_at timestamptz[])
RETURNS integer
LANGUAGE plpgsql VOLATILE PARALLEL UNSAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	r record;
	n integer := 0;
BEGIN
	FOR r IN
		SELECT u.video_id, max(u.captured_at) AS as_of
		FROM ROWS FROM (unnest(video_ids), unnest(captured_at)) AS u(video_id, captured_at)
		-- (the batch's videos by index, = ANY; not a LIMIT 1 lateral
		-- probe per snapshot, which Citus cannot push down over the rows of
		-- a function)
		JOIN tiktrack.videos v ON v.id = u.video_id AND v.id = ANY (video_ids)
		WHERE v.posted_at > now() - tiktrack.early_window()
		  AND u.captured_at < v.posted_at + tiktrack.early_window()
		  -- (uncorrelated: Citus joins no second distributed table through
		  -- the rows of a function)
		  AND u.video_id <> ALL (ARRAY(SELECT x.video_id FROM tiktrack.traction_alerts x
									   WHERE x.video_id = ANY (video_ids)))
		GROUP BY u.video_id
		ORDER BY u.video_id
	LOOP
		-- A fault in one post's judgement must never cost the batch its
		-- snapshots.
		BEGIN
			IF tiktrack.check_traction_breakout(r.video_id, r.as_of) THEN
				n := n + 1;
			END IF;
		EXCEPTION WHEN OTHERS THEN
			RAISE WARNING 'traction check of video % failed: %', r.video_id, SQLERRM;
		END;
	END LOOP;
	RETURN n;
END
$$;
COMMENT ON FUNCTION tiktrack.check_traction_breakouts(bigint[], timestamptz[]) IS
	'Internal: for each young post (posted less than the early window ago, no alert yet) among newly stored snapshots (video_ids and their captured_at), runs tiktrack.check_traction_breakout as of its newest new snapshot; a failing check is a WARNING, never an error. Returns the number of alerts recorded. Used by the store step and the trigger on tiktrack.snapshots.';

CREATE FUNCTION tiktrack.snapshots_traction_breakout()
RETURNS trigger
LANGUAGE plpgsql SECURITY DEFINER
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	PERFORM tiktrack.check_traction_breakouts(ARRAY[NEW.video_id], ARRAY[NEW.captured_at]);
	RETURN NULL;
END
$$;
COMMENT ON FUNCTION tiktrack.snapshots_traction_breakout() IS
	'Trigger function (security definer): runs tiktrack.check_traction_breakouts for a snapshot inserted by anything but the fetcher''s store step (which checks its batch itself).';

-- A row trigger: no transition table for the store step's statements to
-- capture (its WHEN keeps it from firing there at all), and one that a
-- distributed table can have.
CREATE TRIGGER snapshots_traction_breakout
	AFTER INSERT ON tiktrack.snapshots
	FOR EACH ROW WHEN (NOT tiktrack.store_step_running())
	EXECUTE FUNCTION tiktrack.snapshots_traction_breakout();
-- A trigger function is not checked for EXECUTE when it fires: nobody
-- needs to call it (as tiktrack.snapshots_keep_latest).  It runs as the
-- extension's owner (search_path pinned): a role allowed to store
-- snapshots needs no rights on videos or traction_alerts for the
-- decision to be taken.
REVOKE EXECUTE ON FUNCTION tiktrack.snapshots_traction_breakout() FROM PUBLIC;
REVOKE EXECUTE ON FUNCTION tiktrack.check_traction_breakouts(bigint[], timestamptz[]) FROM PUBLIC;

/*
 * ---- Forecasts ----
 */

CREATE FUNCTION tiktrack.forecast_views(video_id bigint,
										horizon interval DEFAULT '7 days',
										confidence float8 DEFAULT 0.8,
										as_of timestamptz DEFAULT now())
RETURNS TABLE (age interval, views bigint, predicted bigint, low bigint, high bigint,
			   method text, training_posts integer)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	v tiktrack.videos;
	a interval;
	model_age interval;
	seen bigint;
	seen_at timestamptz;
	observed bigint;
	r float8[];
	kind text;
	q_mid float8;
	q_lo float8;
	q_hi float8;
BEGIN
	SELECT * INTO v FROM tiktrack.videos x WHERE x.id = forecast_views.video_id;
	IF NOT FOUND THEN
		RAISE EXCEPTION 'video % does not exist', coalesce(forecast_views.video_id::text, 'NULL')
			USING ERRCODE = 'no_data_found',
				  HINT = 'See tiktrack.videos for the tracked posts; tiktrack.track() tracks one.';
	END IF;
	IF horizon IS NULL OR horizon <= interval '0' THEN
		RAISE EXCEPTION 'horizon % is not a positive interval', coalesce(horizon::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value', HINT = 'Give an age such as ''7 days''.';
	END IF;
	IF confidence IS NULL OR NOT (confidence > 0 AND confidence < 1) THEN
		RAISE EXCEPTION 'confidence % is out of range', coalesce(confidence::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give a fraction strictly between 0 and 1, such as 0.8.';
	END IF;
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of % is not a usable moment', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	a := as_of - v.posted_at;
	SELECT h.views, h.captured_at INTO seen, seen_at FROM tiktrack.snapshots h
	WHERE h.video_id = v.id AND h.captured_at <= as_of
	ORDER BY h.captured_at DESC LIMIT 1;
	IF a IS NULL OR a < interval '0' OR seen IS NULL THEN
		RETURN QUERY SELECT a, seen, NULL::bigint, NULL::bigint, NULL::bigint, 'none'::text, 0;
		RETURN;
	END IF;

	model_age := a;
	IF a >= horizon THEN
		SELECT round(c.views)::bigint INTO observed
		FROM tiktrack.interpolated_counters(v.id, v.posted_at, v.posted_at + horizon) c;
		IF observed IS NOT NULL THEN
			RETURN QUERY SELECT a, seen, observed, observed, observed, 'observed'::text, 0;
			RETURN;
		END IF;
		-- Not observed at the horizon (tracking stopped early): forecast
		-- from the age of the last snapshot.
		model_age := seen_at - v.posted_at;
	END IF;

	SELECT array_agg(ln(round(ch.views) + 1) - ln(round(ca.views) + 1)) INTO r
	FROM tiktrack.videos o
	CROSS JOIN LATERAL tiktrack.interpolated_counters(o.id, o.posted_at, o.posted_at + model_age) ca
	CROSS JOIN LATERAL tiktrack.interpolated_counters(o.id, o.posted_at, o.posted_at + horizon) ch
	-- (placeholders out, not by an index condition: see traction_of)
	WHERE o.creator_id = v.creator_id AND o.id <> v.id AND (o.id > 0) IS TRUE
	  AND ca.views IS NOT NULL AND ch.views IS NOT NULL;
	kind := 'creator';
	IF coalesce(cardinality(r), 0) < 5 THEN
		SELECT array_agg(ln(round(ch.views) + 1) - ln(round(ca.views) + 1)) INTO r
		FROM tiktrack.videos o
		CROSS JOIN LATERAL tiktrack.interpolated_counters(o.id, o.posted_at, o.posted_at + model_age) ca
		CROSS JOIN LATERAL tiktrack.interpolated_counters(o.id, o.posted_at, o.posted_at + horizon) ch
		WHERE o.id <> v.id AND o.id > 0 AND o.posted_at IS NOT NULL
		  AND ca.views IS NOT NULL AND ch.views IS NOT NULL;
		kind := 'all';
	END IF;
	IF coalesce(cardinality(r), 0) < 5 THEN
		RETURN QUERY SELECT a, seen, NULL::bigint, NULL::bigint, NULL::bigint, 'none'::text,
							coalesce(cardinality(r), 0);
		RETURN;
	END IF;

	SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x),
		   percentile_cont((1 - confidence) / 2) WITHIN GROUP (ORDER BY x),
		   percentile_cont((1 + confidence) / 2) WITHIN GROUP (ORDER BY x)
	INTO q_mid, q_lo, q_hi
	FROM unnest(r) x;
	RETURN QUERY
	SELECT a, seen,
		   greatest(seen, round(((seen + 1) * exp(q_mid) - 1)::numeric)::bigint),
		   greatest(seen, round(((seen + 1) * exp(q_lo) - 1)::numeric)::bigint),
		   greatest(seen, round(((seen + 1) * exp(q_hi) - 1)::numeric)::bigint),
		   kind, cardinality(r);
END
$$;
COMMENT ON FUNCTION tiktrack.forecast_views(bigint, interval, float8, timestamptz) IS
	'Forecast of a post''s cumulative views at age horizon, from its views now (latest snapshot at or before as_of, at age = as_of - posted_at), by log-linear growth (Szabo and Huberman): for training posts observed at both ages (tiktrack.views_at_age), r = ln(V(horizon) + 1) - ln(V(age) + 1); predicted = (views + 1) * exp(median r) - 1, low and high from the percentile_cont quantiles (1 - confidence) / 2 and (1 + confidence) / 2 of r, rounded, never below views. Training posts: the creator''s other posts (method creator, at least 5), else every other tracked post (method all, at least 5), else method none with NULL predictions. When age >= horizon the observed views at the horizon (method observed, low = high = predicted); if the post was not observed at the horizon, the forecast starts from the age of its last snapshot. Unknown video: ERROR P0002; bad horizon, confidence or as_of: ERROR 22023.';

CREATE FUNCTION tiktrack.forecast_backtest_arrays(groups bigint[], views_at_age float8[],
												  views_at_horizon float8[], confidence float8,
												  min_training integer,
												  OUT posts integer, OUT median_ape float8,
												  OUT coverage float8, OUT naive_median_ape float8)
RETURNS record
LANGUAGE c IMMUTABLE STRICT PARALLEL SAFE
AS 'MODULE_PATHNAME', 'tiktrack_forecast_backtest_arrays';
COMMENT ON FUNCTION tiktrack.forecast_backtest_arrays(bigint[], float8[], float8[], float8, integer) IS
	'Internal: leave-one-out evaluation of the log-linear forecast over posts given as parallel arrays (posts of one group adjacent); see tiktrack.forecast_backtest.';

CREATE FUNCTION tiktrack.forecast_backtest(age interval, horizon interval, confidence float8 DEFAULT 0.8)
RETURNS TABLE (posts integer, median_ape float8, coverage float8, naive_median_ape float8)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
BEGIN
	IF age IS NULL OR age < interval '0' THEN
		RAISE EXCEPTION 'age % is not a valid post age', coalesce(age::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF horizon IS NULL OR horizon <= age THEN
		RAISE EXCEPTION 'horizon % must be later than age %', coalesce(horizon::text, 'NULL'), age
			USING ERRCODE = 'invalid_parameter_value';
	END IF;
	IF confidence IS NULL OR NOT (confidence > 0 AND confidence < 1) THEN
		RAISE EXCEPTION 'confidence % is out of range', coalesce(confidence::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value',
				  HINT = 'Give a fraction strictly between 0 and 1, such as 0.8.';
	END IF;
	RETURN QUERY
	SELECT b.posts, b.median_ape, b.coverage, b.naive_median_ape
	FROM (SELECT coalesce(array_agg(x.grp ORDER BY x.grp, x.id), '{}') AS grps,
				 coalesce(array_agg(x.va ORDER BY x.grp, x.id), '{}') AS vas,
				 coalesce(array_agg(x.vh ORDER BY x.grp, x.id), '{}') AS vhs
		  FROM (SELECT o.id, coalesce(o.creator_id, -o.id) AS grp,
					   round(ca.views)::float8 AS va, round(ch.views)::float8 AS vh
				FROM tiktrack.videos o
				CROSS JOIN LATERAL tiktrack.interpolated_counters(o.id, o.posted_at, o.posted_at + age) ca
				CROSS JOIN LATERAL tiktrack.interpolated_counters(o.id, o.posted_at, o.posted_at + horizon) ch
				WHERE o.id > 0 AND o.posted_at IS NOT NULL
				  AND ca.views IS NOT NULL AND ch.views IS NOT NULL) x) d
	CROSS JOIN LATERAL tiktrack.forecast_backtest_arrays(d.grps, d.vas, d.vhs, confidence, 5) b;
END
$$;
COMMENT ON FUNCTION tiktrack.forecast_backtest(interval, interval, float8) IS
	'How good tiktrack.forecast_views is on your own data: leave-one-out over every post observed at both ages, each forecast from age to horizon as forecast_views would (training: the creator''s other posts when at least 5, else every other post when at least 5, else the post is not counted). posts = posts forecast; median_ape = median of |predicted - actual| / actual (posts with actual > 0); coverage = share of posts whose actual views at the horizon lie in [low, high]; naive_median_ape = the same error for predicting the views at age. Bad arguments: ERROR 22023.';

/*
 * ---- Fraud signals ----
 *
 * Each signal is one number, a documented threshold, a flag and the
 * evidence behind it (post ids, dates, counts); data too thin to judge
 * gives value NULL, flagged false and evidence saying what is missing.
 * A post's figures are those of its latest snapshot at or before as_of.
 */

CREATE FUNCTION tiktrack.follower_tier(followers bigint)
RETURNS text
LANGUAGE sql IMMUTABLE PARALLEL SAFE
RETURN CASE WHEN followers IS NULL THEN NULL
			WHEN followers < 10000 THEN 'nano'
			WHEN followers < 100000 THEN 'micro'
			WHEN followers < 500000 THEN 'mid'
			WHEN followers < 1000000 THEN 'macro'
			ELSE 'mega' END;
COMMENT ON FUNCTION tiktrack.follower_tier(bigint) IS
	'Follower tier of an account: nano (< 10,000 followers), micro (< 100,000), mid (< 500,000), macro (< 1,000,000), mega.';

-- Internal: every tracked creator's median post engagement rate, ratio of
-- comments to likes (sums over posts) and follower tier as of a moment.
CREATE FUNCTION tiktrack.creator_engagement_profile(as_of timestamptz)
RETURNS TABLE (creator_id bigint, posts bigint, median_engagement_rate float8,
			   comment_like_ratio float8, followers bigint, tier text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	-- PL/pgSQL, not SQL: Citus plans no SQL function's parameterized query
	-- over distributed tables.
	RETURN QUERY
	WITH post AS (
		SELECT v.creator_id, l.views, l.likes, l.comments,
			   coalesce(l.likes, 0) + coalesce(l.comments, 0) + coalesce(l.shares, 0) AS engagement
		FROM tiktrack.videos v
		CROSS JOIN LATERAL (
			SELECT h.views, h.likes, h.comments, h.shares FROM tiktrack.snapshots h
			WHERE h.video_id = v.id AND h.captured_at <= creator_engagement_profile.as_of
			ORDER BY h.captured_at DESC LIMIT 1) l
		WHERE v.id > 0 AND v.creator_id IS NOT NULL
	), per_creator AS (
		SELECT p.creator_id,
			   count(*) FILTER (WHERE p.views > 0) AS posts,
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY p.engagement::float8 / p.views)
				   FILTER (WHERE p.views > 0) AS median_engagement_rate,
			   sum(p.comments) FILTER (WHERE p.likes IS NOT NULL AND p.comments IS NOT NULL)::float8
				   / nullif(sum(p.likes) FILTER (WHERE p.likes IS NOT NULL AND p.comments IS NOT NULL), 0)
				   AS comment_like_ratio
		FROM post p
		GROUP BY p.creator_id
	), follower_count AS (
		-- each creator's latest follower count (a join, not a lateral
		-- subquery over per_creator: Citus cannot push that down)
		SELECT DISTINCT ON (s.creator_id) s.creator_id, s.followers
		FROM tiktrack.creator_stats s
		WHERE s.creator_id IN (SELECT pc.creator_id FROM per_creator pc)
		  AND s.captured_at <= creator_engagement_profile.as_of
		  AND s.followers IS NOT NULL
		ORDER BY s.creator_id, s.captured_at DESC
	)
	SELECT pc.creator_id, pc.posts, pc.median_engagement_rate, pc.comment_like_ratio,
		   f.followers, tiktrack.follower_tier(f.followers)
	FROM per_creator pc
	LEFT JOIN follower_count f ON f.creator_id = pc.creator_id;
END
$$;
COMMENT ON FUNCTION tiktrack.creator_engagement_profile(timestamptz) IS
	'Internal: per tracked creator with posts, as of a moment: posts with views, median post engagement rate ((likes + comments + shares) / views of the latest snapshot), comments / likes summed over the posts, latest follower count and tier.';

CREATE FUNCTION tiktrack.fraud_signals(creator_handle text, as_of timestamptz DEFAULT now())
RETURNS TABLE (signal text, value float8, threshold float8, flagged boolean, evidence text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
DECLARE
	c tiktrack.creators;
	me record;
	band record;
	n_judged bigint;
	n_bad bigint;
	examples text[];
	gains float8[];
	days date[];
	g_med float8;
	g_scale float8;
	g_mad float8;
	top_i integer;
	z float8;
	week_views float8;
	before_views float8;
	rose boolean;
BEGIN
	SELECT * INTO c FROM tiktrack.creators k
	WHERE k.handle = tiktrack.normalize_handle(fraud_signals.creator_handle);
	IF NOT FOUND THEN
		RAISE EXCEPTION 'creator "%" is not tracked', coalesce(creator_handle, 'NULL')
			USING ERRCODE = 'no_data_found',
				  HINT = 'See tiktrack.creators for the tracked creators.';
	END IF;
	IF as_of IS NULL OR NOT isfinite(as_of) THEN
		RAISE EXCEPTION 'as_of % is not a usable moment', coalesce(as_of::text, 'NULL')
			USING ERRCODE = 'invalid_parameter_value';
	END IF;

	-- likes_exceed_views: TikTok's counters never give more likes than
	-- views organically; posts under 100 views are too noisy to judge.
	SELECT count(*), count(*) FILTER (WHERE l.likes > l.views),
		   (array_agg(format('%s (%s likes, %s views on %s)', v.id, l.likes, l.views,
							 to_char(l.captured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD'))
					  ORDER BY l.likes::float8 / l.views DESC, v.id)
				FILTER (WHERE l.likes > l.views))[1:5]
	INTO n_judged, n_bad, examples
	FROM tiktrack.videos v
	CROSS JOIN LATERAL (
		SELECT h.views, h.likes, h.captured_at FROM tiktrack.snapshots h
		WHERE h.video_id = v.id AND h.captured_at <= as_of
		ORDER BY h.captured_at DESC LIMIT 1) l
	WHERE v.creator_id = c.id AND v.id > 0 AND l.views >= 100;
	IF n_judged = 0 THEN
		RETURN QUERY SELECT 'likes_exceed_views'::text, NULL::float8, 0::float8, false,
			'no post with at least 100 views to judge'::text;
	ELSE
		RETURN QUERY SELECT 'likes_exceed_views'::text, n_bad::float8, 0::float8, n_bad > 0,
			CASE WHEN n_bad = 0 THEN format('none of %s posts with at least 100 views has more likes than views', n_judged)
				 ELSE format('%s of %s posts with at least 100 views have more likes than views: %s%s',
							 n_bad, n_judged, array_to_string(examples, ', '),
							 CASE WHEN n_bad > 5 THEN ', ...' ELSE '' END) END;
	END IF;

	-- engagement_rate_band and comment_like_ratio: against peers.
	SELECT * INTO me FROM tiktrack.creator_engagement_profile(as_of) p WHERE p.creator_id = c.id;
	IF me.median_engagement_rate IS NULL OR me.tier IS NULL THEN
		RETURN QUERY SELECT 'engagement_rate_band'::text, NULL::float8, NULL::float8, false,
			CASE WHEN me.median_engagement_rate IS NULL THEN 'no post with views to measure an engagement rate'
				 ELSE 'no follower count in tiktrack.creator_stats to find the follower tier' END;
	ELSE
		SELECT count(*) AS peers,
			   percentile_cont(0.05) WITHIN GROUP (ORDER BY p.median_engagement_rate) AS lo,
			   percentile_cont(0.95) WITHIN GROUP (ORDER BY p.median_engagement_rate) AS hi
		INTO band
		FROM tiktrack.creator_engagement_profile(as_of) p
		WHERE p.tier = me.tier AND p.median_engagement_rate IS NOT NULL AND p.creator_id <> c.id;
		IF band.peers < 20 THEN
			SELECT band.peers AS peers, d.lo, d.hi INTO band
			FROM (VALUES ('nano', 0.02, 0.25), ('micro', 0.015, 0.20), ('mid', 0.01, 0.15),
						 ('macro', 0.008, 0.12), ('mega', 0.005, 0.10)) AS d(tier, lo, hi)
			WHERE d.tier = me.tier;
		END IF;
		RETURN QUERY SELECT 'engagement_rate_band'::text, me.median_engagement_rate,
			CASE WHEN me.median_engagement_rate < band.lo THEN band.lo
				 WHEN me.median_engagement_rate > band.hi THEN band.hi
				 WHEN me.median_engagement_rate - band.lo < band.hi - me.median_engagement_rate THEN band.lo
				 ELSE band.hi END::float8,
			me.median_engagement_rate < band.lo OR me.median_engagement_rate > band.hi,
			format('median engagement rate %s over %s posts; %s tier (%s followers); band %s..%s (%s)',
				   round(me.median_engagement_rate::numeric, 4), me.posts, me.tier, me.followers,
				   round(band.lo::numeric, 4), round(band.hi::numeric, 4),
				   CASE WHEN band.peers >= 20 THEN format('p5..p95 of %s other tracked %s creators', band.peers, me.tier)
						ELSE format('default band: %s other tracked %s creators, 20 needed', band.peers, me.tier) END);
	END IF;

	-- follower_spike: robust z-score of the largest one-day gain.
	SELECT array_agg(g.gain ORDER BY g.d), array_agg(g.d ORDER BY g.d) INTO gains, days
	FROM (SELECT x.d, (x.f - lag(x.f) OVER w)::float8 / (x.d - lag(x.d) OVER w) AS gain
		  FROM (SELECT DISTINCT ON ((s.captured_at AT TIME ZONE 'UTC')::date)
					   (s.captured_at AT TIME ZONE 'UTC')::date AS d, s.followers AS f
				FROM tiktrack.creator_stats s
				WHERE s.creator_id = c.id AND s.captured_at <= as_of AND s.followers IS NOT NULL
				ORDER BY (s.captured_at AT TIME ZONE 'UTC')::date, s.captured_at DESC) x
		  WINDOW w AS (ORDER BY x.d)) g
	WHERE g.gain IS NOT NULL;
	IF coalesce(cardinality(gains), 0) < 7 THEN
		RETURN QUERY SELECT 'follower_spike'::text, NULL::float8, 5::float8, false,
			format('needs follower counts on at least 8 days (7 daily gains), has %s', coalesce(cardinality(gains), 0));
	ELSE
		SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY x) INTO g_med FROM unnest(gains) x;
		SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY abs(x - g_med)) INTO g_mad FROM unnest(gains) x;
		g_scale := 1.4826 * g_mad;
		IF g_scale = 0 THEN
			-- More than half the days gained exactly the median: fall back
			-- to the mean absolute deviation (1.2533 = sqrt(pi / 2)).
			SELECT 1.2533 * avg(abs(x - g_med)) INTO g_scale FROM unnest(gains) x;
		END IF;
		SELECT i INTO top_i FROM generate_subscripts(gains, 1) i ORDER BY gains[i] DESC, i LIMIT 1;
		z := CASE WHEN g_scale > 0 THEN (gains[top_i] - g_med) / g_scale ELSE 0 END;
		SELECT percentile_cont(0.5) WITHIN GROUP (ORDER BY l.views::float8) FILTER (
				   WHERE (v.posted_at AT TIME ZONE 'UTC') >= days[top_i] - 6),
			   percentile_cont(0.5) WITHIN GROUP (ORDER BY l.views::float8) FILTER (
				   WHERE (v.posted_at AT TIME ZONE 'UTC') < days[top_i] - 6)
		INTO week_views, before_views
		FROM tiktrack.videos v
		CROSS JOIN LATERAL (
			SELECT h.views FROM tiktrack.snapshots h
			WHERE h.video_id = v.id AND h.captured_at <= as_of
			ORDER BY h.captured_at DESC LIMIT 1) l
		WHERE v.creator_id = c.id AND v.id > 0 AND l.views IS NOT NULL
		  AND (v.posted_at AT TIME ZONE 'UTC') >= days[top_i] - 34
		  AND (v.posted_at AT TIME ZONE 'UTC') < days[top_i] + 1;
		rose := week_views > 1.5 * before_views;
		RETURN QUERY SELECT 'follower_spike'::text, z, 5::float8, z > 5 AND NOT coalesce(rose, false),
			format('largest one-day gain %s followers on %s (median daily gain %s, MAD %s, %s daily gains); median views per post that week %s against %s in the 4 weeks before (%s)',
				   round(gains[top_i]::numeric), days[top_i], round(g_med::numeric, 1), round(g_mad::numeric, 1),
				   cardinality(gains), coalesce(round(week_views::numeric)::text, 'no post'),
				   coalesce(round(before_views::numeric)::text, 'no post'),
				   CASE WHEN rose THEN 'rose' ELSE 'did not rise' END);
	END IF;

	-- views_without_engagement: view bursts that brought no engagement.
	WITH s AS (
		SELECT h.video_id, h.captured_at, h.views,
			   coalesce(h.likes, 0) + coalesce(h.comments, 0) + coalesce(h.shares, 0) AS eng,
			   lag(h.captured_at) OVER w AS prev_at, lag(h.views) OVER w AS prev_views,
			   lag(coalesce(h.likes, 0) + coalesce(h.comments, 0) + coalesce(h.shares, 0)) OVER w AS prev_eng,
			   last_value(coalesce(h.likes, 0) + coalesce(h.comments, 0) + coalesce(h.shares, 0)) OVER wl::float8
				   / nullif(last_value(h.views) OVER wl, 0) AS epv
		FROM tiktrack.videos v
		JOIN tiktrack.snapshots h ON h.video_id = v.id
		WHERE v.creator_id = c.id AND v.id > 0 AND h.captured_at <= as_of AND h.views IS NOT NULL
		WINDOW w AS (PARTITION BY h.video_id ORDER BY h.captured_at),
			   wl AS (PARTITION BY h.video_id ORDER BY h.captured_at
					  ROWS BETWEEN UNBOUNDED PRECEDING AND UNBOUNDED FOLLOWING)
	), iv AS (
		SELECT s.video_id, s.prev_at, s.captured_at, s.views - s.prev_views AS dv, s.eng - s.prev_eng AS de,
			   (s.views - s.prev_views) / (extract(epoch FROM s.captured_at - s.prev_at)::float8 / 3600) AS rate,
			   s.epv
		FROM s WHERE s.prev_at IS NOT NULL
	), post AS (
		SELECT iv.video_id, percentile_cont(0.5) WITHIN GROUP (ORDER BY iv.rate) AS med_rate
		FROM iv GROUP BY iv.video_id HAVING count(*) >= 3
	)
	SELECT (SELECT count(*) FROM post),
		   count(*),
		   (array_agg(format('%s: +%s views, +%s engagements from %s to %s', iv.video_id, iv.dv, iv.de,
							 to_char(iv.prev_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'),
							 to_char(iv.captured_at AT TIME ZONE 'UTC', 'YYYY-MM-DD HH24:MI'))
					  ORDER BY iv.dv DESC, iv.video_id, iv.captured_at))[1:5]
	INTO n_judged, n_bad, examples
	FROM iv JOIN post p ON p.video_id = iv.video_id
	WHERE iv.dv >= 100 AND iv.rate > 10 * p.med_rate AND iv.de < 0.1 * iv.dv * iv.epv;
	IF n_judged = 0 THEN
		RETURN QUERY SELECT 'views_without_engagement'::text, NULL::float8, 0::float8, false,
			'no post with at least 4 snapshots to judge'::text;
	ELSE
		RETURN QUERY SELECT 'views_without_engagement'::text, n_bad::float8, 0::float8, n_bad > 0,
			CASE WHEN n_bad = 0 THEN format('no view burst without engagement in %s posts with at least 4 snapshots', n_judged)
				 ELSE format('%s snapshot interval(s) where views grew more than 10 times the post''s median hourly growth with less than a tenth of the engagement its engagement per view predicts: %s%s',
							 n_bad, array_to_string(examples, '; '), CASE WHEN n_bad > 5 THEN '; ...' ELSE '' END) END;
	END IF;

	-- comment_like_ratio: against all tracked creators' p1..p99.
	IF me.comment_like_ratio IS NULL THEN
		RETURN QUERY SELECT 'comment_like_ratio'::text, NULL::float8, NULL::float8, false,
			'no post with likes and comments reported'::text;
	ELSE
		SELECT count(*) AS peers,
			   percentile_cont(0.01) WITHIN GROUP (ORDER BY p.comment_like_ratio) AS lo,
			   percentile_cont(0.99) WITHIN GROUP (ORDER BY p.comment_like_ratio) AS hi
		INTO band
		FROM tiktrack.creator_engagement_profile(as_of) p
		WHERE p.comment_like_ratio IS NOT NULL AND p.creator_id <> c.id;
		IF band.peers < 20 THEN
			SELECT band.peers AS peers, 0.001::float8 AS lo, 0.2::float8 AS hi INTO band;
		END IF;
		RETURN QUERY SELECT 'comment_like_ratio'::text, me.comment_like_ratio,
			CASE WHEN me.comment_like_ratio < band.lo THEN band.lo
				 WHEN me.comment_like_ratio > band.hi THEN band.hi
				 WHEN me.comment_like_ratio - band.lo < band.hi - me.comment_like_ratio THEN band.lo
				 ELSE band.hi END::float8,
			me.comment_like_ratio < band.lo OR me.comment_like_ratio > band.hi,
			format('%s comments per like over the posts'' latest snapshots; band %s..%s (%s)',
				   round(me.comment_like_ratio::numeric, 4), round(band.lo::numeric, 4), round(band.hi::numeric, 4),
				   CASE WHEN band.peers >= 20 THEN format('p1..p99 of %s other tracked creators', band.peers)
						ELSE format('default band: %s other tracked creators, 20 needed', band.peers) END);
	END IF;
END
$$;
COMMENT ON FUNCTION tiktrack.fraud_signals(text, timestamptz) IS
	'Explainable fraud signals of a creator as of a moment, one row each, always all five (value NULL and flagged false when the data to judge is missing, evidence saying what): likes_exceed_views = posts (latest snapshot, views >= 100) with more likes than views, flagged when above 0; engagement_rate_band = the creator''s median post engagement rate ((likes + comments + shares) / views) against p5..p95 of the other tracked creators in the same follower tier (tiktrack.follower_tier) when there are at least 20, else the default band nano 0.02..0.25, micro 0.015..0.20, mid 0.01..0.15, macro 0.008..0.12, mega 0.005..0.10, flagged outside (threshold = the bound crossed, or the nearer one); follower_spike = robust z-score (gain - median) / (1.4826 * MAD) of the largest one-day follower gain (per UTC day, gaps spread evenly; needs 7 daily gains; mean absolute deviation * 1.2533 when MAD is 0), flagged above 5 unless the median views per post of posts published in the 7 days ending that day exceed 1.5 times those of the 4 weeks before; views_without_engagement = snapshot intervals (posts with at least 4 snapshots) whose views grew by at least 100 and more than 10 times the post''s median growth per hour while likes + comments + shares grew less than a tenth of that growth times the post''s engagement per view, flagged when above 0; comment_like_ratio = comments / likes summed over the posts against p1..p99 of the other tracked creators when there are at least 20, else 0.001..0.2, flagged outside. Unknown handle: ERROR P0002.';

CREATE FUNCTION tiktrack.authenticity(creator_handle text)
RETURNS TABLE (score integer, flagged text[], explanation text)
LANGUAGE plpgsql STABLE PARALLEL SAFE
SET search_path = pg_catalog, pg_temp
AS $$
#variable_conflict use_column
BEGIN
	-- PL/pgSQL, not SQL: Citus plans no SQL function's parameterized query
	-- over distributed tables.
	RETURN QUERY
	SELECT greatest(0, 100 - coalesce(sum(p.penalty) FILTER (WHERE f.flagged), 0))::integer,
		   coalesce(array_agg(f.signal ORDER BY p.ord) FILTER (WHERE f.flagged), '{}'),
		   coalesce(string_agg(
			   CASE f.signal
				   WHEN 'likes_exceed_views' THEN format('%s post(s) show more likes than views, which organic viewing does not produce.', f.value)
				   WHEN 'engagement_rate_band' THEN format('The median engagement rate %s is outside the usual band of its follower tier.', round(f.value::numeric, 4))
				   WHEN 'follower_spike' THEN format('A one-day follower gain %s robust standard deviations above normal came without more views per post.', round(f.value::numeric, 1))
				   WHEN 'views_without_engagement' THEN format('%s view burst(s) brought almost none of the engagement such views bring.', f.value)
				   WHEN 'comment_like_ratio' THEN format('Comments per like (%s) are far from other creators''.', round(f.value::numeric, 4))
			   END, ' ' ORDER BY p.ord) FILTER (WHERE f.flagged),
			   format('No signal flagged (%s of 5 could not be judged for lack of data).',
					  count(*) FILTER (WHERE f.value IS NULL)))
	FROM tiktrack.fraud_signals(authenticity.creator_handle, pg_catalog.now()) f
	JOIN (VALUES ('likes_exceed_views', 35, 1), ('engagement_rate_band', 20, 2),
				 ('follower_spike', 25, 3), ('views_without_engagement', 25, 4),
				 ('comment_like_ratio', 15, 5)) AS p(signal, penalty, ord)
		ON p.signal = f.signal;
END
$$;
COMMENT ON FUNCTION tiktrack.authenticity(text) IS
	'Authenticity score of a creator now: 100 minus a penalty per flagged tiktrack.fraud_signals signal (likes_exceed_views 35, engagement_rate_band 20, follower_spike 25, views_without_engagement 25, comment_like_ratio 15), never below 0, the flagged signals and one sentence per flag. Unknown handle: ERROR P0002.';
