# The background worker tracks videos to completion against the simulator:
# snapshots arrive on their own at the configured cadence, with the exact
# values TikTok (the simulator) reported, from the right API, in requests
# grouped by creator; videos past track_until become completed; creator
# stats are snapshotted; applications hear about it on tiktrack_events;
# tiktrack.worker_status and pg_stat_activity show the worker.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

my $sim = TiktrackWorker::start_sim(seed => 40);
# The simulator's clock stands still: every fetch sees the same numbers
# until the test moves it.
# (Near the real time: Business account reads name calendar dates.)
my $t0 = int(time()) - 86400;
$sim->post('/_sim/clock', { now => $t0 });

my $node = TiktrackWorker::worker_node('tracking', $sim);
my $pid = TiktrackWorker::worker_pid($node);
like($pid, qr/^\d+$/, 'worker is running');
is($node->safe_psql('postgres',
		"SELECT backend_type || ' / ' || application_name FROM pg_stat_activity WHERE pid = $pid"),
	'tiktrack worker / tiktrack worker', 'worker shows in pg_stat_activity');

my $listener = $node->background_psql('postgres');
$listener->query_safe('LISTEN tiktrack_events');

# Two Display creators and one Business creator, three videos each.
my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 3, videos_per_creator => 3, business_share => 0.34, prefix => 'track');
is(join(',', sort map { $_->{api} } @$creators), 'business,display,display', 'creators of both APIs');

my $n = TiktrackWorker::track_videos($node, $creators, '9 seconds');
is($n, 9, 'nine videos tracked');

# First snapshot of every video: the values at t0.
TiktrackWorker::wait_for($node,
	'SELECT count(DISTINCT video_id) FROM tiktrack.snapshots', '9', 30, 'first snapshots');

my %api_of = map { my $c = $_; map { ($_->{id} => $c->{api}) } @{ $c->{videos} } } @$creators;
my $mismatch = 0;
for my $vid (sort keys %api_of)
{
	my $exp = $sim->get("/_sim/expected?video_id=$vid&at=$t0");
	my $want = $api_of{$vid} eq 'display'
	  ? join('|', $exp->{display}{view_count}, $exp->{display}{like_count},
		$exp->{display}{comment_count}, $exp->{display}{share_count}, '', '', 'display')
	  : join('|', $exp->{business}{video_views}, $exp->{business}{likes},
		$exp->{business}{comments}, $exp->{business}{shares}, $exp->{business}{favorites},
		$exp->{business}{reach}, 'business');
	my $got = $node->safe_psql('postgres', qq{
		SELECT concat_ws('|', views, likes, comments, shares, coalesce(saves::text, ''),
						 coalesce(reach::text, ''), source)
		FROM tiktrack.snapshots WHERE video_id = $vid ORDER BY captured_at LIMIT 1});
	$mismatch++, diag("video $vid: got $got, want $want") unless $got eq $want;
}
is($mismatch, 0, 'first snapshot of each video holds the exact values at t0, from its API');

# An hour later on TikTok's side, the counters have grown.
my $t1 = $t0 + 3600;
$sim->post('/_sim/clock', { now => $t1 });

TiktrackWorker::wait_for($node,
	q{SELECT count(*) FILTER (WHERE state = 'completed') || '/' || count(*) FROM tiktrack.videos},
	'9/9', 40, 'all videos completed');

$mismatch = 0;
for my $vid (sort keys %api_of)
{
	my $exp = $sim->get("/_sim/expected?video_id=$vid&at=$t1");
	my $want = $api_of{$vid} eq 'display' ? $exp->{display}{view_count} : $exp->{business}{video_views};
	my $got = $node->safe_psql('postgres',
		"SELECT views FROM tiktrack.latest_snapshots WHERE video_id = $vid");
	$mismatch++, diag("video $vid: latest views $got, want $want") unless $got eq $want;
}
is($mismatch, 0, 'last snapshot of each video holds the exact values at t1');

# Cadence: tracked for 9 s at a 3 s interval (the videos are days old, so
# past their early window): a first fetch, then about every 3 s, the last
# one pulled to track_until.  At least 3 snapshots each, never two in the
# same second, none after completion.
is($node->safe_psql('postgres', q{
	SELECT min(n) >= 3 AND max(n) <= 6 FROM (SELECT count(*) n FROM tiktrack.snapshots GROUP BY video_id) s}),
	't', 'three to six snapshots per video');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (
		SELECT captured_at - lag(captured_at) OVER (PARTITION BY video_id ORDER BY captured_at) AS gap
		FROM tiktrack.snapshots) g WHERE gap < interval '1 second'}),
	'0', 'snapshots of a video are spaced by the cadence');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM tiktrack.videos v JOIN tiktrack.video_schedule s ON s.video_id = v.id
	WHERE v.state <> 'completed' OR s.next_fetch_at IS NOT NULL
	   OR s.last_fetched_at < v.track_until - interval '1 second'}),
	'0', 'completed videos are unscheduled, and were fetched until their end');
is($node->safe_psql('postgres', 'SELECT videos_in_flight FROM tiktrack.worker_status'), '0',
	'no video in flight between rounds');

# Requests carry all of a creator's due videos: three ids per video request.
is($node->safe_psql('postgres', q{
	SELECT string_agg(DISTINCT video_count::text, ',') FROM tiktrack.fetch_log
	WHERE endpoint IN ('/v2/video/query/', '/open_api/v1.3/business/video/list/')}),
	'3', 'each video request carries the three videos of one creator');

# Creator stats were snapshotted (due at once after connecting, then daily).
TiktrackWorker::wait_for($node, q{
	SELECT count(DISTINCT creator_id) || ' ' || bool_and(stats_next_fetch_at > now() + interval '23 hours')::text
	FROM tiktrack.creator_stats s JOIN tiktrack.creators c ON c.id = s.creator_id},
	'3 true', 10, 'creator stats taken for every creator, next in a day');

# worker_status.
is($node->safe_psql('postgres', q{
	SELECT concat_ws(' ', pid IS NOT NULL, tracked_videos, due_videos, videos_in_flight,
					 requests_last_minute > 0, snapshots_last_minute = (SELECT count(*) FROM tiktrack.snapshots),
					 snapshots_last_hour = snapshots_last_minute, errors_total,
					 last_success_display IS NOT NULL, last_success_business IS NOT NULL)
	FROM tiktrack.worker_status}),
	't 0 0 0 t t t {} t t', 'worker_status counts what happened');

# Events: one snapshot.created per written batch, tracking.completed per video.
my $out = $listener->query_safe('SELECT 1');
my @created = ($out =~ /"event" : "snapshot.created"/g);
my @completed = ($out =~ /"event" : "tracking.completed"/g);
my %completed_ids = map { $_ => 1 } ($out =~ /"event" : "tracking.completed", "video_id" : (\d+)/g);
ok(@created >= 3, 'snapshot.created events: ' . scalar(@created));
is(scalar(@completed) . ' ' . scalar(keys %completed_ids), '9 9', 'one tracking.completed event per video');
my $listed = 0;
$listed += scalar(split /,/, $1) while $out =~ /"video_ids" : \[([^\]]*)\]/g;
is($listed, $node->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots'),
	'snapshot.created events list every snapshot once');
$listener->quit;

$node->stop;
done_testing();
