# The traction.breakout event while the worker fetches from the simulator:
# a creator whose earlier posts had about 1,000 views at half an hour
# posts one that TikTok (the simulator) shows at 1,000,000 views; the
# worker's first snapshot of it makes it a breakout, and the NOTIFY on
# tiktrack_events (ids only, as every event) arrives exactly once however
# many snapshots follow; tiktrack.traction_alerts holds the figures.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

my $sim = TiktrackWorker::start_sim(seed => 80);
my $now = int(time());
$sim->post('/_sim/clock', { now => $now });

my $node = TiktrackWorker::worker_node('breakout', $sim);
TiktrackWorker::worker_pid($node);

my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN tiktrack_events');

my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 1, videos_per_creator => 0, business_share => 0, prefix => 'brk');
my $handle = $creators->[0]{handle};

# The creator's history: six earlier posts, snapshotted at 10 minutes and
# 2 hours, about 1,000 views at 30 minutes (tracking ended long ago).
$node->safe_psql('postgres', qq{
	INSERT INTO tiktrack.videos (id, creator_id, posted_at, track_until, state)
	SELECT 9000 + i, c.id, now() - i * interval '1 day', now() - i * interval '1 day' + interval '2 hours', 'completed'
	FROM tiktrack.creators c, generate_series(1, 6) i WHERE c.handle = '$handle';
	INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
	SELECT v.id, v.posted_at + a.age, a.views + 10 * (v.id - 9000), 0, 0, 0, 'manual'
	FROM tiktrack.videos v,
		 (VALUES (interval '10 minutes', 500), (interval '2 hours', 4000)) AS a(age, views)
	WHERE v.id > 9000 AND v.id <= 9006;
});

# The new post: 30 minutes old, 1,000,000 views on TikTok.
my $added = $sim->post('/_sim/videos', {
	handle => $handle,
	videos => [ { create_time => $now - 1800, views => 1000000, caption => 'this one flies' } ] });
my $vid = $added->[0]{id};
$node->safe_psql('postgres', "SELECT tiktrack.track('$added->[0]{share_url}', '1 hour')");

# Several snapshots (the early cadence is 2 seconds), all at breakout.
TiktrackWorker::wait_for($node,
	"SELECT count(*) >= 3 FROM tiktrack.snapshots WHERE video_id = $vid", 't', 60,
	'the worker snapshots the new post repeatedly');
is($node->safe_psql('postgres', "SELECT status FROM tiktrack.traction($vid)"), 'breakout',
	'the post is a breakout against its creator\'s baseline');

my $out = $listener->query_safe('SELECT 1');
my $cid = $node->safe_psql('postgres', "SELECT id FROM tiktrack.creators WHERE handle = '$handle'");
my @events = ($out =~ /(\{"event" : "traction.breakout"[^}]*\})/g);
is(scalar(@events), 1, 'exactly one traction.breakout event');
is($events[0] // '', qq({"event" : "traction.breakout", "video_id" : $vid, "creator_id" : $cid}),
	'the event carries the ids only');
is($node->safe_psql('postgres',
		"SELECT count(*) || ' ' || views || ' ' || (traction_index > 100) FROM tiktrack.traction_alerts WHERE video_id = $vid GROUP BY views, traction_index"),
	'1 1000000 true', 'the alert is recorded once, with its views and traction index');

# A snapshot stored by hand (as refresh() would) decides the same way and
# does not announce the post again.
$node->safe_psql('postgres', qq{
	INSERT INTO tiktrack.snapshots (video_id, captured_at, views, source)
	VALUES ($vid, now() + interval '1 second', 1000001, 'manual')});
$out = $listener->query_safe('SELECT 1');
is(scalar(() = $out =~ /traction.breakout/g), 0, 'no second event');

$listener->quit;
$node->stop;
done_testing();
