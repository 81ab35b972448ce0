# Two databases tracking at once: the launcher starts one worker in each
# (tiktrack.database unset), each database sees its own worker and its
# counters in tiktrack.worker_status, and both spend one request budget (the TikTok
# app's): together they send no more than the budget allows.
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
my $sim = TiktrackWorker::start_sim(seed => 80);
my $node = TiktrackWorker::worker_node('two_databases', $sim,
	'tiktrack.database' => '',
	'tiktrack.early_interval' => '1', 'tiktrack.interval' => '1');
$node->safe_psql('postgres', 'CREATE DATABASE two');
$node->safe_psql('two', 'CREATE EXTENSION tiktrack');

my %creators;
for my $db (qw(postgres two))
{
	$creators{$db} = TiktrackWorker::connect_creators($node, $sim, database => $db,
		creators => 2, videos_per_creator => 3, business_share => 0, prefix => "db$db");
	TiktrackWorker::track_videos($node, $creators{$db}, '1 day', $db);
}
for my $db (qw(postgres two))
{
	TiktrackWorker::wait_for($node, 'SELECT count(DISTINCT video_id) FROM tiktrack.snapshots', '6', 30,
		"database $db: every video fetched", $db);
}

my $pid1 = TiktrackWorker::worker_pid($node, 'postgres');
my $pid2 = TiktrackWorker::worker_pid($node, 'two');
isnt($pid1, $pid2, 'each database has a worker of its own');
is(TiktrackWorker::worker_pids_in($node, 'postgres'), $pid1, 'one worker in postgres');
is(TiktrackWorker::worker_pids_in($node, 'two'), $pid2, 'one worker in two');
is($node->safe_psql('two', q{SELECT datname FROM pg_stat_activity WHERE pid = (SELECT pid FROM tiktrack.worker_status)}),
	'two', "worker_status in two shows two's worker");
is($node->safe_psql('postgres', q{SELECT count(*) FROM pg_stat_activity WHERE backend_type = 'tiktrack launcher' AND datname IS NULL}),
	'1', 'one launcher, connected to no database');

# ---- one budget for both ----
# 60 requests a minute: a burst of 6, then 0.9 per second.  Four creators
# due every second ask for four.
$node->append_conf('postgresql.conf', "tiktrack.display_requests_per_minute = 60\n");
$node->reload;
TiktrackWorker::wait_for($node, "SELECT limits FROM tiktrack.rate_limits() WHERE limiter = 'display $query'",
	'60/min', 10, 'budget lowered');
my $sent0 = $sim->requests_to($query);
my $t0 = time();
my $since = $node->safe_psql('postgres', 'SELECT now()');
sleep(10);
my $sent = $sim->requests_to($query) - $sent0;
my $elapsed = time() - $t0;
my $allowed = 6 + 0.9 * $elapsed;
ok($sent <= $allowed + 1,
	sprintf('both databases together sent %d requests in %.1f s, within one budget (%.1f)', $sent, $elapsed, $allowed));
ok($sent >= 0.9 * $elapsed - 3,
	sprintf('and they used it (%d requests; two budgets would allow %.0f)', $sent, 2 * $allowed));
for my $db (qw(postgres two))
{
	ok($node->safe_psql($db, "SELECT count(*) FROM tiktrack.snapshots WHERE captured_at > '$since'") > 0,
		"database $db was served during the window");
	is($node->safe_psql($db, "SELECT waits > 0 FROM tiktrack.rate_limits() WHERE limiter = 'display $query'"),
		't', "database $db sees the shared bucket's waits");
	is($node->safe_psql($db, 'SELECT starts FROM tiktrack.worker_status'), '1', "database $db: its worker started once");
}
is($node->safe_psql('postgres', "SELECT limits FROM tiktrack.rate_limits() WHERE limiter = 'display $query'"),
	'60/min', 'the budget is the configured one, not twice it');

# ---- counters are per database ----
$node->append_conf('postgresql.conf', "tiktrack.worker_enabled = off\n");
$node->reload;
for my $db (qw(postgres two))
{
	TiktrackWorker::wait_for($node, 'SELECT state FROM tiktrack.worker_status', 'disabled', 10,
		"database $db: worker paused", $db);
}
for my $db (qw(postgres two))
{
	is($node->safe_psql($db, q{SELECT total FROM tiktrack.worker_counters() WHERE counter = 'snapshots'}),
		$node->safe_psql($db, 'SELECT count(*) FROM tiktrack.snapshots'),
		"database $db: worker_status counts the snapshots of its own database");
}

$node->stop;
done_testing();
