# Where requests may go: a short link whose redirect points anywhere but a
# TikTok https page naming a video is refused with a clear message, the
# Location is never requested, and the video stays unresolved with the
# reason in last_error; the base URLs (and connect_to) that decide where
# API requests go are settable by superusers only.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim qw(query_fails);

my $node = TiktrackSim::node('allow_list');
my $sim = TiktrackSim->start(tls => 1, seed => 13);
my $port = $sim->port;
# TikTok's short-link host and every foreign host of the test lead to the
# simulator, so a request that should never be made would be seen there
$sim->setup($node, 'tiktrack.connect_to' => join(',',
	"vm.tiktok.com:443:127.0.0.1:$port", "evil.example.com:443:127.0.0.1:$port",
	"www.tiktok.com:443:127.0.0.1:$port", "www.tiktok.com:8443:127.0.0.1:$port",
	"www.tiktok.com:80:127.0.0.1:$port", "www.tiktok.com.evil.example:443:127.0.0.1:$port"));
my $carol = $sim->admin(POST => '/_sim/creators', {
	handle => 'carol', api => 'display',
	videos => [ { id => '7300000000000000004', create_time => 1767150000, caption => 'c' } ] });

sub q1 { return $node->safe_psql('postgres', shift); }

is(q1("SELECT tiktrack.connect_creator('$carol->{access_token}', '$carol->{refresh_token}')"), '1', 'carol connected');

my $vid = '7300000000000000004';
my @refused = (
	[ ZMevil1 => "https://evil.example.com/\@carol/video/$vid", 'a foreign host' ],
	[ ZMevil2 => "http://www.tiktok.com/\@carol/video/$vid", 'plain http to TikTok' ],
	[ ZMevil3 => "https://www.tiktok.com.evil.example/\@carol/video/$vid", 'a look-alike host' ],
	[ ZMevil4 => "https://www.tiktok.com:8443/\@carol/video/$vid", 'TikTok on another port' ],
	[ ZMevil5 => "https://user\@www.tiktok.com/\@carol/video/$vid", 'userinfo in the URL' ],
	# a relative Location is resolved against the short link first
	[ ZMevil6 => "//evil.example.com/\@carol/video/$vid", 'a scheme-relative URL',
		"https://evil.example.com/\@carol/video/$vid" ]);
