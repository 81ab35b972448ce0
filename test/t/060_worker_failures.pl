# HTTP 500s, timeouts and malformed answers: the worker retries each video
# with exponential backoff and jitter, marks it 'failing' with the last
# error visible after tiktrack.failing_after failures, logs every request
# in fetch_log, writes nothing for a failed answer, and recovers by itself
# once the API does.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

my $query = '/v2/video/query/';
my $sim = TiktrackWorker::start_sim(seed => 60);
my $node = TiktrackWorker::worker_node('failures', $sim,
	'tiktrack.interval' => '2', 'tiktrack.early_interval' => '2',
	'tiktrack.retry_base_delay' => '1', 'tiktrack.retry_max_delay' => '2',
	'tiktrack.failing_after' => '3', 'tiktrack.http_timeout' => '1s');
TiktrackWorker::worker_pid($node);
my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 2, videos_per_creator => 2, business_share => 0, prefix => 'fail');

# HTTP 500 on every video request from the start.
$sim->post('/_sim/faults', { endpoint => $query, kind => 'http_500', count => -1 });
TiktrackWorker::track_videos($node, $creators, '1 day');
TiktrackWorker::wait_for($node, q{
	SELECT count(*) FILTER (WHERE state = 'failing' AND fetch_failures >= 3) FROM tiktrack.videos},
	'4', 30, 'videos become failing after three failures');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM tiktrack.videos WHERE last_error LIKE '%500%' AND last_error_at IS NOT NULL}),
	'4', 'the last error is visible');
is($node->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots'), '0',
	'no snapshot from a failed answer');
is($node->safe_psql('postgres', q{
	SELECT (errors_total ->> 'server_error')::int >= 6, failing_videos FROM tiktrack.worker_status}),
	't|4', 'worker_status counts server errors and failing videos');

# Backoff: retry delays of 1 s then 2 s (tiktrack.retry_max_delay), with
# jitter in [d/2, d]: in 4 s each of the two creators' requests is retried
# 2 to 4 times (a naive loop retrying every 100 ms: about 80 requests).
$sim->post('/_sim/stats/reset');
sleep(4);
my $retries = $sim->requests_to($query);
ok($retries >= 2 && $retries <= 8, "failing videos are retried with backoff: $retries requests in 4 s");

# The API recovers: so do the videos, by themselves.
$sim->delete('/_sim/faults');
TiktrackWorker::wait_for($node, q{
	SELECT string_agg(DISTINCT state || ':' || fetch_failures, ',') FROM tiktrack.videos},
	'tracking:0', 20, 'videos recover by themselves');
TiktrackWorker::wait_for($node, 'SELECT count(DISTINCT video_id) FROM tiktrack.snapshots', '4', 10,
	'snapshots arrive after recovery');

# Timeouts (slow answers beyond tiktrack.http_timeout) and malformed
# answers: counted, logged, retried; nothing half-written.
my $before = $node->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots');
$sim->post('/_sim/faults', { endpoint => $query, kind => 'slow', count => 2, delay_ms => 3000 });
$sim->post('/_sim/faults', { endpoint => $query, kind => 'malformed_json', count => 2 });
$sim->post('/_sim/faults', { endpoint => $query, kind => 'truncated_json', count => 2 });
TiktrackWorker::wait_for($node,
	q{SELECT (SELECT count(*) FROM json_object_keys(to_json(errors_total))
			  WHERE json_object_keys IN ('network', 'malformed')) FROM tiktrack.worker_status},
	'2', 30, 'timeouts and malformed answers are counted');
TiktrackWorker::wait_for($node, q{SELECT count(*) = 0 FROM tiktrack.videos WHERE fetch_failures > 0},
	't', 20, 'and retried until they succeed');
is($node->safe_psql('postgres', q{
	SELECT count(*) >= 2 FROM tiktrack.fetch_log
	WHERE endpoint = '/v2/video/query/' AND (http_status = 0 OR error_code IN ('timeout', 'malformed_json', 'malformed'))
	   OR (http_status = 200 AND error_code IS DISTINCT FROM 'ok' AND endpoint = '/v2/video/query/')}),
	't', 'failed requests are in fetch_log');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM tiktrack.snapshots s
	WHERE s.views IS NULL OR s.likes IS NULL OR s.comments IS NULL OR s.shares IS NULL}),
	'0', 'no half-written snapshot');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT video_id, captured_at FROM tiktrack.snapshots
						  GROUP BY 1, 2 HAVING count(*) > 1) d}), '0', 'no duplicate snapshot');
ok($node->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots') > $before,
	'tracking went on');

$node->stop;
done_testing();
