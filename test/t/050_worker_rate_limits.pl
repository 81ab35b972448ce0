# A storm of HTTP 429 (Display, with Retry-After) and Business code 40100
# throttles: the worker backs off as TikTok asks, does not count the
# throttles as failures of the videos, still fetches every video once the
# storm is over, and sends far fewer requests than a naive retry loop.
# Our own token buckets keep us under the configured limits too.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

my $query = '/v2/video/query/';
my $blist = '/open_api/v1.3/business/video/list/';
my $sim = TiktrackWorker::start_sim(seed => 50);
my $node = TiktrackWorker::worker_node('ratelimit', $sim,
	'tiktrack.interval' => '1h', 'tiktrack.early_interval' => '1h',
	'tiktrack.business_throttle_wait' => '5min',
	'tiktrack.display_requests_per_minute' => '6');
TiktrackWorker::worker_pid($node);

# Our own bucket: 6 requests per minute for the video query endpoint
# (burst 1): tracking 8 Display creators' videos at once means
# waiting, never more than the limit.
my $more = TiktrackWorker::connect_creators($node, $sim,
	creators => 8, videos_per_creator => 1, business_share => 0, prefix => 'bucket');
$sim->post('/_sim/stats/reset');
TiktrackWorker::track_videos($node, $more, '1 day');
sleep(4);
my $sent = $sim->requests_to($query);
ok($sent >= 1 && $sent <= 2, "our bucket allowed $sent video requests in 4 s at 6/min");
is($node->safe_psql('postgres', q{
	SELECT rate_limit_waits_last_hour > 0 FROM tiktrack.worker_status}), 't',
	'worker_status shows the rate-limit waits');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM tiktrack.videos v WHERE v.fetch_failures > 0 OR v.state <> 'tracking'}),
	'0', 'postponed videos are neither failing nor lost');

$node->append_conf('postgresql.conf', "tiktrack.display_requests_per_minute = 600\n");
$node->reload;
TiktrackWorker::wait_for($node,
	q{SELECT limits FROM tiktrack.rate_limits() WHERE limiter = 'display /v2/video/query/'},
	'600/min', 10, 'a reload changes the limit');
TiktrackWorker::wait_for($node, 'SELECT count(DISTINCT video_id) FROM tiktrack.snapshots', '8', 30,
	'the postponed videos are fetched once the limit allows');

my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 3, videos_per_creator => 2, business_share => 0.34, prefix => 'storm');
TiktrackWorker::wait_for($node, q{
	SELECT count(*) FROM tiktrack.creator_stats s JOIN tiktrack.creators c ON c.id = s.creator_id
	WHERE c.handle LIKE 'storm%'}, '3', 30,
	'creator stats fetched first (the worker is woken by new tokens)');

# The storm: every video request is throttled for 4 seconds.
$sim->post('/_sim/stats/reset');
$sim->post('/_sim/faults', { endpoint => $query, kind => 'http_429', count => -1, retry_after => 2 });
$sim->post('/_sim/faults', { endpoint => $blist, kind => 'biz_40100', count => -1, retry_after => 2 });
my $start = time();
TiktrackWorker::track_videos($node, $creators, '1 day');
sleep(4);
$sim->delete('/_sim/faults');
my $storm_s = time() - $start;
my $stats = $sim->get('/_sim/stats');
my $during = ($stats->{per_path}{$query} // 0) + ($stats->{per_path}{$blist} // 0);

# A naive client retries each of its 3 requests every 100 ms: ~40 per
# request over the storm.  We wait for Retry-After (2 s), so each request
# is tried at most about storm/2 + 1 times.
my $naive = int(3 * $storm_s / 0.1);
ok($during >= 3 && $during <= 12,
	"requests during the storm: $during (a naive retry loop: about $naive)");

TiktrackWorker::wait_for($node,
	'SELECT count(DISTINCT video_id) FROM tiktrack.snapshots', '14', 30,
	'every video fetched after the storm');
is($node->safe_psql('postgres', q{
	SELECT string_agg(DISTINCT state || ':' || fetch_failures, ',') FROM tiktrack.videos}),
	'tracking:0', 'throttles are not failures: all videos tracking, no failure counted');

is($node->safe_psql('postgres', q{
	SELECT (errors_total ->> 'rate_limited')::int > 0, (errors_total ->> 'throttled')::int > 0
	FROM tiktrack.worker_status}), 't|t', 'worker_status counts both kinds of throttle');
is($node->safe_psql('postgres', q{
	SELECT string_agg(limiter || ':' || (throttles > 0) || ':' || (speed < 1), ',' ORDER BY limiter)
	FROM tiktrack.rate_limits() WHERE limiter IN ('business', 'display /v2/video/query/')}),
	'business:true:true,display /v2/video/query/:true:true',
	'both limiters were throttled and slowed down');
is($node->safe_psql('postgres', qq{
	SELECT count(*) > 0 FROM tiktrack.fetch_log WHERE endpoint = '$query' AND http_status = 429}),
	't', 'the 429 answers are in fetch_log');

$node->stop;
done_testing();
