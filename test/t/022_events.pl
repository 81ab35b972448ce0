# NOTIFY tiktrack_events: any role that can connect may LISTEN (PostgreSQL
# cannot restrict it), so the payloads carry event names and ids only (no
# URL, handle, reason or counters), exactly; and tiktrack.events, a
# superuser-only setting, switches them off and on again by a reload,
# in the worker too.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim qw(query_fails);
use TiktrackWorker;

my $sim = TiktrackWorker::start_sim(seed => 22);
$sim->post('/_sim/clock', { now => int(time()) - 86400 });
my $node = TiktrackWorker::worker_node('events', $sim);
TiktrackWorker::worker_pid($node);
sub q1 { return $node->safe_psql('postgres', shift); }

# An unprivileged role listens, as any role may.
q1('CREATE ROLE watcher LOGIN');
my $listener = $node->background_psql('postgres', extra_params => [ '-U', 'watcher' ]);
$listener->query_safe('LISTEN tiktrack_events');
sub payloads
{
	my $out = $listener->query_safe('SELECT 1');
	return [ $out =~ /with payload "(.*?)" received from server process/g ];
}

my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 1, videos_per_creator => 2, business_share => 0, prefix => 'ev');
my $cid = q1('SELECT id FROM tiktrack.creators');
my @vids = sort map { $_->{id} } @{ $creators->[0]{videos} };
TiktrackWorker::track_videos($node, $creators, '3 seconds');
TiktrackWorker::wait_for($node, q{SELECT count(*) FILTER (WHERE state = 'completed') FROM tiktrack.videos},
	'2', 30, 'the worker tracks both videos to completion');

my $got = payloads();
my @created = grep { /"snapshot\.created"/ } @$got;
my @other = sort grep { !/"snapshot\.created"/ } @$got;
ok(@created >= 2, 'snapshot.created events: ' . scalar(@created));
my $bad = grep {
	!/^\{"event" : "snapshot\.created", "captured_at" : "[-0-9T:.+]+", "count" : \d+, "batch_count" : \d+, "video_ids" : \[[0-9, ]+\]\}$/
} @created;
is($bad, 0, 'snapshot.created carries the event, captured_at, counts and video ids only')
  or diag(join("\n", @created));
is(join("\n", @other),
	join("\n", map { qq({"event" : "tracking.completed", "video_id" : $_, "creator_id" : $cid}) } @vids),
	'tracking.completed carries the event and the ids only');

# The other two events, from their triggers.
q1("UPDATE tiktrack.videos SET state = 'unavailable', last_error = 'secret reason' WHERE id = $vids[0]");
q1("UPDATE tiktrack.creators SET auth_status = 'reauthorization_needed', last_error = 'secret reason' WHERE id = $cid");
is(join("\n", @{ payloads() }),
	qq({"event" : "video.unavailable", "video_id" : $vids[0], "creator_id" : $cid}\n)
	  . qq({"event" : "creator.reauthorization_needed", "creator_id" : $cid}),
	'video.unavailable and creator.reauthorization_needed carry the event and the ids only');

# tiktrack.events: readable by all, settable by a superuser only.
is($listener->query_safe('SHOW tiktrack.events'), 'on', 'tiktrack.events is on by default');
my ($ret, $out, $err) = $node->psql('postgres', 'SET tiktrack.events = off', extra_params => [ '-U', 'watcher' ]);
like($err, qr/permission denied to set parameter "tiktrack.events"/, 'a non-superuser cannot switch the events');
q1("UPDATE tiktrack.creators SET auth_status = 'authorized' WHERE id = $cid");
q1("SET tiktrack.events = off; UPDATE tiktrack.creators SET auth_status = 'reauthorization_needed' WHERE id = $cid");
is(scalar(@{ payloads() }), 0, 'a superuser\'s SET tiktrack.events = off silences the session');

# Tracks a completed video again for 3 s, waking the worker.
sub track_again
{
	q1("BEGIN; UPDATE tiktrack.videos SET state = 'tracking', track_until = now() + interval '3 seconds' "
		  . "WHERE id = $_[0]; UPDATE tiktrack.video_schedule SET next_fetch_at = now() WHERE video_id = $_[0]; "
		  . "SELECT tiktrack.wake_worker_on_commit(); COMMIT");
}

# Off in postgresql.conf and reloaded: the worker sends nothing either.
q1("UPDATE tiktrack.creators SET auth_status = 'authorized' WHERE id = $cid");
q1("ALTER SYSTEM SET tiktrack.events = off; SELECT pg_reload_conf()");
sleep(1);
track_again($vids[1]);
TiktrackWorker::wait_for($node, "SELECT state FROM tiktrack.videos WHERE id = $vids[1]",
	'completed', 30, 'the worker fetches with events off');
is(scalar(@{ payloads() }), 0, 'no event at all while tiktrack.events is off');

# And on again by a reload.
q1("ALTER SYSTEM RESET tiktrack.events; SELECT pg_reload_conf()");
sleep(1);
track_again($vids[1]);
TiktrackWorker::wait_for($node, "SELECT state FROM tiktrack.videos WHERE id = $vids[1]",
	'completed', 30, 'the worker fetches again');
$got = payloads();
ok((grep { /"snapshot\.created"/ } @$got) >= 1, 'snapshot.created is sent again after the reload');
ok((grep { $_ eq qq({"event" : "tracking.completed", "video_id" : $vids[1], "creator_id" : $cid}) } @$got) == 1,
	'tracking.completed is sent again');
$listener->quit;

$node->stop;
done_testing();
