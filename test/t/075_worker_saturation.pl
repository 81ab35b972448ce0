# Fair scheduling under saturation (issue 12): the tracked videos need
# 150 % of what the request budgets allow, on both APIs.  The budget goes
# to the oldest due work first whatever the creator's id, so every video
# keeps getting snapshots (none starves, as the highest-numbered creators
# did when the budget was spent in creator order), every video is equally
# late (its gaps stay within 2x the mean gap of its API), and
# worker_status says that the worker is saturated and how far behind it
# is.  The scenario of the issue (1,000 videos, 600 requests/min) scaled
# down: 16 creators x 5 videos, a snapshot every 2 s, 160 requests/min
# per API, i.e. 240 wanted for 160 allowed.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

my $sim = TiktrackWorker::start_sim(seed => 75);
my $node = TiktrackWorker::worker_node('saturation', $sim,
	'tiktrack.interval' => '2', 'tiktrack.early_interval' => '2',
	'tiktrack.display_requests_per_minute' => '160',
	'tiktrack.business_requests_per_minute' => '160');
TiktrackWorker::worker_pid($node);
my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 16, videos_per_creator => 5, business_share => 0.5, prefix => 'sat');
is($node->safe_psql('postgres', q{
	SELECT string_agg(authorized_via || ':' || n, ',' ORDER BY authorized_via)
	FROM (SELECT authorized_via, count(*) AS n FROM tiktrack.creators GROUP BY 1) c}),
	'business:8,display:8', '8 creators per API, 5 videos each');
TiktrackWorker::track_videos($node, $creators, '1 day');

# Past the initial burst of the buckets, 25 s of saturation.
sleep(10);
my $from = $node->safe_psql('postgres', 'SELECT now()');
sleep(25);
my $to = $node->safe_psql('postgres', 'SELECT now()');

my $window = "s.captured_at BETWEEN '$from' AND '$to'";
is($node->safe_psql('postgres', qq{
	SELECT count(*) FROM tiktrack.videos v
	WHERE (SELECT count(*) FROM tiktrack.snapshots s WHERE s.video_id = v.id AND $window) < 4}),
	'0', 'every video got at least 4 snapshots in 25 s: none starves');
is($node->safe_psql('postgres', q{SELECT count(DISTINCT video_id) FROM tiktrack.snapshots}), '80',
	'all 80 videos are measured');

# Gaps between a video's consecutive snapshots, per API; the longest
# also counts from the start of the window to the first snapshot and from
# the last to its end, so a video served rarely or never shows too.
my $gaps = $node->safe_psql('postgres', qq{
	WITH p AS (
		SELECT v.id, cr.authorized_via AS api, x.t, x.edge
		FROM tiktrack.videos v JOIN tiktrack.creators cr ON cr.id = v.creator_id
		CROSS JOIN LATERAL (
			SELECT s.captured_at, false FROM tiktrack.snapshots s WHERE s.video_id = v.id AND $window
			UNION ALL SELECT '$from'::timestamptz, true
			UNION ALL SELECT '$to'::timestamptz, true) x(t, edge)),
	g AS (
		SELECT api, edge OR lag(edge) OVER w AS partial,
			   extract(epoch FROM t - lag(t) OVER w) AS gap
		FROM p WINDOW w AS (PARTITION BY id ORDER BY t))
	SELECT api, round(avg(gap) FILTER (WHERE NOT partial)::numeric, 2), round(max(gap)::numeric, 2)
	FROM g WHERE gap IS NOT NULL GROUP BY api ORDER BY api});
note("gaps per API (api, mean s, max s):\n$gaps");
for my $line (split /\n/, $gaps)
{
	my ($api, $mean, $max) = split /\|/, $line;
	ok($mean > 2.2, "$api: the mean gap ($mean s) shows the saturation (cadence 2 s, 2/3 of the demand served)");
	ok($max <= 2 * $mean, "$api: the longest gap ($max s) is within 2x the mean gap: every video equally late");
}
is(scalar(split /\n/, $gaps), 2, 'both APIs measured');

is($node->safe_psql('postgres', q{
	SELECT saturated, (oldest_due_age_s ->> 'display')::float > 0, (oldest_due_age_s ->> 'business')::float > 0
	FROM tiktrack.worker_status}),
	't|t|t', 'worker_status: saturated, and behind schedule on both APIs');

# Demand back under the budget (a 60 s cadence): the backlog drains.
$node->append_conf('postgresql.conf', "tiktrack.interval = '60'\ntiktrack.early_interval = '60'\n");
$node->reload;
TiktrackWorker::wait_for($node, q{SELECT oldest_due_age_s IS NULL FROM tiktrack.worker_status},
	't', 20, 'under the budget the worker catches up: nothing is due');

# latest_snapshots: kept by the store step for the worker's batches, by
# the trigger for a plain INSERT.
is($node->safe_psql('postgres', q{
	SELECT count(*) FILTER (WHERE (l.snapshot_count, l.captured_at, l.views)
							IS DISTINCT FROM (t.n, t.last_at, t.last_views)),
		   count(*)
	FROM tiktrack.latest_snapshots l
	CROSS JOIN LATERAL (
		SELECT count(*) AS n, max(s.captured_at) AS last_at,
			   (array_agg(s.views ORDER BY s.captured_at DESC))[1] AS last_views
		FROM tiktrack.snapshots s WHERE s.video_id = l.video_id) t}), '0|80', 'the store step kept latest_snapshots exact for all 80 videos');
is($node->safe_psql('postgres', q{
	INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	SELECT id, now() + interval '1 day', 123456789, 'manual' FROM tiktrack.videos ORDER BY id LIMIT 1;
	SELECT l.views || ':' || l.source || ':' || (l.snapshot_count = (SELECT count(*) FROM tiktrack.snapshots s WHERE s.video_id = l.video_id))
	FROM tiktrack.latest_snapshots l ORDER BY l.video_id LIMIT 1}), '123456789:manual:true',
	'a plain INSERT INTO tiktrack.snapshots still keeps latest_snapshots right');

$node->stop;
done_testing();
