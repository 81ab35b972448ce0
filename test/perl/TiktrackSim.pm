# TiktrackSim: the local TikTok API simulator (test/sim/tiktok_sim.py) for
# the TAP tests, and the cluster the fetch tests (test/t/01*) run against.
#
#   my $node = TiktrackSim::node('fetch');         # started, tiktrack preloaded
#   my $sim = TiktrackSim->start(tls => 1, seed => 7);
#   $sim->setup($node);    # settings, CREATE EXTENSION, clock frozen at T0
#   $sim->admin(POST => '/_sim/creators', { handle => 'alice', api => 'display' });
#   query_fails($node, $sql, qr/message/, 'what fails');
#
# With tls => 1 it generates a throwaway CA and server certificate
# (test/sim/gen_cert.sh) so the real TLS verification path is exercised;
# $sim->ca and $sim->wrong_ca are the matching and an unrelated CA.  The
# simulator requires the test client credentials that settings() and
# configure() give tiktrack.
package TiktrackSim;

use strict;
use warnings;
use Cwd qw(abs_path);
use Exporter qw(import);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes qw(usleep time);
use PostgreSQL::Test::Cluster;
use Test::More;

our @EXPORT_OK = qw(query_fails);

my $top = abs_path(dirname(__FILE__) . '/../..');

# 2026-01-01 00:00 UTC: where setup() freezes the simulator's clock.
use constant T0 => 1767225600;

# ---- clusters ----

# A started cluster named $name with %settings in postgresql.conf (values
# are quoted here).
sub cluster
{
	my ($name, %settings) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', conf_lines(%settings));
	$node->start;
	return $node;
}

# The cluster of a fetch test: tiktrack preloaded with its worker off,
# timezone UTC, and no statement logging (the test framework logs every
# statement, and the tests pass tokens to connect_creator() as literals;
# production logs no statements, and what must never be logged is what
# tiktrack itself says).  %settings add to or override these.
sub node
{
	my ($name, %settings) = @_;
	return cluster($name,
		shared_preload_libraries => 'tiktrack',
		'tiktrack.worker_enabled' => 'off',
		timezone => 'UTC',
		log_statement => 'none',
		%settings);
}

