# Listing and tracking a creator's recent videos through the video list
# endpoints against the simulator: paging with cursor/has_more on the
# Display API (POST /v2/video/list/) and the Business API
# (GET /business/video/list/), exact values, max_videos, short pages with
# has_more still true, an empty first page, the loop guard against a cursor
# that does not advance, the posted_since cut-off, token refresh and
# re-authorization in the middle, errors on a later page, and
# track_creator_videos().
use strict;
use warnings;
use Digest::MD5 qw(md5_hex);
use Encode qw(encode_utf8);
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim qw(query_fails);

my $T0 = TiktrackSim::T0;    # the simulator's frozen clock

my $node = TiktrackSim::node('video_list');
my $sim = TiktrackSim->start(tls => 1, seed => 14);
$sim->setup($node);

# 45 videos each, posted over the last ten days: three pages of 20, 20, 5
my $dana = $sim->admin(POST => '/_sim/creators', { handle => 'dana', api => 'display', video_count => 45 });
my $erin = $sim->admin(POST => '/_sim/creators', { handle => 'erin', api => 'business', video_count => 45 });
my @dana_ids = map { $_->{id} } @{ $dana->{videos} };
my @erin_ids = map { $_->{id} } @{ $erin->{videos} };

sub q1 { return $node->safe_psql('postgres', shift); }

# ids listed by a call, in the order returned
sub listed
{
	my $call = shift;
	return q1("SELECT coalesce(string_agg(video_id::text, ',' ORDER BY ordinality), '') FROM $call WITH ORDINALITY AS t");
}

sub list_requests
{
	my ($endpoint, $since_id) = @_;
	return q1("SELECT coalesce(string_agg(video_count || ':' || error_code, ',' ORDER BY id), '') FROM tiktrack.fetch_log WHERE endpoint = '$endpoint' AND id > $since_id");
}

sub last_log_id { return q1('SELECT coalesce(max(id), 0) FROM tiktrack.fetch_log'); }

is(q1("SELECT tiktrack.connect_creator('$dana->{access_token}', '$dana->{refresh_token}')"), '1', 'dana connected (Display)');
is(q1("SELECT tiktrack.connect_creator('$erin->{access_token}', '$erin->{refresh_token}', api => 'business')"), '2', 'erin connected (Business)');

# --- Display: 45 videos in 3 pages, exact values ---------------------------------
my $log0 = last_log_id();
is(listed("tiktrack.creator_videos('dana')"), join(',', @dana_ids), 'Display: all 45 videos, newest first');
is(list_requests('/v2/video/list/', $log0), '20:ok,20:ok,20:ok', 'Display: three pages of max_count 20');
is($sim->admin(GET => '/_sim/stats')->{per_path}{'/v2/video/list/'}, 3, 'the simulator saw three list requests');

my @expected;
for my $v (@{ $dana->{videos} })
{
	my $e = $sim->admin(GET => "/_sim/expected?video_id=$v->{id}")->{display};
	push @expected, join('|', $v->{id}, 'video', $v->{create_time}, md5_hex(encode_utf8($v->{caption})),
		"https://www.tiktok.com/\@dana/video/$v->{id}", $e->{view_count}, $e->{like_count},
		$e->{comment_count}, $e->{share_count}, '-', '-', 'display');
}
is(q1("SELECT string_agg(concat_ws('|', video_id, kind, extract(epoch FROM posted_at)::bigint, md5(caption), url, views, likes, comments, shares, coalesce(saves::text, '-'), coalesce(reach::text, '-'), source), E'\\n' ORDER BY ordinality) FROM tiktrack.creator_videos('dana') WITH ORDINALITY AS t"),
	join("\n", @expected), 'Display: id, kind, posted_at, caption, url and counters exact; saves and reach NULL');

$log0 = last_log_id();
is(listed("tiktrack.creator_videos('\@Dana', max_videos => 30)"), join(',', @dana_ids[0 .. 29]), 'max_videos 30: the 30 newest');
is(list_requests('/v2/video/list/', $log0), '20:ok,10:ok', 'max_videos 30: the second page asks for 10 only');
is(listed("tiktrack.creator_videos('dana', 45)"), join(',', @dana_ids), 'max_videos 45 (exactly all)');

