# The worker survives what happens to a server: kill -9 in the middle of a
# batch followed by an immediate restart (nothing lost or duplicated,
# tracking resumes at once), pg_terminate_backend (restarted), a reload of
# changed settings, and DROP DATABASE, DROP EXTENSION and TRUNCATE while
# it is busy (none of them waits for it; after DROP EXTENSION the worker
# exits, and the launcher starts one again when the extension is back).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

my $query = '/v2/video/query/';
my $sim = TiktrackWorker::start_sim(seed => 70);
my $node = TiktrackWorker::worker_node('durability', $sim,
	'tiktrack.interval' => '1', 'tiktrack.early_interval' => '1', 'tiktrack.http_timeout' => '20s');
my $pid = TiktrackWorker::worker_pid($node);
my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 3, videos_per_creator => 3, business_share => 0, prefix => 'dur');
TiktrackWorker::track_videos($node, $creators, '1 day');
TiktrackWorker::wait_for($node, 'SELECT count(DISTINCT video_id) FROM tiktrack.snapshots', '9', 20,
	'tracking started');

# ---- kill -9 mid-batch, immediate restart ----
$sim->post('/_sim/faults', { endpoint => $query, kind => 'slow', count => 6, delay_ms => 5000 });
TiktrackWorker::wait_for($node, q{
	SELECT state = 'fetching' AND state_since < now() - interval '1 second' FROM tiktrack.worker_status},
	't', 10, 'worker busy with a slow batch');
is($node->safe_psql('postgres', 'SELECT videos_in_flight FROM tiktrack.worker_status'), '9',
	'nine videos claimed');
my $snap_before = $node->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots');
kill 'KILL', $pid;
$node->stop('immediate');
$node->start;
is($node->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots'), $snap_before,
	'the killed batch wrote nothing, nothing was lost');
is($node->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.video_schedule WHERE next_fetch_at <= now()'),
	'9', 'the claim wrote nothing: the killed batch\'s videos are all still due');
my $pid2 = TiktrackWorker::worker_pid($node);
isnt($pid2, $pid, 'a new worker runs after the restart');
$sim->delete('/_sim/faults');
TiktrackWorker::wait_for($node, "SELECT count(*) > $snap_before + 9 FROM tiktrack.snapshots", 't', 30,
	'tracking resumes');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (SELECT video_id, captured_at FROM tiktrack.snapshots
						  GROUP BY 1, 2 HAVING count(*) > 1) d}), '0', 'no duplicate snapshot');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM tiktrack.latest_snapshots l
	WHERE l.snapshot_count <> (SELECT count(*) FROM tiktrack.snapshots s WHERE s.video_id = l.video_id)}),
	'0', 'latest_snapshots consistent with snapshots');

# ---- pg_terminate_backend: exit code 1, restarted after 1 s ----
$node->safe_psql('postgres', "SELECT pg_terminate_backend($pid2)");
my $pid3 = TiktrackWorker::worker_pid($node);
TiktrackWorker::wait_for($node, "SELECT pid <> $pid2 FROM tiktrack.worker_status", 't', 15,
	'terminated worker restarted');
ok(1, 'worker restarted after pg_terminate_backend');

# ---- reload of changed settings ----
$node->append_conf('postgresql.conf', "tiktrack.interval = '1h'\ntiktrack.early_interval = '1h'\n");
$node->reload;
TiktrackWorker::wait_for($node, q{
	SELECT count(*) FROM tiktrack.video_schedule
	WHERE next_fetch_at > now() + interval '50 minutes'}, '9', 20,
	'after a reload every video is rescheduled at the new interval');

# ---- DROP DATABASE, TRUNCATE, DROP EXTENSION while busy ----
$node->safe_psql('postgres', 'CREATE DATABASE scratch');
$sim->post('/_sim/faults', { endpoint => $query, kind => 'slow', count => 3, delay_ms => 6000 });
$node->safe_psql('postgres', q{
	UPDATE tiktrack.video_schedule SET next_fetch_at = now();
	SELECT tiktrack.wake_worker_on_commit();});
TiktrackWorker::wait_for($node, q{SELECT state FROM tiktrack.worker_status}, 'fetching', 10,
	'worker busy again');
my $t = time();
$node->safe_psql('postgres', 'DROP DATABASE scratch');
ok(time() - $t < 3, sprintf('DROP DATABASE did not wait for the worker (%.2f s)', time() - $t));
$t = time();
$node->safe_psql('postgres', 'TRUNCATE tiktrack.snapshots CASCADE');
ok(time() - $t < 3, sprintf('TRUNCATE did not wait for the worker (%.2f s)', time() - $t));
$t = time();
$node->safe_psql('postgres', 'DROP EXTENSION tiktrack CASCADE');
ok(time() - $t < 3, sprintf('DROP EXTENSION did not wait for the worker (%.2f s)', time() - $t));
TiktrackWorker::wait_for($node, q{
	SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'tiktrack worker'}, '0', 15,
	'the worker exits without the extension');
$sim->delete('/_sim/faults');

# Created again, the extension gets a worker at once.
$t = time();
$node->safe_psql('postgres', 'CREATE EXTENSION tiktrack');
TiktrackWorker::worker_pid($node);
ok(time() - $t < 5, sprintf('a worker serves the new extension after %.1f s', time() - $t));
TiktrackWorker::connect_creators($node, $sim, creators => 1, videos_per_creator => 2, prefix => 'again');
my $again = $sim->get('/_sim/creators');
my ($c) = grep { $_->{handle} eq 'again001' } @$again;
TiktrackWorker::track_videos($node, [$c], '1 day');
TiktrackWorker::wait_for($node, 'SELECT count(DISTINCT video_id) FROM tiktrack.snapshots', '2', 20,
	'tracking works in the recreated extension');
unlike(slurp_file($node->logfile), qr/PANIC|server process .* was terminated by signal 11/,
	'no crash in the server log');

$node->stop;
done_testing();
