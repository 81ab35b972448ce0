# Helpers of the background-worker TAP tests (test/t/04*..07*): a local
# TikTok simulator (TiktrackSim, plain http), a cluster that preloads
# tiktrack with an accelerated cadence pointed at it, simulated creators
# connected through tiktrack.connect_creator(), and polling.
package TiktrackWorker;

use strict;
use warnings;
use Time::HiRes qw(usleep time);
use Test::More;
use TiktrackSim;

# ---- the simulator ----

# Starts test/sim/tiktok_sim.py over plain http on a free port; returns
# a TiktrackSim (->url, ->post(path, data), ->get(path), ->delete(path),
# ->requests_to(path), ->stop).  %opt: seed, rate_limit_per_minute,
# latency_ms.  Stopped when it goes away.
sub start_sim
{
	my (%opt) = @_;
	return TiktrackSim->start(%opt, tls => 0, host => '127.0.0.1', seed => $opt{seed} // 1);
}

# ---- the cluster ----

# A started cluster preloading tiktrack, pointed at the simulator,
# cadence in seconds, its workers restricted to database postgres
# (tiktrack.database; pass '' in %conf for every database); extra
# settings in %conf override.  The extension is created in postgres.
sub worker_node
{
	my ($name, $sim, %conf) = @_;
	my $node = worker_cluster($name, $sim, %conf);
	$node->safe_psql('postgres', 'CREATE EXTENSION tiktrack');
	return $node;
}

# The same cluster without the extension (a test that creates it itself,
# e.g. at an older version).
sub worker_cluster
{
	my ($name, $sim, %conf) = @_;
	return TiktrackSim::cluster($name,
		shared_preload_libraries => 'tiktrack',
		'tiktrack.database' => 'postgres',
		$sim->settings,
		'tiktrack.early_interval' => '2',
		'tiktrack.early_window' => '6h',
		'tiktrack.interval' => '3',
		'tiktrack.retry_base_delay' => '1',
		'tiktrack.retry_max_delay' => '2',
		'tiktrack.http_timeout' => '5s',
		timezone => 'UTC',
		log_min_messages => 'log',
		# a crashed worker restarts the server, as in production
		restart_after_crash => 'on',
		%conf);
}

# Seeds the simulator with creators and connects each through
# tiktrack.connect_creator() in database $seed{database} (postgres);
# returns the simulator's creator records.
sub connect_creators
{
	my ($node, $sim, %seed) = @_;
	my $creators = $sim->post('/_sim/seed', {
		creators => $seed{creators} // 3,
		videos_per_creator => $seed{videos_per_creator} // 4,
		business_share => $seed{business_share} // 0,
		prefix => $seed{prefix} // 'creator' });
	my $sql = join(";\n", map {
		sprintf("SELECT tiktrack.connect_creator('%s', '%s', 86400, 31536000, '%s')",
			$_->{access_token}, $_->{refresh_token}, $_->{api}) } @$creators);
	$node->safe_psql($seed{database} // 'postgres', $sql);
	return $creators;
}

# Tracks every video of the given creator records for $for (an interval),
# in database $db (postgres).
sub track_videos
{
	my ($node, $creators, $for, $db) = @_;
	my @urls = map {
		my $c = $_;
		map { "https://www.tiktok.com/\@$c->{handle}/video/$_->{id}" } @{ $c->{videos} }
	} @$creators;
	$node->safe_psql($db // 'postgres',
		join(";\n", 'BEGIN', (map { "SELECT tiktrack.track('$_', '$for')" } @urls), 'COMMIT'));
	return scalar @urls;
}

# Polls $sql (in database $db, default postgres) until it returns
# $expected (default 't'); fails the test with the last value after
# $timeout seconds.
sub wait_for
{
	my ($node, $sql, $expected, $timeout, $what, $db) = @_;
	$expected //= 't';
	$timeout //= 60;
	my $deadline = time() + $timeout;
	my $got;
	while (1)
	{
		$got = $node->safe_psql($db // 'postgres', $sql);
		if ($got eq $expected)
		{
			pass($what) if defined $what;
			return 1;
		}
		last if time() > $deadline;
		usleep(200_000);
	}
	fail(($what // 'wait') . ": expected '$expected', got '$got' after ${timeout}s");
	return 0;
}

# The pid of the worker of database $db (postgres), waiting for it to be
# running.
sub worker_pid
{
	my ($node, $db) = @_;
	wait_for($node, q{SELECT pid IS NOT NULL AND state <> 'stopped' FROM tiktrack.worker_status},
		't', 30, 'worker running', $db);
	return $node->safe_psql($db // 'postgres', 'SELECT pid FROM tiktrack.worker_status');
}

# The pids of the running tiktrack workers of database $db, sorted.
sub worker_pids_in
{
	my ($node, $db) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT string_agg(pid::text, ',' ORDER BY pid) FROM pg_stat_activity
		WHERE backend_type = 'tiktrack worker' AND datname = '$db'});
}

1;
