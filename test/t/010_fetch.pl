# Fetching through SQL against the local TikTok simulator over HTTPS:
# connecting creators through both APIs, the Login Kit authorization flow,
# refresh() and refresh_creator() with exact values, every fault kind,
# token refresh and re-authorization, short links through connect_to,
# disconnect with purge, and that no token ever reaches the server log.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
# test/perl, also when a single file is run by hand (prove test/t/010_fetch.pl)
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim qw(query_fails);

# Statements are not logged (TiktrackSim::node): what must never be logged
# is what tiktrack itself says (errors, warnings, notices).
my $node = TiktrackSim::node('fetch', log_min_messages => 'info', log_error_verbosity => 'verbose');
my $sim = TiktrackSim->start(tls => 1, seed => 7);
$sim->setup($node);

my $alice = $sim->admin(POST => '/_sim/creators', {
	handle => 'alice', api => 'display',
	videos => [
		{ id => '7300000000000000001', create_time => 1767000000, caption => 'hello #fun @bob' },
		{ id => '7300000000000000003', create_time => 1767200000, caption => 'second' },
		{ id => '7300000000000000005', create_time => 1767210000, caption => 'third' } ] });
my $bob = $sim->admin(POST => '/_sim/creators', {
	handle => 'bob.biz', api => 'business',
	videos => [ { id => '7300000000000000002', create_time => 1767100000, caption => 'biz #ad' } ] });
$sim->admin(POST => '/_sim/creators', {
	handle => 'carol', api => 'display',
	videos => [ { id => '7300000000000000004', create_time => 1767150000, caption => 'carol' } ] });
my @secrets = grep { defined } map { ($_->{access_token}, $_->{refresh_token}) } ($alice, $bob);

sub q1 { return $node->safe_psql('postgres', shift); }

# --- connecting creators ---------------------------------------------------
is(q1("SELECT tiktrack.connect_creator('$alice->{access_token}', '$alice->{refresh_token}')"),
	'1', 'connect_creator (display) returns the creator id');
is(q1("SELECT tiktrack.connect_creator('$bob->{access_token}', '$bob->{refresh_token}', api => 'business')"),
	'2', 'connect_creator (business) returns the creator id');
is(q1("SELECT handle, open_id, business_id, auth_status, authorized_via FROM tiktrack.creators ORDER BY id"),
	"alice|$alice->{open_id}||authorized|display\nbob.biz||$bob->{business_id}|authorized|business",
	'creators learnt from TikTok who they are');
is(q1("SELECT count(*) FROM tiktrack.creator_tokens WHERE position('$alice->{access_token}' in encode(access_token, 'escape')) > 0"),
	'0', 'tokens are stored sealed, not in clear');

# --- refresh() with exact values from both APIs -----------------------------
q1("SELECT tiktrack.track('https://www.tiktok.com/\@alice/video/$_')") for qw(7300000000000000001 7300000000000000003 7300000000000000005);
q1("SELECT tiktrack.track('https://www.tiktok.com/\@bob.biz/video/7300000000000000002')");

my $e1 = $sim->admin(GET => '/_sim/expected?video_id=7300000000000000001')->{display};
is(q1("SELECT views, likes, comments, shares, saves IS NULL, reach IS NULL, source FROM tiktrack.refresh(7300000000000000001)"),
	"$e1->{view_count}|$e1->{like_count}|$e1->{comment_count}|$e1->{share_count}|t|t|display",
	'refresh() of a Display video stores exact values');
my $e2 = $sim->admin(GET => '/_sim/expected?video_id=7300000000000000002')->{business};
is(q1("SELECT views, likes, comments, shares, saves, reach, completion_rate, avg_watch_time_s, total_watch_time_s, source FROM tiktrack.refresh(7300000000000000002)"),
	"$e2->{video_views}|$e2->{likes}|$e2->{comments}|$e2->{shares}|$e2->{favorites}|$e2->{reach}|$e2->{full_video_watched_rate}|$e2->{average_time_watched}|$e2->{total_time_watched}|business",
	'refresh() of a Business video stores exact values incl. reach and watch time');