$sim->admin(POST => '/_sim/stats/reset');
for my $case (@refused)
{
	my ($code, $sent, $what, $location) = @$case;
	$location //= $sent;
	$sim->admin(POST => '/_sim/shortlinks', { code => $code, location => $sent });
	my $short = "https://vm.tiktok.com/$code/";
	my $ph = q1("SELECT tiktrack.track('$short')");
	cmp_ok($ph, '<', 0, "$what: tracked with a placeholder id");
	my $reason = qq{short link $short redirects to "$location", which is not a TikTok https URL; not followed};
	my ($ret, $out, $err) = $node->psql('postgres', "SELECT tiktrack.refresh($ph) IS NULL");
	is($ret, 0, "$what: refresh() reports instead of failing the transaction");
	is($out, 't', "$what: no snapshot");
	like($err, qr/WARNING:  video $ph was not resolved: \Q$reason\E\nDETAIL:  Only redirects to https:\/\/www\.tiktok\.com \(and TikTok's other web hosts\) naming a video are followed; the video stays unresolved with this reason in last_error\./,
		"$what: the warning says why");
	is(q1("SELECT id || '|' || state || '|' || fetch_failures || '|' || last_error || '|' || (last_error_at IS NOT NULL)::text FROM tiktrack.videos WHERE short_url = '$short'"),
		"$ph|resolving|1|$reason|true", "$what: the video stays unresolved with last_error set");
	is(q1("SELECT api || '|' || endpoint || '|' || http_status || '|' || error_code || '|' || message FROM tiktrack.fetch_log ORDER BY id DESC LIMIT 1"),
		"web|short link|301|redirect_refused|$location", "$what: fetch_log records the refused redirect");
}
my $paths = $sim->admin(GET => '/_sim/stats')->{per_path};
is(join(',', sort keys %$paths), join(',', sort map { "/$_->[0]/" } @refused),
	'only the short links were requested, never a redirect target');
is(q1("SELECT count(*) FROM tiktrack.videos WHERE id > 0"), '0', 'no video was resolved');
is(q1("SELECT count(*) FROM tiktrack.snapshots"), '0', 'no snapshot');

# a TikTok page that names no video is not followed either
$sim->admin(POST => '/_sim/shortlinks', { code => 'ZMprof', location => 'https://www.tiktok.com/@carol' });
my $ph = q1("SELECT tiktrack.track('https://vm.tiktok.com/ZMprof/')");
my ($ret, $out, $err) = $node->psql('postgres', "SELECT tiktrack.refresh($ph)");
like($err, qr/WARNING:  video $ph was not resolved: short link https:\/\/vm\.tiktok\.com\/ZMprof\/ redirects to "https:\/\/www\.tiktok\.com\/\@carol", which names no video/,
	'a redirect to a profile page: warning');
is(q1("SELECT state || '|' || (last_error LIKE '%which names no video')::text FROM tiktrack.videos WHERE id = $ph"), 'resolving|true',
	'a redirect to a profile page: unresolved, last_error set');

# the same short link redirecting to the video page is followed (control)
$sim->admin(POST => '/_sim/shortlinks', { code => 'ZMevil1', video_id => $vid });
my $e = $sim->admin(GET => "/_sim/expected?video_id=$vid")->{display};
is(q1("SELECT video_id || '|' || views FROM tiktrack.refresh((SELECT id FROM tiktrack.videos WHERE short_url = 'https://vm.tiktok.com/ZMevil1/'))"),
	"$vid|$e->{view_count}", 'once it redirects to the TikTok video page, the short link resolves and is fetched');
is(q1("SELECT state || '|' || coalesce(last_error, '-') || '|' || url FROM tiktrack.videos WHERE id = $vid"),
	"tracking|-|https://www.tiktok.com/\@carol/video/$vid", 'the row is completed and the error cleared');

# --- only superusers decide where requests go --------------------------------------------
my @as_app = TiktrackSim::app_role($node, 'tiktrack.refresh(bigint)');
for my $setting (qw(tiktrack.api_base_url tiktrack.business_api_base_url tiktrack.connect_to))
{
	query_fails($node, "SET $setting = 'https://evil.example.com'", qr/permission denied to set parameter "\Q$setting\E"/,
		"non-superuser SET $setting", @as_app);
	query_fails($node, "ALTER ROLE app SET $setting = 'https://evil.example.com'", qr/permission denied to set parameter "\Q$setting\E"/,
		"non-superuser ALTER ROLE SET $setting", @as_app);
	local $ENV{PGOPTIONS} = "-c $setting=https://evil.example.com";
	query_fails($node, 'SELECT 1', qr/permission denied to set parameter "\Q$setting\E"/,
		"non-superuser connection option $setting", @as_app);
}
query_fails($node, 'SHOW tiktrack.connect_to', qr/must be superuser or have privileges of pg_read_all_settings to examine "tiktrack\.connect_to"/,
	'connect_to is hidden from non-superusers', @as_app);
# a superuser's base URL must be a plain origin: no user info, no query
query_fails($node, "SET tiktrack.api_base_url = 'https://open.tiktokapis.com\@evil.example.com'",
	qr/invalid value for parameter "tiktrack\.api_base_url"/, 'a base URL with user info is rejected');
query_fails($node, "SET tiktrack.business_api_base_url = 'https://evil.example.com/?x=1'",
	qr/invalid value for parameter "tiktrack\.business_api_base_url".*\n.*no query string/, 'a base URL with a query string is rejected');

# API requests follow the base URL: pointed elsewhere by a superuser, the
# Display API is no longer the simulator (connection refused on port 1)
my $before = $sim->requests_total;
query_fails($node, "SET tiktrack.api_base_url = 'https://localhost:1'; SELECT tiktrack.refresh($vid)",
	qr/could not fetch video $vid: TikTok Display API \/v2\/video\/query\/ failed, error code connect/,
	'requests go to the configured base URL only');
is($sim->requests_total, $before, 'and not to the simulator');

$sim->stop;
$node->stop;
done_testing();
