# The videos the worker holds in its own queue (src/held_videos.c): once
# fetched, a video's schedule row leaves the due indexes (claim_at NULL) and
# its reschedules are HOT updates, yet everything that schedules a video
# still works: the worker keeps fetching what it holds, a user's UPDATE of
# next_fetch_at hands the video back to the indexes and is obeyed, untrack
# stops it, and nothing is lost across kill -9, VACUUM FULL (rows move) or
# tiktrack.direct_access off (every held row goes back to the indexes).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(sleep);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

my $sim = TiktrackWorker::start_sim(seed => 77);
my $node = TiktrackWorker::worker_node('held', $sim,
	'tiktrack.interval' => '2', 'tiktrack.early_interval' => '2');
my $pid = TiktrackWorker::worker_pid($node);
my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 2, videos_per_creator => 3, business_share => 0, prefix => 'held');
TiktrackWorker::track_videos($node, $creators, '1 day');

my $held = q{SELECT count(*) FROM tiktrack.video_schedule WHERE claim_at IS NULL AND next_fetch_at IS NOT NULL};
my $count = sub { $node->safe_psql('postgres', shift) };

# ---- fetched videos are held, and fetched again from the queue ----
TiktrackWorker::wait_for($node, q{SELECT min(c) >= 3 FROM (
	SELECT count(*) AS c FROM tiktrack.snapshots GROUP BY video_id HAVING count(*) > 0) s
	HAVING count(*) = 6}, 't', 40, 'every video fetched three times');
is($count->($held), '6', 'all six videos are held by the worker (claim_at NULL)');
is($count->(q{SELECT count(*) FROM tiktrack.video_schedule WHERE next_fetch_at IS NULL}), '0',
	'and all are scheduled');

# the reschedules of held videos add no index entry: HOT updates
$node->safe_psql('postgres', 'SELECT pg_stat_force_next_flush()');
my ($upd0, $hot0) = split /\|/, $count->(q{
	SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'tiktrack.video_schedule'::regclass});
my $snap0 = $count->('SELECT count(*) FROM tiktrack.snapshots');
TiktrackWorker::wait_for($node, "SELECT count(*) >= $snap0 + 18 FROM tiktrack.snapshots", 't', 40,
	'held videos keep being fetched');
sleep(1.5);						# the worker's table statistics reach the view
my ($upd1, $hot1) = split /\|/, $count->(q{
	SELECT n_tup_upd, n_tup_hot_upd FROM pg_stat_user_tables WHERE relid = 'tiktrack.video_schedule'::regclass});
cmp_ok($upd1 - $upd0, '>=', 18, 'the schedule rows were updated at every fetch');
cmp_ok($hot1 - $hot0, '>=', 0.9 * ($upd1 - $upd0),
	sprintf('and at least 90 %% of those updates were HOT (%d of %d)', $hot1 - $hot0, $upd1 - $upd0));

# ---- a user's UPDATE hands a held video back, and is obeyed ----
# (the worker paused meanwhile, so that no round in flight reschedules
# over the UPDATE; it keeps its queue, whose entries are then stale)
$node->safe_psql('postgres', 'ALTER SYSTEM SET tiktrack.worker_enabled = off');
$node->reload;
TiktrackWorker::wait_for($node, 'SELECT state FROM tiktrack.worker_status', 'disabled', 15, 'worker paused');
is($count->($held), '6', 'paused with all six held');
$node->safe_psql('postgres', q{UPDATE tiktrack.video_schedule SET next_fetch_at = now() + interval '1 hour'});
is($count->(q{SELECT count(*) FROM tiktrack.video_schedule WHERE claim_at = next_fetch_at}), '6',
	'the trigger puts every updated row back in the due indexes (claim_at = next_fetch_at)');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET tiktrack.worker_enabled');
$node->reload;
my $quiet = $count->('SELECT count(*) FROM tiktrack.snapshots');
sleep(5);
is($count->('SELECT count(*) FROM tiktrack.snapshots'), $quiet,
	'nothing is fetched while every video is due in an hour (the queue\'s entries were stale)');
