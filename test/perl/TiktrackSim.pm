# TiktrackSim: starts the local TikTok API simulator (test/sim/tiktok_sim.py)
# for a TAP test and talks to its admin API.
#
#   my $sim = TiktrackSim->start(tls => 1, seed => 7);
#   $sim->admin(POST => '/_sim/creators', { handle => 'alice', api => 'display' });
#   $sim->configure($node);     # points the tiktrack.* settings at it
#
# With tls => 1 it generates a throwaway CA and server certificate
# (test/sim/gen_cert.sh) so the real TLS verification path is exercised;
# $sim->ca and $sim->wrong_ca are the matching and an unrelated CA.
package TiktrackSim;

use strict;
use warnings;
use Cwd qw(abs_path);
use File::Basename qw(dirname);
use File::Temp qw(tempdir);
use JSON::PP;
use Time::HiRes qw(usleep);

my $top = abs_path(dirname(__FILE__) . '/../..');

sub start
{
	my ($class, %opt) = @_;
	my $self = bless { tls => $opt{tls} // 1 }, $class;
	my $dir = $self->{dir} = tempdir('tiktok-sim-XXXXXX', TMPDIR => 1, CLEANUP => 1);
	chmod 0755, $dir;
	my @cmd = ('/usr/bin/python3', "$top/test/sim/tiktok_sim.py", '--port', '0',
		'--port-file', "$dir/port", '--seed', $opt{seed} // 7, '--quiet',
		'--client-key', $opt{client_key} // 'test-client-key',
		'--client-secret', $opt{client_secret} // 'test-client-secret',
		'--biz-client-id', $opt{biz_client_id} // 'test-biz-app',
		'--biz-client-secret', $opt{biz_client_secret} // 'test-biz-secret');
	push @cmd, '--access-ttl', $opt{access_ttl} if $opt{access_ttl};
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
	for (1 .. 200)
	{
		last if -s "$dir/port";
		usleep(50_000);
	}
	open(my $fh, '<', "$dir/port") or die "simulator did not start: " . `cat $dir/sim.log`;
	chomp($self->{port} = <$fh>);
	close $fh;
	return $self;
}

sub port { $_[0]{port} }
sub dir { $_[0]{dir} }
sub ca { "$_[0]{dir}/certs/ca.crt" }
sub wrong_ca { "$_[0]{dir}/certs/wrong-ca.crt" }

# Base URL as tiktrack should use it (host "localhost", covered by the certificate).
sub url
{
	my $self = shift;
	return ($self->{tls} ? 'https' : 'http') . '://localhost:' . $self->{port};
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

# The tiktrack settings that point a node at this simulator; reloads.
sub configure
{
	my ($self, $node, %extra) = @_;
	my %set = (
		'tiktrack.api_base_url' => $self->url,
		'tiktrack.business_api_base_url' => $self->url,
		'tiktrack.client_key' => 'test-client-key',
		'tiktrack.client_secret' => 'test-client-secret',
		'tiktrack.business_app_id' => 'test-biz-app',
		'tiktrack.business_app_secret' => 'test-biz-secret',
		($self->{tls} ? ('tiktrack.ca_file' => $self->ca) : ('tiktrack.allow_insecure_http' => 'on')),
		%extra);
	$node->append_conf('postgresql.conf',
		join('', map { "$_ = '$set{$_}'\n" } sort keys %set));
	$node->reload;
	return;
}

sub stop
{
	my $self = shift;
	if ($self->{pid})
	{
		kill 'TERM', $self->{pid};
		waitpid($self->{pid}, 0);
		delete $self->{pid};
	}
	return;
}

sub DESTROY { $_[0]->stop }

1;