is(q1("SELECT caption, posted_at, duration_s, hashtags FROM tiktrack.videos WHERE id = 7300000000000000002"),
	'biz #ad|2025-12-30 13:06:40+00|111|{ad}', 'video metadata completed from the API');
is(q1("SELECT count(*), min(views) FROM tiktrack.latest_snapshots"), "2|$e2->{video_views}",
	'latest_snapshots follows');

my $c1 = $sim->admin(GET => '/_sim/expected?handle=alice')->{display};
is(q1("SELECT followers, following, likes, videos, audience IS NULL, source FROM tiktrack.refresh_creator('alice')"),
	"$c1->{follower_count}|$c1->{following_count}|$c1->{likes_count}|$c1->{video_count}|t|display",
	'refresh_creator() (display)');
my $c2 = $sim->admin(GET => '/_sim/expected?handle=bob.biz')->{business};
is(q1("SELECT followers, following, likes, videos, audience->'genders'->0->>'gender', source FROM tiktrack.refresh_creator('bob.biz')"),
	"$c2->{followers_count}|$c2->{following_count}|$c2->{total_likes}|$c2->{videos_count}|Female|business",
	'refresh_creator() (business) with audience');
is(q1("SELECT display_name FROM tiktrack.creators WHERE handle = 'bob.biz'"), 'Bob.Biz', 'profile updated');
is(q1("SELECT string_agg(endpoint || ':' || http_status || ':' || error_code, ',' ORDER BY id) FROM tiktrack.fetch_log WHERE endpoint LIKE '%video%'"),
	'/v2/video/query/:200:ok,/open_api/v1.3/business/video/list/:200:0' =~ s{/open_api/v1.3}{}r,
	'one fetch_log row per request');

# --- faults ------------------------------------------------------------------
sub fault { $sim->admin(POST => '/_sim/faults', { count => 1, @_ }); }
my $vq = '/v2/video/query/';
my $bl = '/open_api/v1.3/business/video/list/';

fault(endpoint => $vq, kind => 'http_429', retry_after => 17);
my $err = query_fails($node, 'SELECT tiktrack.refresh(7300000000000000001)', qr/video 7300000000000000001.*HTTP 429.*rate_limit_exceeded.*log_id \S+.*Retry-After 17/,
	'http_429');
like($err, qr/HINT:.*after 17 s/, 'http_429: hint says when to retry');
fault(endpoint => $vq, kind => 'rate_limit_exceeded', retry_after => 5);
query_fails($node, 'SELECT tiktrack.refresh(7300000000000000001)', qr/rate_limit_exceeded/, 'rate_limit_exceeded');
fault(endpoint => $bl, kind => 'biz_40100', retry_after => 300);
query_fails($node, 'SELECT tiktrack.refresh(7300000000000000002)', qr/video 7300000000000000002.*business\/video\/list.*error code 40100.*log_id/, 'biz_40100');
fault(endpoint => $vq, kind => 'http_500');
query_fails($node, 'SELECT tiktrack.refresh(7300000000000000001)', qr/HTTP 500.*internal_error/, 'http_500');
fault(endpoint => $bl, kind => 'http_500');
query_fails($node, 'SELECT tiktrack.refresh(7300000000000000002)', qr/HTTP 500.*50000/, 'http_500 (business)');
fault(endpoint => $vq, kind => 'malformed_json');
query_fails($node, 'SELECT tiktrack.refresh(7300000000000000001)', qr/malformed_response.*invalid JSON/, 'malformed_json');
fault(endpoint => $bl, kind => 'truncated_json');
query_fails($node, 'SELECT tiktrack.refresh(7300000000000000002)', qr/malformed_response.*(truncated|invalid JSON)/, 'truncated_json');
fault(endpoint => $vq, kind => 'drop_connection');
query_fails($node, 'SELECT tiktrack.refresh(7300000000000000001)', qr/video 7300000000000000001.*failed, error code connection_dropped/, 'drop_connection');
fault(endpoint => $vq, kind => 'slow', delay_ms => 3000);
query_fails($node, "SET tiktrack.http_timeout = '500ms'; SELECT tiktrack.refresh(7300000000000000001)", qr/error code timeout/, 'slow beyond the timeout');
fault(endpoint => $vq, kind => 'slow', delay_ms => 300);
is(q1('SELECT source FROM tiktrack.refresh(7300000000000000001)'), 'display', 'slow within the timeout succeeds');
is(q1('SELECT count(*) FROM tiktrack.snapshots'), '3', 'failed refreshes wrote no snapshot');
is(q1("SELECT fetch_failures || ':' || coalesce(last_error, '') FROM tiktrack.videos WHERE id = 7300000000000000001"),
	'0:', 'failed refreshes left the video untouched');