sub conf_lines
{
	my (%settings) = @_;
	return join('', map { "$_ = '" . ($settings{$_} =~ s/'/''/gr) . "'\n" } sort keys %settings);
}

# Creates the login role "app" with USAGE on schema tiktrack and EXECUTE
# on @functions (signatures); returns the psql options that run as it.
sub app_role
{
	my ($node, @functions) = @_;
	$node->safe_psql('postgres', join(' ', 'CREATE ROLE app LOGIN; GRANT USAGE ON SCHEMA tiktrack TO app;',
		map { "GRANT EXECUTE ON FUNCTION $_ TO app;" } @functions));
	return (extra_params => [ '-U', 'app' ]);
}

# Runs SQL on database postgres that must fail (%opt as for
# PostgreSQL::Test::Cluster::psql): checks that it fails and that the
# error output matches $like; returns the error output.
sub query_fails
{
	my ($node, $sql, $like, $name, %opt) = @_;
	my ($ret, $out, $err) = $node->psql('postgres', $sql, %opt);
	isnt($ret, 0, "$name: fails");
	like($err, $like, "$name: error message");
	return $err;
}

# ---- the simulator ----

# Starts the simulator on a free port.  Options: tls (default on), seed,
# host (of url(), default localhost, which the certificate covers),
# access_ttl, rate_limit_per_minute, latency_ms, and the client
# credentials it requires (client_key, client_secret, biz_client_id,
# biz_client_secret; test values by default).  Stopped when the object
# goes away.
sub start
{
	my ($class, %opt) = @_;
	my $self = bless {
		tls => $opt{tls} // 1,
		host => $opt{host} // 'localhost',
		client_key => $opt{client_key} // 'test-client-key',
		client_secret => $opt{client_secret} // 'test-client-secret',
		biz_client_id => $opt{biz_client_id} // 'test-biz-app',
		biz_client_secret => $opt{biz_client_secret} // 'test-biz-secret',
	}, $class;
	my $dir = $self->{dir} = tempdir('tiktok-sim-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	chmod 0755, $dir;
	my @cmd = ('/usr/bin/python3', "$top/test/sim/tiktok_sim.py", '--port', '0',
		'--port-file', "$dir/port", '--seed', $opt{seed} // 7, '--quiet',
		'--client-key', $self->{client_key}, '--client-secret', $self->{client_secret},
		'--biz-client-id', $self->{biz_client_id}, '--biz-client-secret', $self->{biz_client_secret});
	push @cmd, '--access-ttl', $opt{access_ttl} if $opt{access_ttl};
	push @cmd, '--rate-limit-per-minute', $opt{rate_limit_per_minute} if $opt{rate_limit_per_minute};
	push @cmd, '--latency-ms', $opt{latency_ms} if $opt{latency_ms};
	if ($self->{tls})
	{
		system('sh', "$top/test/sim/gen_cert.sh", "$dir/certs") == 0
		  or die "gen_cert.sh failed";
		chmod 0755, "$dir/certs";
		chmod 0644, glob("$dir/certs/*.crt");
		push @cmd, '--tls-cert', "$dir/certs/server.crt", '--tls-key', "$dir/certs/server.key";
	}
	my $pid = fork();
	die "fork: $!" unless defined $pid;
	if ($pid == 0)
	{
		open(STDOUT, '>', "$dir/sim.log");
		open(STDERR, '>&', \*STDOUT);
		exec(@cmd) or die "exec: $!";
	}
	$self->{pid} = $pid;
	my $deadline = time() + 20;
	until (-s "$dir/port")
	{
		die "simulator did not start: " . `cat $dir/sim.log` if time() > $deadline;
		usleep(50_000);
	}
	open(my $fh, '<', "$dir/port") or die "$dir/port: $!";
	chomp($self->{port} = <$fh>);
	close $fh;
	return $self;
}

sub port { $_[0]{port} }
sub dir { $_[0]{dir} }
sub ca { "$_[0]{dir}/certs/ca.crt" }
sub wrong_ca { "$_[0]{dir}/certs/wrong-ca.crt" }

# Base URL as tiktrack should use it.
sub url
{
	my $self = shift;
	return ($self->{tls} ? 'https' : 'http') . "://$self->{host}:$self->{port}";
}

# Raw HTTP through curl: returns (status, headers, body).
sub http
{
	my ($self, $method, $path, $body) = @_;
	my @cmd = ('curl', '-s', '-S', '-X', $method, '-D', '-', '--max-time', '30');
	push @cmd, '--cacert', $self->ca if $self->{tls};
	push @cmd, '-H', 'Content-Type: application/json', '--data-binary', $body if defined $body;
	push @cmd, $self->url . $path;
	open(my $fh, '-|', @cmd) or die "curl: $!";
	local $/;
	my $out = <$fh>;
	close $fh;
	my ($head, $content) = split /\r?\n\r?\n/, $out, 2;
	my ($status) = $head =~ m{^HTTP/\S+ (\d+)};
	return ($status, $head, $content // '');
}

# Admin API call; dies unless 2xx; returns the decoded JSON (or undef).
sub admin
{
	my ($self, $method, $path, $data) = @_;
	my ($status, undef, $body) =
	  $self->http($method, $path, defined $data ? encode_json($data) : undef);
	die "simulator $method $path: HTTP $status $body" unless $status && $status =~ /^2/;
	return length($body) ? decode_json($body) : undef;
}

sub post { my ($s, $p, $d) = @_; return $s->admin(POST => $p, $d // {}); }
sub get { my ($s, $p) = @_; return $s->admin(GET => $p); }
sub delete { my ($s, $p) = @_; return $s->admin(DELETE => $p); }

# Requests the simulator served on a path, and in all, since the last
# stats reset.
sub requests_to
{
	my ($self, $path) = @_;
	return $self->get('/_sim/stats')->{per_path}{$path} // 0;
}

sub requests_total { return $_[0]->get('/_sim/stats')->{total}; }

# The tiktrack settings that point a server at this simulator, %extra
# added or overriding.
sub settings
{
	my ($self, %extra) = @_;
	return (
		'tiktrack.api_base_url' => $self->url,
		'tiktrack.business_api_base_url' => $self->url,
		'tiktrack.client_key' => $self->{client_key},
		'tiktrack.client_secret' => $self->{client_secret},
		'tiktrack.business_app_id' => $self->{biz_client_id},
		'tiktrack.business_app_secret' => $self->{biz_client_secret},
		($self->{tls} ? ('tiktrack.ca_file' => $self->ca) : ('tiktrack.allow_insecure_http' => 'on')),
		%extra);
}

# Adds settings(%extra) to a running node's configuration and reloads.
sub configure
{
	my ($self, $node, %extra) = @_;
	$node->append_conf('postgresql.conf', conf_lines($self->settings(%extra)));
	$node->reload;
	return;
}

# What every fetch test starts with: the node configured for this
# simulator (settings(%extra)), the extension created, and the
# simulator's clock frozen at T0.
sub setup
{
	my ($self, $node, %extra) = @_;
	$self->configure($node, %extra);
	$node->safe_psql('postgres', 'CREATE EXTENSION tiktrack');
	$self->admin(POST => '/_sim/clock', { now => T0 });
	return;
}

sub stop
{
	my $self = shift;
	if ($self->{pid})
	{
		kill 'TERM', $self->{pid};
		waitpid($self->{pid}, 0);
		$self->{pid} = undef;
	}
	return;
}

sub DESTROY { $_[0]->stop }

1;
