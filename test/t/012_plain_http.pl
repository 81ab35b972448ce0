# Plain http against the simulator: refused before any connection unless a
# superuser turns on tiktrack.allow_insecure_http (in a session or in the
# server configuration), then it works with exact values; a non-superuser
# can neither turn it on nor get around the refusal.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim qw(query_fails);

my $node = TiktrackSim::node('plain_http');
my $sim = TiktrackSim->start(tls => 0, seed => 12);
# the http:// base URLs, but plain http not allowed
$sim->setup($node, 'tiktrack.allow_insecure_http' => 'off');
my $alice = $sim->admin(POST => '/_sim/creators', {
	handle => 'alice', api => 'display',
	videos => [ { id => '7300000000000000001', create_time => 1767000000, caption => 'a' } ] });

sub q1 { return $node->safe_psql('postgres', shift); }

like($sim->url, qr{^http://localhost:\d+$}, 'the simulator speaks plain http');
is(q1('SHOW tiktrack.api_base_url'), $sim->url, 'base URL is http://');
is(q1('SHOW tiktrack.allow_insecure_http'), 'off', 'plain http is off');

my $refused = qr/error code refused: plain http to "localhost" is refused; a superuser can allow it with tiktrack\.allow_insecure_http \(local simulators only\)/;
my $connect = "SELECT tiktrack.connect_creator('$alice->{access_token}', '$alice->{refresh_token}')";
query_fails($node, "\\set VERBOSITY verbose\n$connect",
	qr/ERROR:  08006: reading the creator's profile failed: TikTok Display API \/v2\/user\/info\/ failed, $refused/,
	'connect_creator over plain http is refused');
is($sim->requests_total, 0, 'refused before connecting: the simulator saw no request');
is(q1("SELECT (SELECT count(*) FROM tiktrack.creators) || ':' || (SELECT count(*) FROM tiktrack.fetch_log)"),
	'0:0', 'nothing written');

# a superuser allows it for a session
is(q1("SET tiktrack.allow_insecure_http = on; $connect"), '1', 'superuser session with allow_insecure_http: connect_creator works');
q1("SELECT tiktrack.track('https://www.tiktok.com/\@alice/video/7300000000000000001')");
my $e = $sim->admin(GET => '/_sim/expected?video_id=7300000000000000001')->{display};
is(q1('SET tiktrack.allow_insecure_http = on; SELECT views, likes, comments, shares, source FROM tiktrack.refresh(7300000000000000001)'),
	"$e->{view_count}|$e->{like_count}|$e->{comment_count}|$e->{share_count}|display",
	'refresh() over plain http with exact values once allowed');

# without it again: refused, nothing written
my $requests = $sim->requests_total;
my $snapshots = q1('SELECT count(*) FROM tiktrack.snapshots');
my $logged = q1('SELECT count(*) FROM tiktrack.fetch_log');
query_fails($node, "\\set VERBOSITY verbose\nSELECT tiktrack.refresh(7300000000000000001)",
	qr/ERROR:  42501: could not fetch video 7300000000000000001: TikTok Display API \/v2\/video\/query\/ failed, $refused/,
	'refresh() refused in a session without it (insufficient_privilege)');
query_fails($node, "SELECT tiktrack.refresh_creator('alice')", qr/could not fetch the stats of \@alice: TikTok Display API \/v2\/user\/info\/ failed, $refused/,
	'refresh_creator() refused');
is($sim->requests_total, $requests, 'no request reached the simulator');
is(q1('SELECT count(*) FROM tiktrack.snapshots') . ':' . q1('SELECT count(*) FROM tiktrack.fetch_log'),
	"$snapshots:$logged", 'refusal wrote nothing');
is(q1("SELECT fetch_failures || ':' || coalesce(last_error, '-') FROM tiktrack.videos WHERE id = 7300000000000000001"),
	'0:-', 'the video is untouched');

# a non-superuser cannot turn it on
my @as_app = TiktrackSim::app_role($node, 'tiktrack.refresh(bigint)');
query_fails($node, 'SET tiktrack.allow_insecure_http = on', qr/permission denied to set parameter "tiktrack\.allow_insecure_http"/,
	'non-superuser SET', @as_app);
query_fails($node, "SELECT set_config('tiktrack.allow_insecure_http', 'on', true)", qr/permission denied to set parameter "tiktrack\.allow_insecure_http"/,
	'non-superuser set_config', @as_app);
query_fails($node, 'ALTER ROLE app SET tiktrack.allow_insecure_http = on', qr/permission denied to set parameter "tiktrack\.allow_insecure_http"/,
	'non-superuser ALTER ROLE SET', @as_app);
query_fails($node, 'ALTER SYSTEM SET tiktrack.allow_insecure_http = on', qr/must be superuser to execute ALTER SYSTEM command|permission denied to set parameter/,
	'non-superuser ALTER SYSTEM', @as_app);
{
	local $ENV{PGOPTIONS} = '-c tiktrack.allow_insecure_http=on';
	query_fails($node, 'SELECT 1', qr/permission denied to set parameter "tiktrack\.allow_insecure_http"/,
		'non-superuser connection option', @as_app);
}
query_fails($node, 'SELECT tiktrack.refresh(7300000000000000001)', $refused, 'non-superuser refresh() is refused', @as_app);
is($sim->requests_total, $requests, 'still no request reached the simulator');

# the superuser turns it on for the server: now the granted role can use it
q1('ALTER SYSTEM SET tiktrack.allow_insecure_http = on');
$node->reload;
$sim->admin(POST => '/_sim/clock', { advance => 3600 });
$e = $sim->admin(GET => '/_sim/expected?video_id=7300000000000000001')->{display};
is($node->safe_psql('postgres', 'SELECT views, likes, source FROM tiktrack.refresh(7300000000000000001)', @as_app),
	"$e->{view_count}|$e->{like_count}|display",
	'after a superuser enabled it server-wide, a granted role refreshes over plain http');
is(q1("SELECT string_agg(endpoint || ':' || http_status || ':' || error_code, ',' ORDER BY id) FROM tiktrack.fetch_log WHERE endpoint = '/v2/video/query/'"),
	'/v2/video/query/:200:ok,/v2/video/query/:200:ok', 'fetch_log holds only the two successful requests');

$sim->stop;
$node->stop;
done_testing();