# expired access token: refresh the token, retry once, store the rotated token
my $before = q1("SELECT encode(refresh_token, 'hex') FROM tiktrack.creator_tokens WHERE creator_id = 1");
fault(endpoint => $vq, kind => 'expired_token');
is(q1('SELECT source FROM tiktrack.refresh(7300000000000000001)'), 'display', 'access_token_invalid: token refreshed and request retried');
isnt(q1("SELECT encode(refresh_token, 'hex') FROM tiktrack.creator_tokens WHERE creator_id = 1"), $before, 'rotated refresh token stored');
is(q1("SELECT string_agg(endpoint || ':' || error_code, ',' ORDER BY id) FROM (SELECT * FROM tiktrack.fetch_log ORDER BY id DESC LIMIT 3) l"),
	'/v2/video/query/:access_token_invalid,/v2/oauth/token/:ok,/v2/video/query/:ok', 'fetch_log shows 401, refresh, retry');
fault(endpoint => $bl, kind => 'expired_token');
is(q1('SELECT source FROM tiktrack.refresh(7300000000000000002)'), 'business', '40105: Business token refreshed and request retried');

# token about to expire: refreshed before the request
q1("UPDATE tiktrack.creator_tokens SET access_expires_at = now() + interval '1 minute' WHERE creator_id = 1");
is(q1('SELECT source FROM tiktrack.refresh(7300000000000000003)'), 'display', 'refresh() with an expiring token');
is(q1("SELECT endpoint FROM tiktrack.fetch_log ORDER BY id DESC OFFSET 1 LIMIT 1"), '/v2/oauth/token/', 'token refreshed before expiry');
is(q1("SELECT access_expires_at > now() + interval '23 hours' FROM tiktrack.creator_tokens WHERE creator_id = 1"), 't', 'new expiry stored');

# vanished video: unavailable after three consistent answers
fault(endpoint => $vq, kind => 'vanish', count => 3, video_ids => ['7300000000000000005']);
for my $i (1 .. 3)
{
	my ($ret, $out, $e) = $node->psql('postgres', 'SELECT tiktrack.refresh(7300000000000000005)');
	like($e, qr/WARNING:.*video 7300000000000000005 was not refreshed: TikTok Display API did not return/, "vanish $i: warning");
}
is(q1("SELECT state, missing_count, last_error LIKE '%3 consecutive fetches; marked unavailable' FROM tiktrack.videos WHERE id = 7300000000000000005"),
	'unavailable|3|t', 'vanished video marked unavailable, history kept');