# --- Business: 45 videos in 3 pages, with saves and reach ---------------------------
$log0 = last_log_id();
@expected = ();
for my $v (@{ $erin->{videos} })
{
	my $e = $sim->admin(GET => "/_sim/expected?video_id=$v->{id}")->{business};
	push @expected, join('|', $v->{id}, 'video', $v->{create_time}, md5_hex(encode_utf8($v->{caption})),
		"https://www.tiktok.com/\@erin/video/$v->{id}", $e->{video_views}, $e->{likes}, $e->{comments},
		$e->{shares}, $e->{favorites}, $e->{reach}, 'business');
}
is(q1("SELECT string_agg(concat_ws('|', video_id, kind, extract(epoch FROM posted_at)::bigint, md5(caption), url, views, likes, comments, shares, saves, reach, source), E'\\n' ORDER BY ordinality) FROM tiktrack.creator_videos('erin') WITH ORDINALITY AS t"),
	join("\n", @expected), 'Business: all 45 with exact counters incl. saves (favorites) and reach');
is(list_requests('/business/video/list/', $log0), '20:0,20:0,20:0', 'Business: three pages');

# --- short pages with has_more still true ------------------------------------------------
$sim->admin(POST => '/_sim/config', { list_page_cap => 7 });
$log0 = last_log_id();
is(listed("tiktrack.creator_videos('dana')"), join(',', @dana_ids), 'pages of 7 (fewer than max_count, has_more true): all 45');
is(list_requests('/v2/video/list/', $log0), join(',', ('20:ok') x 7), '7 pages');
$log0 = last_log_id();
is(listed("tiktrack.creator_videos('erin', 10)"), join(',', @erin_ids[0 .. 9]), 'Business short pages: max_videos 10 in 2 pages');
is(list_requests('/business/video/list/', $log0), '10:0,3:0', 'the second page asks only for the 3 missing');
$sim->admin(POST => '/_sim/config', { list_page_cap => 0 });

# --- an empty page ---------------------------------------------------------------
# an empty first page whose cursor moves on: keep paging
$sim->admin(POST => '/_sim/faults', { endpoint => '/v2/video/list/', kind => 'empty_page', count => 1 });
$log0 = last_log_id();
my ($ret, $out, $err) = $node->psql('postgres', "SELECT count(*) FROM tiktrack.creator_videos('dana')");
is($out, '45', 'an empty page with a new cursor: paging goes on');
is($err, '', 'no warning');
is(list_requests('/v2/video/list/', $log0), '20:ok,20:ok,20:ok,20:ok', 'four requests');
# empty pages that never advance the cursor: stop, do not loop
$sim->admin(POST => '/_sim/faults', { endpoint => '/open_api/v1.3/business/video/list/', kind => 'empty_page', count => -1 });
$log0 = last_log_id();
($ret, $out, $err) = $node->psql('postgres', "SELECT count(*) FROM tiktrack.creator_videos('erin')");
is($ret, 0, 'a cursor that does not advance: no error');
is($out, '0', 'a cursor that does not advance: nothing listed');
like($err, qr/WARNING:  listing the videos of \@erin stopped after 2 pages with 0 videos: TikTok answered has_more = true with a cursor that was already used, which would loop\nDETAIL:  The videos listed so far are returned\./,
	'a cursor that does not advance: the warning says why');
is(list_requests('/business/video/list/', $log0), '20:0,20:0', 'stopped after the second request');
$sim->admin(DELETE => '/_sim/faults');

# --- posted_since: only recent videos, paging stops at the first older page ---------------------
my $since = $T0 - 3 * 86400;
my @recent = grep { $_->{create_time} >= $since } @{ $dana->{videos} };
cmp_ok(scalar(@recent), '>', 0, 'some videos are from the last three days');
cmp_ok(scalar(@recent), '<', 20, 'fewer than one page of them');
$log0 = last_log_id();
is(listed("tiktrack.creator_videos('dana', posted_since => to_timestamp($since))"), join(',', map { $_->{id} } @recent),
	'posted_since: only the videos posted since');
is(list_requests('/v2/video/list/', $log0), '20:ok,20:ok', 'posted_since: the page after the cut-off ends the listing');