my $one = $count->('SELECT min(video_id) FROM tiktrack.video_schedule');
my $made_due = $count->('SELECT now()');
# (no wake_worker_on_commit(): the trigger wakes the worker at commit)
$node->safe_psql('postgres', "UPDATE tiktrack.video_schedule SET next_fetch_at = now() WHERE video_id = $one");
TiktrackWorker::wait_for($node, "SELECT count(*) >= 2 FROM tiktrack.snapshots WHERE video_id = $one AND captured_at > '$made_due'",
	't', 20, 'the video made due is fetched at once (the worker woken at commit), and again from the queue');
is($count->("SELECT count(*) FROM tiktrack.snapshots WHERE video_id <> $one AND captured_at > '$made_due'"),
	'0', 'and no other video');
is($count->("SELECT claim_at IS NULL AND next_fetch_at < now() + interval '1 minute' FROM tiktrack.video_schedule WHERE video_id = $one"),
	't', 'it is held again, on its cadence');

# ---- kill -9: the new worker rebuilds its queue from the table ----
$node->safe_psql('postgres', q{UPDATE tiktrack.video_schedule SET next_fetch_at = now()});
TiktrackWorker::wait_for($node, $held, '6', 20, 'all six held again');
kill 'KILL', $pid;
$node->stop('immediate');
$node->start;
$pid = TiktrackWorker::worker_pid($node);
my $after_kill = $count->('SELECT count(*) FROM tiktrack.snapshots');
TiktrackWorker::wait_for($node, qq{SELECT count(DISTINCT video_id) FROM tiktrack.snapshots
	WHERE captured_at > now() - interval '5 seconds'}, '6', 30,
	'after kill -9 and a restart every held video is fetched again');
is($count->(q{SELECT count(*) FROM (SELECT video_id, captured_at FROM tiktrack.snapshots
	GROUP BY 1, 2 HAVING count(*) > 1) d}), '0', 'no duplicate snapshot');

# ---- VACUUM FULL moves the rows the queue points at ----
$node->safe_psql('postgres', 'VACUUM FULL tiktrack.video_schedule');
$node->safe_psql('postgres', 'SELECT pg_sleep(3)');
TiktrackWorker::wait_for($node, qq{SELECT count(DISTINCT video_id) FROM tiktrack.snapshots
	WHERE captured_at > now() - interval '4 seconds'}, '6', 20,
	'after VACUUM FULL every held video is still fetched');

# ---- untrack stops a held video ----
my $gone = $count->('SELECT max(video_id) FROM tiktrack.video_schedule');
$node->safe_psql('postgres', "SELECT tiktrack.untrack($gone)");
$node->safe_psql('postgres', 'SELECT pg_sleep(3)');
my $stopped_at = $count->("SELECT count(*) FROM tiktrack.snapshots WHERE video_id = $gone");
sleep(5);
is($count->("SELECT count(*) FROM tiktrack.snapshots WHERE video_id = $gone"), $stopped_at,
	'an untracked held video is no longer fetched');
TiktrackWorker::wait_for($node, qq{SELECT count(DISTINCT video_id) FROM tiktrack.snapshots
	WHERE captured_at > now() - interval '4 seconds'}, '5', 20, 'the other five still are');

# ---- without the direct path every held row goes back to the indexes ----
$node->safe_psql('postgres', 'ALTER SYSTEM SET tiktrack.direct_access = off');
$node->reload;
TiktrackWorker::wait_for($node, $held, '0', 20,
	'with tiktrack.direct_access off the worker holds no video (claim_at set again)');
my $by_statement = $count->('SELECT count(*) FROM tiktrack.snapshots');
TiktrackWorker::wait_for($node, "SELECT count(*) >= $by_statement + 10 FROM tiktrack.snapshots", 't', 30,
	'and the videos are fetched through the claim statement');
is($count->($held), '0', 'still none held');
$node->safe_psql('postgres', 'ALTER SYSTEM RESET tiktrack.direct_access');
$node->reload;
TiktrackWorker::wait_for($node, $held, '5', 20, 'with the direct path back, the worker holds them again');
is($count->(q{SELECT count(*) FROM (SELECT video_id, captured_at FROM tiktrack.snapshots
	GROUP BY 1, 2 HAVING count(*) > 1) d}), '0', 'no duplicate snapshot at all');
is($count->(q{SELECT count(*) FROM tiktrack.latest_snapshots l
	WHERE l.snapshot_count <> (SELECT count(*) FROM tiktrack.snapshots s WHERE s.video_id = l.video_id)}),
	'0', 'latest_snapshots consistent with snapshots');

$node->stop;
done_testing();
