# What issue 4 promises beyond the main paths, against the simulator:
# values stored exactly as 64-bit integers (above 2^53, up to 2^63-1) from
# both APIs, an answer beyond 64 bits refused as malformed; the response
# size cap; a query cancel honoured within about a second while a request
# hangs; a Business refresh token refused (40107) leading to
# re-authorization; and the reason a video waits for authorization,
# visible from SQL for an unknown, a never-authorized and a revoked creator.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim qw(query_fails);

my $node = TiktrackSim::node('exact');
my $sim = TiktrackSim->start(tls => 1, seed => 15);
$sim->setup($node);

my $big = $sim->admin(POST => '/_sim/creators', {
	handle => 'big', api => 'display',
	videos => [
		{ id => '7300000000000000011', create_time => 1767000000, caption => '2^53+1', views => 9007199254740993 },
		{ id => '7300000000000000013', create_time => 1767000100, caption => 'int64 max', views => '9223372036854775807' },
		{ id => '7300000000000000015', create_time => 1767000200, caption => 'too big', views => '9223372036854775808' } ] });
my $bigbiz = $sim->admin(POST => '/_sim/creators', {
	handle => 'bigbiz', api => 'business',
	videos => [
		{ id => '7300000000000000012', create_time => 1767000000, caption => 'biz 2^53+1', views => 9007199254740993 },
		{ id => '7300000000000000014', create_time => 1767000000, caption => 'x' x 20000 } ] });
my $gina = $sim->admin(POST => '/_sim/creators', {
	handle => 'gina', api => 'display',
	videos => [ { id => '7300000000000000016', create_time => 1767000000, caption => 'g' } ] });

sub q1 { return $node->safe_psql('postgres', shift); }

for my $c ($big, $gina)
{
	q1("SELECT tiktrack.connect_creator('$c->{access_token}', '$c->{refresh_token}')");
}
q1("SELECT tiktrack.connect_creator('$bigbiz->{access_token}', '$bigbiz->{refresh_token}', api => 'business')");
q1("SELECT tiktrack.track('https://www.tiktok.com/\@big/video/$_')") for qw(7300000000000000011 7300000000000000013 7300000000000000015);
q1("SELECT tiktrack.track('https://www.tiktok.com/\@bigbiz/video/$_')") for qw(7300000000000000012 7300000000000000014);
q1("SELECT tiktrack.track('https://www.tiktok.com/\@gina/video/7300000000000000016')");

# --- 64-bit values, exactly -------------------------------------------------------
my $e = $sim->admin(GET => '/_sim/expected?video_id=7300000000000000011')->{display};
is($e->{view_count}, '9007199254740993', 'the simulator serves 2^53+1 views');
is(q1('SELECT views, likes, comments, shares FROM tiktrack.refresh(7300000000000000011)'),
	"9007199254740993|$e->{like_count}|$e->{comment_count}|$e->{share_count}", 'Display: 2^53+1 stored exactly');
is(q1('SELECT views - 9007199254740992 FROM tiktrack.latest_snapshots WHERE video_id = 7300000000000000011'), '1',
	'not rounded through a double (2^53+1 - 2^53 = 1)');
$e = $sim->admin(GET => '/_sim/expected?video_id=7300000000000000013')->{display};
is(q1('SELECT views, likes FROM tiktrack.refresh(7300000000000000013)'),
	"9223372036854775807|$e->{like_count}", 'Display: 2^63-1 (the int64 maximum) stored exactly');
$e = $sim->admin(GET => '/_sim/expected?video_id=7300000000000000012')->{business};
is(q1('SELECT views, likes, comments, shares, saves, reach, source FROM tiktrack.refresh(7300000000000000012)'),
	"9007199254740993|$e->{likes}|$e->{comments}|$e->{shares}|$e->{favorites}|$e->{reach}|business",
	'Business: 2^53+1 views and the derived reach and saves stored exactly');

my $snapshots = q1('SELECT count(*) FROM tiktrack.snapshots');
my $logged = q1('SELECT count(*) FROM tiktrack.fetch_log');
query_fails($node, 'SELECT tiktrack.refresh(7300000000000000015)',
	qr/ERROR:  could not fetch video 7300000000000000015: TikTok Display API \/v2\/video\/query\/ answered HTTP 200, error code malformed_response, log_id \w+: video 7300000000000000015: field "view_count" is not an integer within 64 bits/,
	'2^63 views: refused as malformed, not wrapped or rounded');
is(q1('SELECT count(*) FROM tiktrack.snapshots') . ':' . q1('SELECT count(*) FROM tiktrack.fetch_log'),
	"$snapshots:$logged", '2^63 views: nothing written');