# --- errors -------------------------------------------------------------------------
query_fails($node, "SELECT * FROM tiktrack.creator_videos('nobody')", qr/ERROR:  creator "nobody" does not exist/, 'unknown creator');
query_fails($node, "SELECT * FROM tiktrack.creator_videos('dana', 0)", qr/max_videos must be between 1 and 1000, got 0/, 'max_videos 0');
query_fails($node, "SELECT * FROM tiktrack.creator_videos('dana', 1001)", qr/max_videos must be between 1 and 1000, got 1001/, 'max_videos 1001');
query_fails($node, "SELECT * FROM tiktrack.creator_videos('dana', posted_since => 'infinity')", qr/posted_since must be a finite timestamp/, 'infinite posted_since');
q1("SELECT tiktrack.ensure_creator('frank')");
$err = query_fails($node, "SELECT * FROM tiktrack.creator_videos('frank')",
	qr/ERROR:  creator \@frank has not authorized tiktrack \(auth_status none\)\nDETAIL:  Listing a creator's videos needs their authorization through the Display API \(scope video\.list\) or the Business API\./,
	'a creator who authorized nothing');
like($err, qr/HINT:  Authorize through tiktrack\.authorize_url\(\) or tiktrack\.connect_creator\(\)\./, 'hint');

my $logged = q1('SELECT count(*) FROM tiktrack.fetch_log');
$sim->admin(POST => '/_sim/faults', { endpoint => '/v2/video/list/', kind => 'http_500' });
query_fails($node, "SELECT * FROM tiktrack.creator_videos('dana')",
	qr/ERROR:  could not list the videos of \@dana \(page 1\): TikTok Display API \/v2\/video\/list\/ answered HTTP 500, error code internal_error, log_id \w+: Internal error, please retry\./,
	'HTTP 500 on the first page');
# the rate limiter lets two list requests through: the third page fails
$sim->admin(POST => '/_sim/config', { rate_limit_per_minute => 2 });
$err = query_fails($node, "SELECT * FROM tiktrack.creator_videos('dana')",
	qr/ERROR:  could not list the videos of \@dana \(page 3\): TikTok Display API \/v2\/video\/list\/ answered HTTP 429, error code rate_limit_exceeded, log_id \w+: .* \(Retry-After \d+ s\)/,
	'rate limited on the third page: the whole listing fails');
like($err, qr/HINT:  TikTok is rate limiting; try again later \(after \d+ s\)\./, 'rate limit hint');
$sim->admin(POST => '/_sim/config', { rate_limit_per_minute => 0 });
is(q1('SELECT count(*) FROM tiktrack.fetch_log'), $logged, 'failed listings wrote nothing');

# --- token refresh in the middle --------------------------------------------------------
my $rt = q1("SELECT encode(refresh_token, 'hex') FROM tiktrack.creator_tokens WHERE creator_id = 1");
$sim->admin(POST => '/_sim/faults', { endpoint => '/v2/video/list/', kind => 'expired_token' });
$log0 = last_log_id();
is(listed("tiktrack.creator_videos('dana')"), join(',', @dana_ids), 'access_token_invalid: token refreshed, page asked again, all 45');
is(q1("SELECT string_agg(endpoint || ':' || error_code, ',' ORDER BY id) FROM tiktrack.fetch_log WHERE id > $log0"),
	'/v2/video/list/:access_token_invalid,/v2/oauth/token/:ok,/v2/video/list/:ok,/v2/video/list/:ok,/v2/video/list/:ok',
	'fetch_log: refused page, token refresh, three pages');
isnt(q1("SELECT encode(refresh_token, 'hex') FROM tiktrack.creator_tokens WHERE creator_id = 1"), $rt, 'the rotated token is stored');
q1("UPDATE tiktrack.creator_tokens SET access_expires_at = now() + interval '1 minute' WHERE creator_id = 2");
$log0 = last_log_id();
is(q1("SELECT count(*) FROM tiktrack.creator_videos('erin', 5)"), '5', 'an expiring Business token is refreshed first');
is(q1("SELECT string_agg(endpoint || ':' || error_code, ',' ORDER BY id) FROM tiktrack.fetch_log WHERE id > $log0"),
	'/tt_user/oauth2/refresh_token/:0,/business/video/list/:0', 'fetch_log: refresh, then the page');

# --- track_creator_videos ------------------------------------------------------------------
is(q1("SELECT tiktrack.track_creator_videos('dana', since => to_timestamp($since))"), scalar(@recent),
	'track_creator_videos returns the number of videos tracked');
is(q1("SELECT string_agg(v.id::text, ',' ORDER BY v.posted_at DESC) FROM tiktrack.videos v JOIN tiktrack.creators c ON c.id = v.creator_id WHERE c.handle = 'dana'"),
	join(',', map { $_->{id} } @recent), 'exactly the videos posted since are tracked');
