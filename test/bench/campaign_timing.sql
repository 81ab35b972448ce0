-- Timings for test/bench/campaign_metrics.sh (psql variables: campaign,
-- as_of, runs).  Each query runs `runs` times inside the server; we report
-- the best and the median wall time in milliseconds, and the ratio of the
-- obvious DISTINCT ON query to campaign_metrics measured in the same run.
\set ON_ERROR_STOP on
SET client_min_messages = warning;

CREATE FUNCTION pg_temp.bench(label text, q text, runs int,
							  OUT query text, OUT best_ms numeric, OUT median_ms numeric)
LANGUAGE plpgsql AS $$
DECLARE
	t0 timestamptz;
	ms float8[] := '{}';
BEGIN
	FOR i IN 1 .. runs LOOP
		t0 := clock_timestamp();
		EXECUTE q;
		ms := ms || extract(epoch FROM clock_timestamp() - t0)::float8 * 1000;
	END LOOP;
	query := label;
	SELECT round(min(x)::numeric, 3), round(percentile_cont(0.5) WITHIN GROUP (ORDER BY x)::numeric, 3)
		INTO best_ms, median_ms FROM unnest(ms) AS x;
END
$$;

-- The obvious queries: each post's latest (or latest before as_of)
-- snapshot by DISTINCT ON over the posts' whole history.
\set distinct_on_latest 'SELECT sum(x.views) AS views, sum(coalesce(x.likes, 0) + coalesce(x.comments, 0) + coalesce(x.shares, 0) + coalesce(x.saves, 0)) AS engagement, count(*) AS published FROM (SELECT DISTINCT ON (s.video_id) s.* FROM tiktrack.snapshots s JOIN tiktrack.campaign_posts cp ON cp.video_id = s.video_id WHERE cp.campaign_id = ' :campaign ' ORDER BY s.video_id, s.captured_at DESC) x'
\set distinct_on_as_of 'SELECT sum(x.views) AS views, sum(coalesce(x.likes, 0) + coalesce(x.comments, 0) + coalesce(x.shares, 0) + coalesce(x.saves, 0)) AS engagement, count(*) AS published FROM (SELECT DISTINCT ON (s.video_id) s.* FROM tiktrack.snapshots s JOIN tiktrack.campaign_posts cp ON cp.video_id = s.video_id WHERE cp.campaign_id = ' :campaign ' AND s.captured_at <= ' :'as_of' ' ORDER BY s.video_id, s.captured_at DESC) x'

\echo
\echo -- the fast path and the baseline agree (else the benchmark stops)
SELECT m.total_views = d.views AND m.total_engagement = d.engagement AND m.posts_published = d.published AS latest_agrees,
	   m.total_views, m.posts_published, m.posts_pending
FROM tiktrack.campaign_metrics(:campaign) m, (:distinct_on_latest) d \gset
SELECT m.total_views = d.views AND m.total_engagement = d.engagement AND m.posts_published = d.published AS as_of_agrees,
	   m.total_views AS as_of_views, m.posts_published AS as_of_published
FROM tiktrack.campaign_metrics(:campaign, :'as_of') m, (:distinct_on_as_of) d \gset
\echo latest: :total_views views, :posts_published published, :posts_pending pending; agrees with DISTINCT ON: :latest_agrees
\echo as_of :as_of: :as_of_views views, :as_of_published published; agrees with DISTINCT ON: :as_of_agrees
SELECT :'latest_agrees'::bool AND :'as_of_agrees'::bool AS ok \gset
\if :ok
\else
\echo campaign_metrics disagrees with the DISTINCT ON baseline
\quit 3
\endif

\echo
\echo -- timings (ms, best and median of :runs runs, measured in the server)
CREATE TEMP TABLE result AS
SELECT * FROM pg_temp.bench('campaign_metrics(c)', 'SELECT * FROM tiktrack.campaign_metrics(' || :campaign || ')', :runs)
UNION ALL
SELECT * FROM pg_temp.bench('DISTINCT ON latest (baseline)', :'distinct_on_latest', :runs)
UNION ALL
SELECT * FROM pg_temp.bench('campaign_metrics(c, as_of)', format('SELECT * FROM tiktrack.campaign_metrics(%s, %L)', :campaign, :'as_of'), :runs)
UNION ALL
SELECT * FROM pg_temp.bench('DISTINCT ON as_of (baseline)', :'distinct_on_as_of', :runs)
UNION ALL
SELECT * FROM pg_temp.bench('campaign_posts(c)', 'SELECT * FROM tiktrack.campaign_posts(' || :campaign || ')', :runs)
UNION ALL
SELECT * FROM pg_temp.bench('campaign_creators(c)', 'SELECT * FROM tiktrack.campaign_creators(' || :campaign || ')', :runs)
UNION ALL
SELECT * FROM pg_temp.bench('post_windows(c)', 'SELECT * FROM tiktrack.post_windows(' || :campaign || ')', :runs)
UNION ALL
SELECT * FROM pg_temp.bench('campaign_summary (all campaigns)', 'SELECT * FROM tiktrack.campaign_summary', :runs);
SELECT query, best_ms, median_ms FROM result;

\echo -- ratios (baseline best / campaign_metrics best)
SELECT round(d.best_ms / m.best_ms, 1) AS latest_speedup,
	   round(da.best_ms / ma.best_ms, 1) AS as_of_speedup
FROM result m, result d, result ma, result da
WHERE m.query = 'campaign_metrics(c)' AND d.query = 'DISTINCT ON latest (baseline)'
  AND ma.query = 'campaign_metrics(c, as_of)' AND da.query = 'DISTINCT ON as_of (baseline)';
