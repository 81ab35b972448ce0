# The launcher notices CREATE EXTENSION and DROP EXTENSION in any database
# without a restart: a third database starts fetching as soon as the
# extension is created there, and DROP EXTENSION stops its worker.  A
# launcher that is terminated comes back and takes over the running
# workers instead of starting second ones.  tiktrack.database, when set,
# restricts the workers to that database.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Time::HiRes qw(time sleep);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

my $sim = TiktrackWorker::start_sim(seed => 82);
my $node = TiktrackWorker::worker_node('extension', $sim, 'tiktrack.database' => '');
$node->safe_psql('postgres', 'CREATE DATABASE second; CREATE DATABASE third');
$node->safe_psql('second', 'CREATE EXTENSION tiktrack');
my $pid1 = TiktrackWorker::worker_pid($node, 'postgres');
my $pid2 = TiktrackWorker::worker_pid($node, 'second');
sleep(1);
is(TiktrackWorker::worker_pids_in($node, 'third'), '', 'no worker stays in a database without the extension');

# ---- CREATE EXTENSION in a third database ----
my $t = time();
$node->safe_psql('third', 'CREATE EXTENSION tiktrack');
my $pid3 = TiktrackWorker::worker_pid($node, 'third');
ok(time() - $t < 5, sprintf('a worker serves the new extension after %.1f s', time() - $t));
my $c = TiktrackWorker::connect_creators($node, $sim, database => 'third',
	creators => 1, videos_per_creator => 2, business_share => 0, prefix => 'third');
TiktrackWorker::track_videos($node, $c, '1 day', 'third');
TiktrackWorker::wait_for($node, 'SELECT count(DISTINCT video_id) FROM tiktrack.snapshots', '2', 15,
	'the third database is fetched, without a restart', 'third');

# ---- DROP EXTENSION stops the worker there ----
$t = time();
$node->safe_psql('third', 'DROP EXTENSION tiktrack CASCADE');
TiktrackWorker::wait_for($node, q{SELECT count(*) FROM pg_stat_activity
	WHERE backend_type = 'tiktrack worker' AND datname = 'third'}, '0', 10, 'DROP EXTENSION stops its worker');
ok(time() - $t < 3, sprintf('within %.1f s', time() - $t));
like(slurp_file($node->logfile),
	qr/tiktrack worker exits: extension "tiktrack" is not installed in database "third"/, 'the log says why');
sleep(1);
is(TiktrackWorker::worker_pids_in($node, 'third'), '', 'and it is not started again');
is(TiktrackWorker::worker_pids_in($node, 'postgres') . ' ' . TiktrackWorker::worker_pids_in($node, 'second'),
	"$pid1 $pid2", 'the other databases keep their workers');

# ---- a terminated launcher comes back and adopts the workers ----
my $launcher = $node->safe_psql('postgres',
	q{SELECT pid FROM pg_stat_activity WHERE backend_type = 'tiktrack launcher'});
$node->safe_psql('postgres', "SELECT pg_terminate_backend($launcher)");
TiktrackWorker::wait_for($node, qq{SELECT count(*) FROM pg_stat_activity
	WHERE backend_type = 'tiktrack launcher' AND pid <> $launcher}, '1', 20, 'the launcher is back');
sleep(1);
is(TiktrackWorker::worker_pids_in($node, 'postgres') . ' ' . TiktrackWorker::worker_pids_in($node, 'second'),
	"$pid1 $pid2", 'the same workers run, none twice');
$node->safe_psql('third', 'CREATE EXTENSION tiktrack');
TiktrackWorker::worker_pid($node, 'third');
ok(1, 'the new launcher starts a worker for a new extension');

# ---- tiktrack.database restricts the workers to one database ----
$node->append_conf('postgresql.conf', "tiktrack.database = 'second'\n");
$node->restart;
TiktrackWorker::worker_pid($node, 'second');
sleep(1);
is(TiktrackWorker::worker_pids_in($node, 'postgres') . '|' . TiktrackWorker::worker_pids_in($node, 'third'), '|',
	'with tiktrack.database set, no other database gets a worker');
is($node->safe_psql('postgres', 'SELECT state FROM tiktrack.worker_status'), 'not served (tiktrack.database)',
	'and worker_status there says why');

$node->stop;
done_testing();