is(q1("SELECT count(*) FROM tiktrack.videos WHERE creator_id = 1 AND state = 'tracking' AND posted_at >= to_timestamp($since) AND caption IS NOT NULL AND url LIKE 'https://www.tiktok.com/\@dana/video/%' AND track_until BETWEEN now() + interval '7 days' - interval '1 minute' AND now() + interval '7 days' AND id IN (SELECT video_id FROM tiktrack.video_schedule WHERE next_fetch_at IS NOT NULL)"),
	scalar(@recent), 'tracked for 7 days, scheduled now, with caption and posted_at from the listing');
is(q1("SELECT tiktrack.track_creator_videos('dana', to_timestamp($since), interval '30 days')"), scalar(@recent),
	'again: the same videos');
is(q1("SELECT count(*) || ':' || bool_and(track_until > now() + interval '29 days')::text FROM tiktrack.videos WHERE creator_id = 1"),
	scalar(@recent) . ':true', 'tracking again only extends track_until');
is(q1("SELECT tiktrack.track_creator_videos('erin', to_timestamp($T0 - 30 * 86400))"), '45', 'Business creator: all 45 of the last 30 days');
my $first = $erin->{videos}[0]{id};
my $e = $sim->admin(GET => "/_sim/expected?video_id=$first")->{business};
is(q1("SELECT views, saves, reach, source FROM tiktrack.refresh($first)"), "$e->{video_views}|$e->{favorites}|$e->{reach}|business",
	'a video tracked that way refreshes');
query_fails($node, "SELECT tiktrack.track_creator_videos('dana', NULL)", qr/ERROR:  since must not be NULL/, 'since NULL');
query_fails($node, "SELECT tiktrack.track_creator_videos('dana', '-infinity')", qr/ERROR:  since must be a finite timestamp, got "-infinity"/, 'since -infinity');

# --- SQL surface: privileges, security definer, comments ------------------------------------------------
is(q1("SELECT string_agg(p.oid::regprocedure || ':' || p.prosecdef || ':' || array_to_string(p.proconfig, ';') || ':' || (obj_description(p.oid, 'pg_proc') IS NOT NULL) || ':' || has_function_privilege('public', p.oid, 'EXECUTE'), ',' ORDER BY p.proname) FROM pg_proc p WHERE p.proname IN ('creator_videos', 'track_creator_videos')"),
	'tiktrack.creator_videos(text,integer,timestamp with time zone):true:search_path=pg_catalog, pg_temp:true:false,'
	. 'tiktrack.track_creator_videos(text,timestamp with time zone,interval):true:search_path=pg_catalog, pg_temp:true:false',
	'SECURITY DEFINER, pinned search_path, commented, not executable by PUBLIC');
my @as_app = TiktrackSim::app_role($node);
query_fails($node, "SELECT * FROM tiktrack.creator_videos('dana')", qr/permission denied for function creator_videos/, 'non-superuser without grant',
	@as_app);
q1("GRANT EXECUTE ON FUNCTION tiktrack.creator_videos(text, integer, timestamptz) TO app");
is($node->safe_psql('postgres', "SELECT count(*) FROM tiktrack.creator_videos('dana', 3)", @as_app),
	'3', 'granted: works without access to the tokens');

# --- re-authorization needed in the middle ------------------------------------------------------
$sim->admin(POST => '/_sim/faults', { endpoint => '/v2/video/list/', kind => 'expired_token' });
$sim->admin(POST => '/_sim/faults', { endpoint => '/v2/oauth/token/', kind => 'revoke_refresh' });
($ret, $out, $err) = $node->psql('postgres', "SELECT count(*) FROM tiktrack.creator_videos('dana')");
is($out, '0', 'invalid_grant: nothing listed');
like($err, qr/WARNING:  the videos of \@dana were not listed: TikTok refused to refresh the token of \@dana: .*invalid_grant/,
	'invalid_grant: warning');
is(q1("SELECT auth_status || ':' || (last_error LIKE '%must authorize again')::text FROM tiktrack.creators WHERE handle = 'dana'"),
	'reauthorization_needed:true', 'invalid_grant: the creator must authorize again (stored)');
query_fails($node, "SELECT * FROM tiktrack.creator_videos('dana')", qr/creator \@dana has not authorized tiktrack \(auth_status reauthorization_needed\)/,
	'afterwards the creator is not authorized');

$sim->stop;
$node->stop;
done_testing();
