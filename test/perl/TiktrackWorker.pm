# Helpers of the background-worker TAP tests (test/t/04*..07*): a local
# TikTok simulator process, a cluster that preloads tiktrack with an
# accelerated cadence pointed at it, simulated creators connected through
# tiktrack.connect_creator(), and polling.
#
# Perl core modules only (HTTP::Tiny, JSON::PP).
package TiktrackWorker;

use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use HTTP::Tiny;
use JSON::PP;
use Time::HiRes qw(usleep time);
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

our $repo = abs_path(dirname(__FILE__) . '/../..');
my $json = JSON::PP->new->canonical;

# ---- the simulator ----

# Starts test/sim/tiktok_sim.py on a free port; returns an object with
# ->url, ->post(path, data), ->get(path), ->stop.  Stopped at exit.
sub start_sim
{
	my (%opt) = @_;
	my $dir = PostgreSQL::Test::Utils::tempdir();
	my $port_file = "$dir/port";
	my @cmd = ('/usr/bin/python3', "$repo/test/sim/tiktok_sim.py", '--port', '0',
		'--port-file', $port_file, '--quiet', '--seed', $opt{seed} // 1);
	push @cmd, '--rate-limit-per-minute', $opt{rate_limit_per_minute}
	  if $opt{rate_limit_per_minute};
	push @cmd, '--latency-ms', $opt{latency_ms} if $opt{latency_ms};
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDOUT, '>', "$dir/sim.log");
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or die "exec: $!";
	}
	my $deadline = time() + 20;
	while (!-s $port_file)
	{
		die "simulator did not start: " . slurp_file("$dir/sim.log") if time() > $deadline;
		usleep(50_000);
	}
	my $port = slurp_file($port_file);
	chomp $port;
	my $self = bless { pid => $pid, url => "http://127.0.0.1:$port", http => HTTP::Tiny->new(timeout => 30) },
	  'TiktrackWorker::Sim';
	push @TiktrackWorker::sims, $self;
	return $self;
}

END
{
	$_->stop for @TiktrackWorker::sims;
}

package TiktrackWorker::Sim;

sub url { $_[0]{url} }

sub request
{
	my ($self, $method, $path, $data) = @_;
	my $res = $self->{http}->request($method, $self->{url} . $path,
		defined $data
		? { content => $json->encode($data), headers => { 'Content-Type' => 'application/json' } }
		: {});
	die "simulator $method $path: $res->{status} $res->{content}" unless $res->{success};
	return length($res->{content}) ? $json->decode($res->{content}) : undef;
}

sub post { my ($s, $p, $d) = @_; return $s->request('POST', $p, $d // {}); }
sub get { my ($s, $p) = @_; return $s->request('GET', $p); }
sub delete { my ($s, $p) = @_; return $s->request('DELETE', $p); }

# Requests the simulator served on a path since the last stats reset.
sub requests_to
{
	my ($self, $path) = @_;
	return $self->get('/_sim/stats')->{per_path}{$path} // 0;
}

sub stop
{
	my ($self) = @_;
	return unless $self->{pid};
	kill 'TERM', $self->{pid};
	waitpid($self->{pid}, 0);
	$self->{pid} = undef;
}

package TiktrackWorker;

# ---- the cluster ----

# A started cluster preloading tiktrack, its worker on database postgres
# and pointed at the simulator, cadence in seconds; extra settings in
# %conf override.  The extension is created.
sub worker_node
{
	my ($name, $sim, %conf) = @_;
	my %settings = (
		shared_preload_libraries => "'tiktrack'",
		'tiktrack.database' => "'postgres'",
		'tiktrack.api_base_url' => "'" . $sim->url . "'",
		'tiktrack.business_api_base_url' => "'" . $sim->url . "'",
		'tiktrack.allow_insecure_http' => 'on',
		'tiktrack.client_key' => "'test-client-key'",
		'tiktrack.client_secret' => "'test-client-secret'",
		'tiktrack.business_app_id' => "'test-app-id'",
		'tiktrack.business_app_secret' => "'test-app-secret'",
		'tiktrack.early_interval' => '2',
		'tiktrack.early_window' => '6h',
		'tiktrack.interval' => '3',
		'tiktrack.retry_base_delay' => '1',
		'tiktrack.retry_max_delay' => '2',
		'tiktrack.http_timeout' => '5s',
		timezone => "'UTC'",
		log_min_messages => 'log',
		# a crashed worker restarts the server, as in production
		restart_after_crash => 'on',
		%conf);
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf',
		join('', map { "$_ = $settings{$_}\n" } sort keys %settings));
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION tiktrack');
	return $node;
}

# Seeds the simulator with creators and connects each through
# tiktrack.connect_creator(); returns the simulator's creator records.
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
	$node->safe_psql('postgres', $sql);
	return $creators;
}

# Tracks every video of the given creator records for $for (an interval).
sub track_videos
{
	my ($node, $creators, $for) = @_;
	my @urls = map {
		my $c = $_;
		map { "https://www.tiktok.com/\@$c->{handle}/video/$_->{id}" } @{ $c->{videos} }
	} @$creators;
	$node->safe_psql('postgres',
		join(";\n", 'BEGIN', (map { "SELECT tiktrack.track('$_', '$for')" } @urls), 'COMMIT'));
	return scalar @urls;
}

# Polls $sql until it returns $expected (default 't'); fails the test
# with the last value after $timeout seconds.
sub wait_for
{
	my ($node, $sql, $expected, $timeout, $what) = @_;
	$expected //= 't';
	$timeout //= 60;
	my $deadline = time() + $timeout;
	my $got;
	while (1)
	{
		$got = $node->safe_psql('postgres', $sql);
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

# The worker's pid, waiting for it to be running.
sub worker_pid
{
	my ($node) = @_;
	wait_for($node, q{SELECT pid IS NOT NULL AND state <> 'stopped' FROM tiktrack.worker_status},
		't', 30, 'worker running');
	return $node->safe_psql('postgres', 'SELECT pid FROM tiktrack.worker_status');
}

1;
