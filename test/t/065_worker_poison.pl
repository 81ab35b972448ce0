# One bad row never stops a batch (issue 9): answers from TikTok that
# cannot be stored as they are -- a caption that is not UTF-8 or holds
# \u0000, a create_time outside what a timestamptz prints, a counter
# beyond 64 bits or negative, a short link that answers 404 -- and a row
# the store step cannot write, or a creator whose sealed tokens are
# damaged.  In every case the other videos of the same request and batch
# get their snapshots, and the bad one ends with the exact state and
# last_error a user reads.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim;
use TiktrackWorker;

# TLS: the dead short link is fetched as https://vm.tiktok.com/...
my $sim = TiktrackSim->start(tls => 1, seed => 65);
my $port = $sim->port;
my $node = TiktrackWorker::worker_node('poison', $sim,
	'tiktrack.interval' => '2', 'tiktrack.early_interval' => '2',
	'tiktrack.retry_base_delay' => '1', 'tiktrack.retry_max_delay' => '2',
	'tiktrack.failing_after' => '3',
	'tiktrack.connect_to' => "vm.tiktok.com:443:127.0.0.1:$port");
TiktrackWorker::worker_pid($node);

sub q1 { return $node->safe_psql('postgres', shift); }

# Display creator: five videos answered in one request.
my ($v_utf8, $v_time, $v_count, $v_good, $v_nul, $v_short) = map { "740000000000000000$_" } 1 .. 6;
# Business creator: four videos answered in one request.
my ($b_utf8, $b_time, $b_neg, $b_good) = map { "740000000000000001$_" } 1 .. 4;
my $pa = $sim->post('/_sim/creators', { handle => 'pa', api => 'display',
	videos => [ map { { id => $_, caption => "fine $_" } } $v_utf8, $v_time, $v_count, $v_good, $v_nul, $v_short ] });
my $pb = $sim->post('/_sim/creators', { handle => 'pb', api => 'business',
	videos => [ map { { id => $_, caption => "fine $_" } } $b_utf8, $b_time, $b_neg, $b_good ] });

my $not_utf8 = { raw_hex => '41fffe42' };    # "A", two bytes that are not UTF-8, "B"
$sim->post('/_sim/wire', { video_id => $v_utf8, fields => { title => $not_utf8, video_description => $not_utf8 } });
$sim->post('/_sim/wire', { video_id => $v_time, fields => { create_time => -300000000000 } });
$sim->post('/_sim/wire', { video_id => $v_count, fields => { view_count => { raw => '99999999999999999999999' } } });
$sim->post('/_sim/wire', { video_id => $v_nul, fields => {
	title => { raw => '"x\u0000y"' }, video_description => { raw => '"x\u0000y"' } } });
$sim->post('/_sim/wire', { video_id => $b_utf8, fields => { caption => { raw_hex => 'c328' } } });
$sim->post('/_sim/wire', { video_id => $b_time, fields => { create_time => 9300000000000 } });
$sim->post('/_sim/wire', { video_id => $b_neg, fields => { likes => -5 } });
$sim->post('/_sim/shortlinks', { code => 'ZMdead', dead => 1 });
$sim->post('/_sim/shortlinks', { code => 'ZMlive', video_id => $v_short });

q1(join(";\n",
	(map { "SELECT tiktrack.connect_creator('$_->{access_token}', '$_->{refresh_token}', 86400, 31536000, '$_->{api}')" } $pa, $pb),
	'BEGIN',
	(map { "SELECT tiktrack.track('https://www.tiktok.com/\@pa/video/$_', '1 day')" } $v_utf8, $v_time, $v_count, $v_good, $v_nul),
	(map { "SELECT tiktrack.track('https://www.tiktok.com/\@pb/video/$_', '1 day')" } $b_utf8, $b_time, $b_neg, $b_good),
	"SELECT tiktrack.track('https://vm.tiktok.com/ZMdead/', '1 day')",
	"SELECT tiktrack.track('https://vm.tiktok.com/ZMlive/', '1 day')",
	'COMMIT'));

my $good = join(', ', $v_utf8, $v_time, $v_good, $v_nul, $b_utf8, $b_time, $b_good);
TiktrackWorker::wait_for($node, qq{
	SELECT count(*) FILTER (WHERE n >= 3) FROM (
		SELECT count(s.video_id) AS n FROM tiktrack.videos v
		LEFT JOIN tiktrack.snapshots s ON s.video_id = v.id
		WHERE v.id IN ($good) GROUP BY v.id) c}, '7', 40,
	'the good videos of both requests keep getting snapshots');
