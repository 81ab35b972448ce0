# TLS verification against the simulator over HTTPS: the right CA in
# tiktrack.ca_file works; a wrong CA, no CA file (system CAs only) or an
# unreadable CA file make every API fail with a clear error that names the
# endpoint and says the certificate could not be verified, before any
# request reaches the server and with nothing written; and a non-superuser
# has no way to turn verification off or to change what is trusted.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim qw(query_fails);

my $node = TiktrackSim::node('tls');
my $sim = TiktrackSim->start(tls => 1, seed => 11);
$sim->setup($node);

my $alice = $sim->admin(POST => '/_sim/creators', {
	handle => 'alice', api => 'display',
	videos => [ { id => '7300000000000000001', create_time => 1767000000, caption => 'a' } ] });
my $bob = $sim->admin(POST => '/_sim/creators', {
	handle => 'bob', api => 'business',
	videos => [ { id => '7300000000000000002', create_time => 1767100000, caption => 'b' } ] });

sub q1 { return $node->safe_psql('postgres', shift); }

# --- the right CA -------------------------------------------------------------
is(q1("SHOW tiktrack.ca_file"), $sim->ca, 'tiktrack.ca_file names the test CA');
is(q1("SELECT tiktrack.connect_creator('$alice->{access_token}', '$alice->{refresh_token}')"), '1',
	'right CA: connect_creator (display) works');
is(q1("SELECT tiktrack.connect_creator('$bob->{access_token}', '$bob->{refresh_token}', api => 'business')"), '2',
	'right CA: connect_creator (business) works');
q1("SELECT tiktrack.track('https://www.tiktok.com/\@alice/video/7300000000000000001')");
q1("SELECT tiktrack.track('https://www.tiktok.com/\@bob/video/7300000000000000002')");
my $e1 = $sim->admin(GET => '/_sim/expected?video_id=7300000000000000001')->{display};
is(q1('SELECT views, likes, source FROM tiktrack.refresh(7300000000000000001)'),
	"$e1->{view_count}|$e1->{like_count}|display", 'right CA: refresh() stores exact values');

# --- what must fail -------------------------------------------------------------
my $snapshots = q1('SELECT count(*) FROM tiktrack.snapshots');
my $logged = q1('SELECT count(*) FROM tiktrack.fetch_log');
my $creator_stats = q1('SELECT count(*) FROM tiktrack.creator_stats');
my $seen_query = $sim->requests_to('/v2/video/query/');
my $seen_list = $sim->requests_to('/open_api/v1.3/business/video/list/');
my $port = $sim->port;
my $verify_failed = qr/the TLS certificate of localhost:$port could not be verified \(SSL certificate problem: unable to get local issuer certificate\)/;
my $hint = qr/HINT:  Certificates are verified against the system CAs and tiktrack\.ca_file; verification cannot be turned off\.  If TikTok is reached through a TLS-inspecting proxy or a local test double, a superuser can set tiktrack\.ca_file to its CA bundle\./;

my %cases = (
	'wrong CA' => "SET tiktrack.ca_file = '" . $sim->wrong_ca . "';",
	# the test CA is in no system store: without the file nothing trusts it
	'system CAs only' => "SET tiktrack.ca_file = '';",
	# plain http allowed changes nothing for https
	'wrong CA, plain http allowed' => "SET tiktrack.ca_file = '" . $sim->wrong_ca . "'; SET tiktrack.allow_insecure_http = on;");
for my $case (sort keys %cases)
{
	my $set = "\\set VERBOSITY verbose\n$cases{$case}\n";
	my $err = query_fails($node, "${set}SELECT tiktrack.refresh(7300000000000000001)",
		qr/ERROR:  08006: could not fetch video 7300000000000000001: TikTok Display API \/v2\/video\/query\/ failed, error code tls: $verify_failed/,
		"$case: Display refresh()");
	like($err, $hint, "$case: the hint names tiktrack.ca_file");
	query_fails($node, "${set}SELECT tiktrack.refresh(7300000000000000002)",
		qr/could not fetch video 7300000000000000002: TikTok Business API \/business\/video\/list\/ failed, error code tls: $verify_failed/,
		"$case: Business refresh()");
	query_fails($node, "${set}SELECT tiktrack.refresh_creator('alice')",
		qr/could not fetch the stats of \@alice: TikTok Display API \/v2\/user\/info\/ failed, error code tls: $verify_failed/,
		"$case: refresh_creator()");
	query_fails($node, "${set}SELECT tiktrack.connect_creator('$alice->{access_token}', '$alice->{refresh_token}')",
		qr/TikTok Display API \/v2\/user\/info\/ failed, error code tls: $verify_failed/,
		"$case: connect_creator()");
}
my $err = query_fails($node, "SET tiktrack.ca_file = '/nonexistent/ca.pem'; SELECT tiktrack.refresh(7300000000000000001)",
	qr/TikTok Display API \/v2\/video\/query\/ failed, error code tls: could not load the CA certificates of tiktrack\.ca_file/,
	'unreadable CA file');