# revoked refresh token: invalid_grant marks the creator for re-authorization
q1("UPDATE tiktrack.creator_tokens SET access_expires_at = now() WHERE creator_id = 1");
fault(endpoint => '/v2/oauth/token/', kind => 'revoke_refresh');
my ($ret, $out, $e) = $node->psql('postgres', 'SELECT tiktrack.refresh(7300000000000000001)');
like($e, qr/WARNING:.*refused to refresh the token of \@alice.*invalid_grant/, 'invalid_grant: warning');
is(q1("SELECT c.auth_status, v.state FROM tiktrack.creators c JOIN tiktrack.videos v ON v.creator_id = c.id WHERE v.id = 7300000000000000001"),
	'reauthorization_needed|awaiting_authorization', 'invalid_grant: creator needs re-authorization');
like(q1("SELECT last_error FROM tiktrack.creators WHERE handle = 'alice'"), qr/invalid_grant.*must authorize again/, 'reason visible from SQL');

# a creator who never authorized
q1("SELECT tiktrack.track('https://www.tiktok.com/\@dave/video/7300000000000000009')");
($ret, $out, $e) = $node->psql('postgres', 'SELECT tiktrack.refresh(7300000000000000009)');
like($e, qr/WARNING:.*creator \@dave has not authorized tiktrack/, 'unauthorized creator: warning');
is(q1("SELECT state FROM tiktrack.videos WHERE id = 7300000000000000009"), 'awaiting_authorization', 'unauthorized creator: state');