TiktrackWorker::wait_for($node, qq{
	SELECT string_agg(state || ':' || (fetch_failures >= 3), ',' ORDER BY id)
	FROM tiktrack.videos WHERE id IN ($v_count, $b_neg)}, 'failing:true,failing:true', 30,
	'a video with an absurd counter fails alone, counted toward failing_after');
TiktrackWorker::wait_for($node, q{
	SELECT state FROM tiktrack.videos WHERE short_url = 'https://vm.tiktok.com/ZMdead/'},
	'unavailable', 30, 'a dead short link ends unavailable');

# --- what a user reads, video by video ---
is(q1("SELECT caption = 'A' || chr(65533) || chr(65533) || 'B', state, fetch_failures, last_error
	   FROM tiktrack.videos WHERE id = $v_utf8"),
	"t|tracking|0|TikTok sent a caption for video $v_utf8 that is not valid UTF-8; the invalid bytes were stored as U+FFFD",
	'invalid UTF-8 in a Display caption: made valid, snapshot stored, last_error says so');
is(q1("SELECT caption = chr(65533) || '(', state, last_error FROM tiktrack.videos WHERE id = $b_utf8"),
	"t|tracking|TikTok sent a caption for video $b_utf8 that is not valid UTF-8; the invalid bytes were stored as U+FFFD",
	'invalid UTF-8 in a Business caption: the same');
is(q1("SELECT caption = 'x' || chr(65533) || 'y', state, last_error IS NULL FROM tiktrack.videos WHERE id = $v_nul"),
	't|tracking|t', '\u0000 in a caption: stored as U+FFFD, the answer is not refused');
is(q1("SELECT posted_at IS NULL, state, fetch_failures, last_error FROM tiktrack.videos WHERE id = $v_time"),
	"t|tracking|0|TikTok sent create_time -300000000000 for video $v_time, which is not a time between 1970 and 9999; posted_at was not updated",
	'create_time -3e11: posted_at left alone, snapshot stored, last_error says why');
is(q1("SELECT posted_at IS NULL, state, last_error FROM tiktrack.videos WHERE id = $b_time"),
	"t|tracking|TikTok sent create_time 9300000000000 for video $b_time, which is not a time between 1970 and 9999; posted_at was not updated",
	'create_time 9.3e12: the same');
like(q1("SELECT last_error FROM tiktrack.videos WHERE id = $v_count"),
	qr{^could not fetch video $v_count: TikTok Display API /v2/video/query/ answered HTTP 200, error code malformed_response, log_id \w+: video $v_count: field "view_count" is not an integer within 64 bits$},
	'a counter beyond 64 bits: the video fails with the reason');
like(q1("SELECT last_error FROM tiktrack.videos WHERE id = $b_neg"),
	qr{^could not fetch video $b_neg: TikTok Business API /business/video/list/ answered HTTP 200, error code malformed_response, log_id \w+: video $b_neg: field "likes" is negative$},
	'a negative counter: the same');
is(q1("SELECT count(*) FROM tiktrack.snapshots WHERE video_id IN ($v_count, $b_neg)"), '0',
	'no snapshot from an answer with absurd counters');
is(q1(q{SELECT id < 0, missing_count, next_fetch_at IS NULL, last_error
		FROM tiktrack.videos JOIN tiktrack.video_schedule ON video_id = id
		WHERE short_url = 'https://vm.tiktok.com/ZMdead/'}),
	't|3|t|short link https://vm.tiktok.com/ZMdead/ did not redirect to a video (HTTP 404) in 3 consecutive fetches; marked unavailable',
	'the dead short link: still its placeholder, no longer scheduled, with the reason');
TiktrackWorker::wait_for($node, qq{SELECT count(*) >= 2 FROM tiktrack.snapshots WHERE video_id = $v_short},
	't', 20, 'a live short link is resolved and its video fetched in the same batches');
is(q1(q{SELECT id || ':' || state || ':' || url FROM tiktrack.videos WHERE short_url = 'https://vm.tiktok.com/ZMlive/'}),
	"$v_short:tracking:https://www.tiktok.com/\@pa/video/$v_short",
	'the resolved video is the row under its real id, with its short link (the placeholder row is gone)');
is(q1(q{SELECT count(*) FROM tiktrack.videos WHERE id < 0}), '1', 'only the dead short link keeps a placeholder');
is(q1(q{SELECT count(*) FROM (SELECT v::text, l::text FROM tiktrack.videos v
		LEFT JOIN tiktrack.video_latest_stats l ON l.video_id = v.id) t}), '11',
	'every video and its latest stats can be printed');
is(q1(q{SELECT errors_total ? 'worker_error' FROM tiktrack.worker_status}), 'f',
	'no round failed as a whole');

# --- a row the store step cannot write: only that video fails ---
q1(qq{CREATE FUNCTION public.poison_snapshot() RETURNS trigger LANGUAGE plpgsql AS \$\$
	BEGIN
		IF NEW.video_id = $v_good THEN RAISE EXCEPTION 'poisoned row %', NEW.video_id; END IF;
		RETURN NEW;
	END \$\$;
	CREATE TRIGGER poison BEFORE INSERT ON tiktrack.snapshots
		FOR EACH ROW EXECUTE FUNCTION public.poison_snapshot()});
my $before = q1("SELECT count(*) FROM tiktrack.snapshots WHERE video_id = $v_utf8");
TiktrackWorker::wait_for($node, qq{SELECT state || ':' || (fetch_failures >= 3) FROM tiktrack.videos WHERE id = $v_good},
	'failing:true', 30, 'a video whose snapshot cannot be stored becomes failing');
is(q1("SELECT last_error FROM tiktrack.videos WHERE id = $v_good"),
	"could not store what TikTok answered for video $v_good: poisoned row $v_good",
	'its last_error is the store error');
cmp_ok(q1("SELECT count(*) FROM tiktrack.snapshots WHERE video_id = $v_utf8"), '>=', $before + 2,
	'its neighbours in the same request are still stored');
q1('DROP TRIGGER poison ON tiktrack.snapshots');
TiktrackWorker::wait_for($node, qq{SELECT state || ':' || fetch_failures || ':' || (last_error IS NULL)
	FROM tiktrack.videos WHERE id = $v_good}, 'tracking:0:true', 20, 'and it recovers by itself');

# --- a creator whose sealed tokens are damaged: its videos wait, the others go on ---
my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN tiktrack_events');
q1(q{UPDATE tiktrack.creator_tokens SET access_token = '\x0102030405060708090a0b0c0d0e0f101112131415161718191a1b1c1d1e1f'::bytea
	 WHERE creator_id = (SELECT id FROM tiktrack.creators WHERE handle = 'pb')});
TiktrackWorker::wait_for($node, qq{SELECT string_agg(DISTINCT state, ',') FROM tiktrack.videos WHERE id IN ($b_utf8, $b_time, $b_good)},
	'awaiting_authorization', 30, 'damaged tokens: the creator\'s videos wait for a new authorization');
is(q1(q{SELECT auth_status, last_error FROM tiktrack.creators WHERE handle = 'pb'}),
	'reauthorization_needed|the stored tokens of @pb cannot be unsealed (sealed under another key or altered); the creator must authorize again',
	'the creator must authorize again, and says why');
{
	my $pb = q1(q{SELECT id FROM tiktrack.creators WHERE handle = 'pb'});
	my @reauth = ($listener->query_safe('SELECT 1') =~ /with payload "(\{"event" : "creator\.reauthorization_needed"[^"]*[^}]*\})"/g);
	is(join("\n", @reauth), qq({"event" : "creator.reauthorization_needed", "creator_id" : $pb}),
		'one creator.reauthorization_needed event, sent by the store step');
	$listener->quit;
}
is(q1("SELECT next_fetch_at = track_until FROM tiktrack.videos JOIN tiktrack.video_schedule ON video_id = id WHERE id = $b_good"), 't',
	'its videos are no longer polled (only their end is kept in view)');
