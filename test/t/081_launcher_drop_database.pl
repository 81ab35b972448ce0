# DROP DATABASE of a database whose worker is busy: WITH (FORCE) and
# plain.  The drop does not wait for the worker, the launcher forgets the
# database (no restart, no "database does not exist" loop in the log), and
# the worker of the other database goes on.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

my $query = '/v2/video/query/';
my $sim = TiktrackWorker::start_sim(seed => 81);
my $node = TiktrackWorker::worker_node('drop_database', $sim,
	'tiktrack.database' => '', 'tiktrack.http_timeout' => '20s');
for my $db (qw(doomed plain))
{
	$node->safe_psql('postgres', "CREATE DATABASE $db");
	$node->safe_psql($db, 'CREATE EXTENSION tiktrack');
}
for my $db (qw(postgres doomed))
{
	my $c = TiktrackWorker::connect_creators($node, $sim, database => $db,
		creators => 1, videos_per_creator => 3, business_share => 0, prefix => "drop$db");
	TiktrackWorker::track_videos($node, $c, '1 day', $db);
	TiktrackWorker::wait_for($node, 'SELECT count(DISTINCT video_id) FROM tiktrack.snapshots', '3', 20,
		"database $db tracking", $db);
}
my $pid = TiktrackWorker::worker_pid($node, 'postgres');
TiktrackWorker::worker_pid($node, 'plain');

# ---- WITH (FORCE) while the worker waits for a slow answer ----
$sim->post('/_sim/faults', { endpoint => $query, kind => 'slow', count => 2, delay_ms => 8000 });
$node->safe_psql('doomed', q{
	UPDATE tiktrack.video_schedule SET next_fetch_at = now();
	SELECT tiktrack.wake_worker_on_commit();});
TiktrackWorker::wait_for($node, 'SELECT state FROM tiktrack.worker_status', 'fetching', 10,
	'the worker of doomed is busy', 'doomed');
my $logpos = -s $node->logfile;
my $t = time();
$node->safe_psql('postgres', 'DROP DATABASE doomed WITH (FORCE)');
ok(time() - $t < 3, sprintf('DROP DATABASE WITH (FORCE) did not wait (%.2f s)', time() - $t));

# ---- plain DROP DATABASE: the worker there steps aside ----
$t = time();
my ($rc, $out, $err) = $node->psql('postgres', 'DROP DATABASE plain');
is($rc, 0, 'plain DROP DATABASE of a database with a worker succeeds') or diag($err);
ok(time() - $t < 3, sprintf('and did not wait long (%.2f s)', time() - $t));

$sim->delete('/_sim/faults');
my $snaps = $node->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots');
$node->safe_psql('postgres', q{
	UPDATE tiktrack.video_schedule SET next_fetch_at = now();
	SELECT tiktrack.wake_worker_on_commit();});
TiktrackWorker::wait_for($node, "SELECT count(*) > $snaps FROM tiktrack.snapshots", 't', 15,
	'the worker of postgres goes on');
sleep(6);							# more than the launcher's pauses and scans
is($node->safe_psql('postgres', 'SELECT pid FROM tiktrack.worker_status'), $pid,
	'the same worker of postgres, never restarted');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'tiktrack worker'}),
	'1', 'only the worker of postgres is left');
my $log = substr(slurp_file($node->logfile), $logpos);
my $starts = () = $log =~ /tiktrack worker started in database "(?:doomed|plain)"/g;
is($starts, 0, 'no worker was started again in a dropped database');
unlike($log, qr/database .* does not exist|stopped \d+ times in a row/, 'no restart loop in the log');
unlike($log, qr/PANIC|terminated by signal/, 'no crash');

# ---- the database tiktrack.database names, dropped WITH (FORCE) ----
# (the one worker of old restarted every second, failing to connect)
$node->safe_psql('postgres', 'CREATE DATABASE target');
$node->safe_psql('target', 'CREATE EXTENSION tiktrack');
$node->append_conf('postgresql.conf', "tiktrack.database = 'target'\n");
$node->restart;
TiktrackWorker::worker_pid($node, 'target');
$logpos = -s $node->logfile;
$node->safe_psql('postgres', 'DROP DATABASE target WITH (FORCE)');
sleep(4);
$log = substr(slurp_file($node->logfile), $logpos);
unlike($log, qr/database .* does not exist|tiktrack worker started|stopped \d+ times in a row/,
	'dropping the one database served starts nothing again');
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'tiktrack worker'}),
	'0', 'no worker left');

$node->stop;
done_testing();