like($err, $hint, 'unreadable CA file: hint');

is(q1('SELECT count(*) FROM tiktrack.snapshots'), $snapshots, 'no snapshot written by a failed TLS handshake');
is(q1('SELECT count(*) FROM tiktrack.fetch_log'), $logged, 'no fetch_log row left behind');
is(q1('SELECT count(*) FROM tiktrack.creator_stats'), $creator_stats, 'no creator_stats row');
is(q1("SELECT fetch_failures || ':' || coalesce(last_error, '-') || ':' || state FROM tiktrack.videos WHERE id = 7300000000000000001"),
	'0:-:tracking', 'the video is untouched');
is(q1("SELECT count(*) FROM tiktrack.creators"), '2', 'no creator added by the failed connect_creator');
is($sim->requests_to('/v2/video/query/'), $seen_query, 'no Display request reached the server');
is($sim->requests_to('/open_api/v1.3/business/video/list/'), $seen_list, 'no Business request reached the server');

# after all that, the configured CA works again (positive control)
my $e2 = $sim->admin(GET => '/_sim/expected?video_id=7300000000000000002')->{business};
is(q1('SELECT views, reach, source FROM tiktrack.refresh(7300000000000000002)'),
	"$e2->{video_views}|$e2->{reach}|business", 'right CA again: Business refresh() works');

# --- a non-superuser cannot weaken TLS ----------------------------------------------
my @as_app = TiktrackSim::app_role($node, 'tiktrack.refresh(bigint)');
is($node->safe_psql('postgres', 'SELECT source FROM tiktrack.refresh(7300000000000000001)', @as_app),
	'display', 'a granted non-superuser refreshes through the verified connection');
my $wrong = $sim->wrong_ca;
for my $setting ('tiktrack.ca_file', 'tiktrack.api_base_url', 'tiktrack.business_api_base_url',
	'tiktrack.connect_to', 'tiktrack.allow_insecure_http')
{
	my $value = $setting eq 'tiktrack.allow_insecure_http' ? 'on'
	  : $setting eq 'tiktrack.ca_file' ? $wrong : 'https://localhost:1';
	query_fails($node, "SET $setting = '$value'", qr/permission denied to set parameter "\Q$setting\E"/,
		"non-superuser SET $setting", @as_app);
	query_fails($node, "SELECT set_config('$setting', '$value', false)", qr/permission denied to set parameter "\Q$setting\E"/,
		"non-superuser set_config($setting)", @as_app);
	query_fails($node, "ALTER ROLE app SET $setting = '$value'", qr/permission denied to set parameter "\Q$setting\E"/,
		"non-superuser ALTER ROLE SET $setting", @as_app);
}
{
	local $ENV{PGOPTIONS} = "-c tiktrack.ca_file=$wrong";
	query_fails($node, 'SELECT 1', qr/permission denied to set parameter "tiktrack\.ca_file"/,
		'non-superuser cannot pass tiktrack.ca_file at connection time', @as_app);
}
is(q1("SELECT string_agg(name, ',' ORDER BY name) FROM pg_settings WHERE name ~ '^tiktrack\\.' AND name ~ '(verif|ssl|tls|insecure|ca_)'"),
	'tiktrack.allow_insecure_http,tiktrack.ca_file',
	'no setting turns verification off (allow_insecure_http is about plain http only)');
is(q1("SELECT string_agg(name || '=' || context, ',' ORDER BY name) FROM pg_settings WHERE name IN ('tiktrack.ca_file', 'tiktrack.allow_insecure_http', 'tiktrack.api_base_url', 'tiktrack.business_api_base_url')"),
	'tiktrack.allow_insecure_http=superuser,tiktrack.api_base_url=superuser,tiktrack.business_api_base_url=superuser,tiktrack.ca_file=superuser',
	'the trust and destination settings are superuser-only');
is($node->safe_psql('postgres', 'SELECT source FROM tiktrack.refresh(7300000000000000001)', @as_app),
	'display', 'still verified with the configured CA');

$sim->stop;
$node->stop;
done_testing();