$before = q1("SELECT count(*) FROM tiktrack.snapshots WHERE video_id = $v_good");
TiktrackWorker::wait_for($node, qq{SELECT count(*) >= $before + 2 FROM tiktrack.snapshots WHERE video_id = $v_good},
	't', 20, 'the other creator\'s videos go on');
is(q1(q{SELECT errors_total ? 'worker_error' FROM tiktrack.worker_status}), 'f',
	'still no round failed as a whole');

# --- a disconnected creator's videos stop being polled ---
q1(q{SELECT tiktrack.disconnect_creator('pa')});
TiktrackWorker::wait_for($node, q{SELECT string_agg(DISTINCT state || ':' || (next_fetch_at = track_until), ',')
	FROM tiktrack.videos v JOIN tiktrack.video_schedule s ON s.video_id = v.id
	WHERE v.creator_id = (SELECT id FROM tiktrack.creators WHERE handle = 'pa')},
	'awaiting_authorization:true', 10, 'disconnect: the videos wait, parked until their end');
my $n = q1('SELECT count(*) FROM tiktrack.snapshots');
$sim->post('/_sim/stats/reset');
sleep(4);
is(q1('SELECT count(*) FROM tiktrack.snapshots') . ':' . $sim->requests_total, "$n:0",
	'nothing is fetched for a disconnected creator (nor for the one with damaged tokens)');
is(q1(q{SELECT count(*) FROM tiktrack.video_schedule WHERE next_fetch_at <= now()}), '0', 'and nothing is due');

$node->stop;
done_testing();