# --- response size cap ---------------------------------------------------------------
query_fails($node, "SET tiktrack.http_max_response_size = '16kB'; SELECT tiktrack.refresh(7300000000000000014)",
	qr/could not fetch video 7300000000000000014: TikTok Business API \/business\/video\/list\/ answered HTTP 200, error code response_too_large: response larger than tiktrack\.http_max_response_size \(16 kB\)/,
	'an answer above tiktrack.http_max_response_size is refused');
is(q1('SELECT count(*) FROM tiktrack.snapshots WHERE video_id = 7300000000000000014'), '0', 'nothing stored');
is(q1('SELECT source FROM tiktrack.refresh(7300000000000000014)'), 'business', 'with the default cap the same answer is accepted');
is(q1('SELECT length(caption) FROM tiktrack.videos WHERE id = 7300000000000000014'), '20000', 'all of it');

# --- a cancel while TikTok hangs -------------------------------------------------------
$sim->admin(POST => '/_sim/faults', { endpoint => '/v2/video/query/', kind => 'slow', delay_ms => 8000 });
my $t = time();
query_fails($node, "SET statement_timeout = '1s'; SELECT tiktrack.refresh(7300000000000000011)",
	qr/ERROR:  canceling statement due to statement timeout/, 'statement_timeout during a hanging request');
my $took = time() - $t;
cmp_ok($took, '<', 3, sprintf('the cancel was honoured within about a second (%.2f s for a 1 s timeout)', $took));
is(q1('SELECT source FROM tiktrack.refresh(7300000000000000011)'), 'display', 'the next request works');

# --- Business refresh token refused (40107) -------------------------------------------------
q1("UPDATE tiktrack.creator_tokens SET access_expires_at = now() WHERE creator_id = (SELECT id FROM tiktrack.creators WHERE handle = 'bigbiz')");
$sim->admin(POST => '/_sim/faults', { endpoint => '/open_api/v1.3/tt_user/oauth2/refresh_token/', kind => 'revoke_refresh' });
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT tiktrack.refresh(7300000000000000012)');
like($err, qr/WARNING:  video 7300000000000000012 was not refreshed: TikTok refused to refresh the token of \@bigbiz: TikTok Business API \/tt_user\/oauth2\/refresh_token\/ answered HTTP 200, error code 40107/,
	'Business 40107: warning');
is(q1("SELECT c.auth_status || '|' || v.state FROM tiktrack.creators c JOIN tiktrack.videos v ON v.creator_id = c.id WHERE v.id = 7300000000000000012"),
	'reauthorization_needed|awaiting_authorization', 'Business 40107: the creator must authorize again, the video waits');

# --- why a video waits: visible from SQL -------------------------------------------------------
# (track() refuses an embed link without its creator now; such a video
# remains from 0.1.0, or from a plain INSERT)
q1("INSERT INTO tiktrack.videos (id, track_until) VALUES (7300000000000000099, now() + interval '7 days');"
	. " INSERT INTO tiktrack.video_schedule VALUES (7300000000000000099, now())");
q1("SELECT tiktrack.track('https://www.tiktok.com/\@henry/video/7300000000000000098')");
q1("SELECT tiktrack.disconnect_creator('gina')");
for my $id (qw(7300000000000000099 7300000000000000098 7300000000000000016))
{
	($ret, $out, $err) = $node->psql('postgres', "SELECT tiktrack.refresh($id) IS NULL");
	is($out, 't', "video $id: not refreshed");
	like($err, qr/WARNING:  video $id was not refreshed: /, "video $id: warning");
}
is(q1("SELECT string_agg(id || ': ' || last_error, E'\\n' ORDER BY id) FROM tiktrack.videos WHERE state = 'awaiting_authorization'"),
	join("\n",
		"7300000000000000012: TikTok refused to refresh the token of \@bigbiz: TikTok Business API /tt_user/oauth2/refresh_token/ answered HTTP 200, error code 40107, log_id "
		  . q1("SELECT log_id FROM tiktrack.fetch_log WHERE endpoint = '/tt_user/oauth2/refresh_token/' ORDER BY id DESC LIMIT 1")
		  . ': ' . q1("SELECT message FROM tiktrack.fetch_log WHERE endpoint = '/tt_user/oauth2/refresh_token/' ORDER BY id DESC LIMIT 1")
		  . '; creator @bigbiz has not authorized tiktrack (auth_status reauthorization_needed): they must authorize through the Display API (tiktrack.authorize_url) or the Business API (tiktrack.connect_creator)',
		"7300000000000000016: creator \@gina has not authorized tiktrack (auth_status revoked): they must authorize through the Display API (tiktrack.authorize_url) or the Business API (tiktrack.connect_creator)",
		"7300000000000000098: creator \@henry has not authorized tiktrack (auth_status none): they must authorize through the Display API (tiktrack.authorize_url) or the Business API (tiktrack.connect_creator)",
		"7300000000000000099: the video's creator is not known yet, so no authorization can be used"),
	'each waiting video says why, from SQL');

$sim->stop;
$node->stop;
done_testing();
