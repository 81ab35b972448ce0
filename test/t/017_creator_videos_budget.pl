# tiktrack.creator_videos() draws one request per page from TikTok's
# request budget in shared memory (the /v2/video/list/ bucket the worker
# uses): with the budget spent before the first page it fails at once, as
# refresh() does, sending nothing; spent after some pages, paging stops
# with a WARNING and the videos listed so far are returned (as it does,
# with none, when a token was rotated before the first page).
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim qw(query_fails);

my $list = 'display /v2/video/list/';

# 6 requests per minute: a burst of 2, then one every 60/4 = 15 s, longer
# than a synchronous call waits (5 s).
my $node = TiktrackSim::node('list_budget', 'tiktrack.display_requests_per_minute' => '6');
my $sim = TiktrackSim->start(tls => 0, seed => 17);
$sim->setup($node);

# 45 videos: pages of 20, 20 and 5
my $dana = $sim->admin(POST => '/_sim/creators', { handle => 'dana', api => 'display', video_count => 45 });
my @dana_ids = map { $_->{id} } @{ $dana->{videos} };

sub q1 { return $node->safe_psql('postgres', shift); }
sub sent { return $sim->requests_to('/v2/video/list/'); }

q1("SELECT tiktrack.connect_creator('$dana->{access_token}', '$dana->{refresh_token}')");
$node->poll_query_until('postgres', "SELECT limits = '6/min' FROM tiktrack.rate_limits() WHERE limiter = '$list'")
  or die 'the buckets were not configured';
is(q1("SELECT available FROM tiktrack.rate_limits() WHERE limiter = '$list'"), '2', 'a full bucket holds a burst of 2');

# --- spent after two pages: a WARNING and the 40 videos listed so far ------------
my $start = time();
my ($ret, $out, $err) = $node->psql('postgres',
	"SELECT string_agg(video_id::text, ',' ORDER BY ordinality) FROM tiktrack.creator_videos('dana', 45) WITH ORDINALITY AS t");
my $took = time() - $start;
is($ret, 0, 'the listing succeeds');
is($out, join(',', @dana_ids[0 .. 39]), 'the first two pages: the 40 newest videos, newest first');
like($err,
	qr/WARNING:  listing the videos of \@dana stopped after 2 pages with 40 videos: the request budget is used up for the next (\d+) s\nDETAIL:  The videos listed so far are returned; the budget is shared with the background worker and every session of this server.\nHINT:  Call it again later for the rest, or raise the budget/,
	'the WARNING says where paging stopped and why');
$err =~ /for the next (\d+) s/;
ok($1 > 5 && $1 <= 15, "the budget is spent for $1 s: more than a call waits, at most one refill");
ok($took < 5, sprintf('it stopped without waiting (%.1f s)', $took));
is(sent(), 2, 'two list requests reached TikTok');
is(q1("SELECT available FROM tiktrack.rate_limits() WHERE limiter = '$list'"), '0', 'both tokens taken from the shared bucket');
is(q1("SELECT available FROM tiktrack.rate_limits() WHERE limiter = 'display /v2/video/query/'"), '2',
	'the video query bucket is untouched');

# --- spent before the first page: an ERROR, nothing sent ------------------------
$start = time();
$err = query_fails($node, "SELECT * FROM tiktrack.creator_videos('dana', 10)",
	qr/ERROR:  could not list the videos of \@dana: the request budget of the TikTok Display API \/v2\/video\/list\/ is used up for the next (\d+) s\nDETAIL:  The budget \(tiktrack.display_requests_per_minute = 6\) is shared with the background worker and every session of this server.\nHINT:  Try again in \1 s./,
	'budget used up: the error names the creator, the API, the budget and when to retry');
ok(time() - $start < 5, 'it failed without waiting');
is(sent(), 2, 'nothing more was sent to TikTok');
query_fails($node, "SELECT tiktrack.track_creator_videos('dana')",
	qr/ERROR:  could not list the videos of \@dana: the request budget of the TikTok Display API \/v2\/video\/list\/ is used up/,
	'track_creator_videos() fails the same way');
is(q1('SELECT count(*) FROM tiktrack.videos'), '0', 'nothing was tracked');

# --- an expiring token is refreshed first: the new tokens are kept ---------------
# TikTok rotates the refresh token; failing now would roll the new one back
# and lock the creator out, so the call warns and stores instead.
my $rt = q1("SELECT encode(refresh_token, 'hex') FROM tiktrack.creator_tokens WHERE creator_id = 1");
q1("UPDATE tiktrack.creator_tokens SET access_expires_at = now() + interval '1 minute' WHERE creator_id = 1");
($ret, $out, $err) = $node->psql('postgres', "SELECT count(*) FROM tiktrack.creator_videos('dana', 10)");
is($out, '0', 'no page could be paid for: no videos');
like($err, qr/WARNING:  listing the videos of \@dana stopped after 0 pages with 0 videos: the request budget is used up/,
	'a WARNING instead of the ERROR');
isnt(q1("SELECT encode(refresh_token, 'hex') FROM tiktrack.creator_tokens WHERE creator_id = 1"), $rt,
	'the rotated refresh token is stored');
is(sent(), 2, 'still no list request sent');

# --- the budget refills: the listing goes on -------------------------------------
$node->append_conf('postgresql.conf', "tiktrack.display_requests_per_minute = 600\n");
$node->reload;
$node->poll_query_until('postgres', "SELECT limits = '600/min' FROM tiktrack.rate_limits() WHERE limiter = '$list'")
  or die 'the buckets were not reconfigured';
is(q1("SELECT count(*) FROM tiktrack.creator_videos('dana', 45)"), '45', 'with budget again, all 45 videos');
is(sent(), 5, 'in three more requests');

$node->stop;
done_testing();