# --- Login Kit authorization flow (re-authorizes alice, then carol) ----------
for my $user (qw(alice carol))
{
	my $url = q1("SELECT tiktrack.authorize_url('https://app.example.com/callback/')");
	like($url, qr{^https://www\.tiktok\.com/v2/auth/authorize/\?client_key=test-client-key&scope=user\.info\.basic%2Cuser\.info\.profile%2Cuser\.info\.stats%2Cvideo\.list&response_type=code&redirect_uri=https%3A%2F%2Fapp\.example\.com%2Fcallback%2F&state=[0-9a-f]{48}&code_challenge=[0-9a-f]{64}&code_challenge_method=S256$},
		"authorize_url for $user");
	(my $path = $url) =~ s{^https://www\.tiktok\.com}{};
	my ($status, $head) = $sim->http(GET => "$path&sim_user=$user");
	is($status, 302, 'simulator redirects back');
	my ($loc) = $head =~ /^Location: ([^\r\n]+)/mi;
	my ($code) = $loc =~ /[?&]code=([^&]+)/;
	my ($state) = $loc =~ /[?&]state=([^&]+)/;
	$code =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
	my $id = q1("SELECT tiktrack.complete_authorization('$code', '$state')");
	like($id, qr/^\d+$/, "complete_authorization for $user returns the creator id");
	query_fails($node, "SELECT tiktrack.complete_authorization('$code', '$state')", qr/unknown or already used authorization state/, 'a state is single-use');
}
is(q1("SELECT handle || ':' || auth_status FROM tiktrack.creators WHERE handle IN ('alice', 'carol') ORDER BY handle"),
	"alice:authorized\ncarol:authorized", 'authorized through Login Kit');
is(q1("SELECT state FROM tiktrack.videos WHERE id = 7300000000000000001"), 'tracking', 're-authorization resumes the videos');
is(q1('SELECT source FROM tiktrack.refresh(7300000000000000001)'), 'display', 'refresh works again after re-authorization');
query_fails($node, "SELECT tiktrack.complete_authorization('x', 'nosuchstate')", qr/unknown or already used authorization state "nosuchstate"/, 'unknown state refused');
q1("INSERT INTO tiktrack.oauth_states VALUES ('oldstate', '\\x00', 'https://a.example/', 'video.list', now() - interval '1 hour', now() - interval '50 minutes')");
query_fails($node, "SELECT tiktrack.complete_authorization('x', 'oldstate')", qr/authorization state "oldstate" has expired/, 'expired state refused');

# --- short links through connect_to -------------------------------------------
$sim->admin(POST => '/_sim/shortlinks', { code => 'ZMshort1', video_id => '7300000000000000004' });
my $ph = q1("SELECT tiktrack.track('https://vm.tiktok.com/ZMshort1/')");
cmp_ok($ph, '<', 0, 'short link tracked with a placeholder id');
my $port = $sim->port;
is(q1("SET tiktrack.connect_to = 'vm.tiktok.com:443:127.0.0.1:$port'; SELECT video_id, source FROM tiktrack.refresh($ph)"),
	'7300000000000000004|display', 'short link resolved through the redirect and fetched');
is(q1("SELECT v.id, v.state, c.handle, v.url FROM tiktrack.videos v JOIN tiktrack.creators c ON c.id = v.creator_id WHERE v.short_url = 'https://vm.tiktok.com/ZMshort1/'"),
	'7300000000000000004|tracking|carol|https://www.tiktok.com/@carol/video/7300000000000000004', 'placeholder row completed');
$sim->admin(POST => '/_sim/shortlinks', { code => 'ZMshort2', video_id => '7300000000000000004' });
$ph = q1("SELECT tiktrack.track('https://vt.tiktok.com/ZMshort2/')");
q1("SET tiktrack.connect_to = 'vt.tiktok.com:443:127.0.0.1:$port'; SELECT tiktrack.refresh($ph)");
is(q1("SELECT count(*) FROM tiktrack.videos WHERE id = $ph OR id = 7300000000000000004"), '1', 'a second short link to a tracked video is merged');

# --- disconnect ---------------------------------------------------------------
my $snaps = q1("SELECT count(*) FROM tiktrack.snapshots s JOIN tiktrack.videos v ON v.id = s.video_id JOIN tiktrack.creators c ON c.id = v.creator_id WHERE c.handle = 'bob.biz'");
cmp_ok($snaps, '>', 0, 'bob has snapshots');
q1("SELECT tiktrack.disconnect_creator('bob.biz')");
is(q1("SELECT auth_status, (SELECT count(*) FROM tiktrack.creator_tokens t WHERE t.creator_id = c.id) FROM tiktrack.creators c WHERE handle = 'bob.biz'"),
	'revoked|0', 'disconnect_creator deletes the tokens');
is(q1("SELECT endpoint || ':' || error_code FROM tiktrack.fetch_log ORDER BY id DESC LIMIT 1"), '/tt_user/oauth2/revoke/:0', 'token revoked at TikTok');
is(q1("SELECT count(*) FROM tiktrack.snapshots s JOIN tiktrack.videos v ON v.id = s.video_id WHERE v.creator_id = 2"), $snaps, 'without purge the history stays');
q1("INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source) VALUES (7300000000000000001, '2025-12-31', 5, 'manual')");
q1("SELECT tiktrack.disconnect_creator('alice', purge => true)");
is(q1("SELECT count(*) || ':' || string_agg(source, ',') FROM tiktrack.snapshots s JOIN tiktrack.videos v ON v.id = s.video_id WHERE v.creator_id = 1"),
	'1:manual', 'purge deletes what came from the authorization, keeps manual data');
is(q1("SELECT views, snapshot_count FROM tiktrack.latest_snapshots WHERE video_id = 7300000000000000001"), '5|1', 'latest_snapshots rebuilt after purge');
is(q1("SELECT coalesce(open_id, '-') || coalesce(display_name, '-') || (SELECT count(*) FROM tiktrack.creator_stats WHERE creator_id = 1) FROM tiktrack.creators WHERE id = 1"),
	'--0', 'purge deletes profile and creator_stats');

# --- no token in the server log -------------------------------------------------
my $log = slurp_file($node->logfile);
my @leaks = grep { index($log, $_) >= 0 } @secrets;
is(scalar(@leaks), 0, 'no token appears in the server log');
like($log, qr/rate_limit_exceeded/, 'the log does hold the errors');

$sim->stop;
$node->stop;
done_testing();
