# tiktrack.refresh() and refresh_creator() draw from TikTok's request
# budget in shared memory, the same token buckets the background worker
# uses (tiktrack.rate_limits()): a refresh takes a token; when none is
# left it waits for one if that takes at most a few seconds, and
# otherwise fails at once, before sending anything, with an error naming
# the video, the API and when to retry; a throttle TikTok gave the worker
# stops a manual refresh too.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim qw(query_fails);

my $query = 'display /v2/video/query/';

# 20 requests per minute: a burst of 2, then one every 60/18 = 3.3 s.
my $node = TiktrackSim::node('budget', 'tiktrack.display_requests_per_minute' => '20');
my $sim = TiktrackSim->start(tls => 0, seed => 16);
$sim->setup($node);

my $alice = $sim->admin(POST => '/_sim/creators', {
	handle => 'alice', api => 'display',
	videos => [
		{ id => '7300000000000000001', create_time => 1767000000, caption => 'one' },
		{ id => '7300000000000000003', create_time => 1767200000, caption => 'two' } ] });

sub q1 { return $node->safe_psql('postgres', shift); }
sub sent { return $sim->requests_to('/v2/video/query/'); }
sub limiter { my ($col, $l) = @_; return q1("SELECT $col FROM tiktrack.rate_limits() WHERE limiter = '$l'"); }

q1("SELECT tiktrack.connect_creator('$alice->{access_token}', '$alice->{refresh_token}')");
q1("SELECT tiktrack.track('https://www.tiktok.com/\@alice/video/$_')")
  for qw(7300000000000000001 7300000000000000003);

# The idle worker sets the buckets from the settings when it starts.
$node->poll_query_until('postgres', "SELECT limits = '20/min' FROM tiktrack.rate_limits() WHERE limiter = '$query'")
  or die 'the buckets were not configured';
is(limiter('available', $query), '2', 'a full bucket holds a burst of 2');

# --- a refresh takes a token from the shared bucket -------------------------
is(q1('SELECT source FROM tiktrack.refresh(7300000000000000001)'), 'display', 'first refresh');
is(limiter('available', $query), '1', 'the refresh took one token from the bucket the worker uses');
is(limiter('available', 'display /v2/user/info/'), '2', 'user info bucket untouched so far');
is(q1("SELECT source FROM tiktrack.refresh_creator('alice')"), 'display', 'refresh_creator()');
is(limiter('available', 'display /v2/user/info/'), '1', 'refresh_creator() took one token of /v2/user/info/');
is(q1('SELECT source FROM tiktrack.refresh(7300000000000000003)'), 'display', 'second refresh (the burst)');
is(limiter('waits', $query), '0', 'no wait so far');

# --- an empty bucket refilling within the limit: the refresh waits -------------
my $start = time();
is(q1('SELECT source FROM tiktrack.refresh(7300000000000000001)'), 'display',
	'third refresh: waited for a token, then succeeded');
my $took = time() - $start;
ok($took >= 2, sprintf('it waited for the refill (%.1f s; a token every 3.3 s)', $took));
is(q1("SELECT waits >= 1 AND waited_s BETWEEN 2 AND 5 FROM tiktrack.rate_limits() WHERE limiter = '$query'"),
	't', 'rate_limits() shows the wait');
is(q1('SELECT count(*) FROM tiktrack.snapshots'), '3', 'three snapshots');

# --- a budget that would take long: the refresh fails at once, sends nothing ---
# 6 requests per minute: a token every 15 s, longer than a refresh waits.
$node->append_conf('postgresql.conf', "tiktrack.display_requests_per_minute = 6\n");
$node->reload;
$node->poll_query_until('postgres', "SELECT limits = '6/min' FROM tiktrack.rate_limits() WHERE limiter = '$query'")
  or die 'the buckets were not reconfigured';
my $before = sent();
$start = time();
my $err = query_fails($node, 'SELECT tiktrack.refresh(7300000000000000003)',
	qr/ERROR:  could not refresh video 7300000000000000003: the request budget of the TikTok Display API \/v2\/video\/query\/ is used up for the next (\d+) s\nDETAIL:  The budget \(tiktrack.display_requests_per_minute = 6\) is shared with the background worker and every session of this server.\nHINT:  Try again in \1 s./,
	'budget used up: the error names the video, the API, the budget and when to retry');
$took = time() - $start;
$err =~ /for the next (\d+) s/;
ok($1 > 5 && $1 <= 16, "retry in $1 s: more than a refresh waits, at most one refill (15 s, rounded up)");
ok($took < 5, sprintf('it failed without waiting (%.1f s)', $took));
is(sent(), $before, 'nothing was sent to TikTok');
is(q1('SELECT count(*) FROM tiktrack.snapshots'), '3', 'nothing was written');
is(q1("SELECT fetch_failures || ':' || coalesce(last_error, '') FROM tiktrack.videos WHERE id = 7300000000000000003"),
	'0:', 'the video is not blamed');

# --- a throttle TikTok gave the worker holds back a manual refresh --------
$node->append_conf('postgresql.conf', "tiktrack.display_requests_per_minute = 600\n");
$node->reload;
$node->poll_query_until('postgres', "SELECT limits = '600/min' FROM tiktrack.rate_limits() WHERE limiter = '$query'")
  or die 'the buckets were not reconfigured';
$sim->admin(POST => '/_sim/faults', { endpoint => '/v2/video/query/', kind => 'http_429', count => 1, retry_after => 60 });
q1('ALTER SYSTEM SET tiktrack.worker_enabled = on');
q1('SELECT pg_reload_conf()');
$node->poll_query_until('postgres',
	"SELECT blocked_until > now() + interval '30 s' FROM tiktrack.rate_limits() WHERE limiter = '$query'")
  or die 'the worker was not throttled';
is(q1("SELECT string_agg(DISTINCT state || ':' || fetch_failures, ',') FROM tiktrack.videos"), 'tracking:0',
	'the worker counted no failure for the throttle');
$before = sent();
$err = query_fails($node, 'SELECT tiktrack.refresh(7300000000000000001)',
	qr/ERROR:  could not refresh video 7300000000000000001: the request budget of the TikTok Display API \/v2\/video\/query\/ is used up for the next (\d+) s\nDETAIL:  TikTok throttled this API; tiktrack sends it nothing until \d{4}-\d\d-\d\d \d\d:\d\d:\d\d[.\d]*\+00.\nHINT:  Try again in \1 s./,
	'while TikTok throttles the worker, a refresh fails saying until when');
$err =~ /for the next (\d+) s/;
ok($1 > 30 && $1 <= 60, "retry in $1 s: what TikTok asked the worker for (Retry-After 60)");
is(sent(), $before, 'nothing was sent to TikTok');

$node->stop;
done_testing();
