# Tokens in TikTok's own token answers are checked like those a user
# gives connect_creator() (sql/security.sql): a token refresh or a code
# exchange answered with an access_token holding CR LF, a space, too many
# bytes or nothing fails that request only, for that creator, with an
# error that gives the length and position but never the token; nothing
# is stored from it and the header it would have injected never leaves.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim qw(query_fails);

my $node = TiktrackSim::node('tokens', log_min_messages => 'info');
my $sim = TiktrackSim->start(tls => 1, seed => 21);
$sim->setup($node);

sub q1 { return $node->safe_psql('postgres', shift); }

# One creator per case, each connected with an access token about to
# expire: refresh() refreshes it first.
my %case = (
	crlf => [ 'display', "act.ok\r\nX-Injected: 1", qr/the token answer's access_token holds a line break \(byte 7 of 21\)/ ],
	space => [ 'display', 'act ok', qr/the token answer's access_token holds a space \(byte 4 of 6\)/ ],
	empty => [ 'display', '', qr/unreadable token answer \(HTTP 200\): token response has no access_token/ ],
	long => [ 'business', 'a' x 1025, qr/the token answer's access_token is too long \(1025 bytes, at most 1024\)/ ],
	fine => [ 'display', undef, undef ]);
my %video;
my $n = 0;
for my $name (sort keys %case)
{
	my $api = $case{$name}[0];
	my $vid = 7300000000000000100 + ++$n;
	my $c = $sim->post('/_sim/creators', { handle => "tok_$name", api => $api,
		videos => [ { id => "$vid", create_time => TiktrackSim::T0 - 3600 } ] });
	q1("SELECT tiktrack.connect_creator('$c->{access_token}', '$c->{refresh_token}', 60, 31536000, '$api')");
	q1("SELECT tiktrack.track('https://www.tiktok.com/\@tok_$name/video/$vid')");
	$video{$name} = $vid;
}
my $tokens = q{SELECT string_agg(c.handle || ':' || (t.rotated_at = t.obtained_at), ',' ORDER BY c.handle)
	FROM tiktrack.creators c JOIN tiktrack.creator_tokens t ON t.creator_id = c.id};
is(q1($tokens), 'tok_crlf:true,tok_empty:true,tok_fine:true,tok_long:true,tok_space:true', 'five creators connected');

for my $name (qw(crlf space empty long))
{
	my ($api, $token, $like) = @{ $case{$name} };
	my $endpoint = $api eq 'display' ? '/v2/oauth/token/' : '/open_api/v1.3/tt_user/oauth2/refresh_token/';
	$sim->post('/_sim/faults', { endpoint => $endpoint, kind => 'bad_token', token => $token, count => 1 });
	my $err = query_fails($node, "SELECT tiktrack.refresh($video{$name})", $like,
		"$name: refresh() fails on the token answer");
	like($err, qr/ERROR:  could not refresh the token of \@tok_$name before fetching the video/,
		"$name: the error names the creator");
	unlike($err, qr/X-Injected|a{100}/, "$name: the error does not show the token");
	is(q1("SELECT count(*) FROM tiktrack.snapshots WHERE video_id = $video{$name}"), '0',
		"$name: no snapshot, the video was not fetched");
}
is($sim->requests_to('/v2/video/query/') + $sim->requests_to('/open_api/v1.3/business/video/list/'), 0,
	'no request was sent with a refused token');
is(q1($tokens), 'tok_crlf:true,tok_empty:true,tok_fine:true,tok_long:true,tok_space:true',
	'no refused token was stored');

# The other creators are not affected.
is(q1("SELECT source FROM tiktrack.refresh($video{fine})"), 'display', 'another creator refreshes fine');
like(q1($tokens), qr/tok_fine:false/, 'with its rotated tokens stored');

# A code exchange answered with a bad token: complete_authorization fails.
my $dora = $sim->post('/_sim/creators', { handle => 'tok_dora', api => 'display' });
my $url = q1("SELECT tiktrack.authorize_url('https://app.example.com/callback/')");
(my $path = $url) =~ s{^https://www\.tiktok\.com}{};
my ($status, $head) = $sim->http(GET => "$path&sim_user=tok_dora");
my ($code) = $head =~ /[?&]code=([^&\r\n]+)/;
my ($state) = $head =~ /[?&]state=([^&\r\n]+)/;
$code =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
$sim->post('/_sim/faults', { endpoint => '/v2/oauth/token/', kind => 'bad_token',
	token => "act.ok\r\nX-Injected: 1", count => 1 });
my $err = query_fails($node, "SELECT tiktrack.complete_authorization('$code', '$state')",
	qr/exchanging the authorization code failed: .*error code malformed_response: the token answer's access_token holds a line break \(byte 7 of 21\)/,
	'complete_authorization refuses a bad token from TikTok');
is(q1("SELECT count(*) FROM tiktrack.creators WHERE handle = 'tok_dora'"), '0', 'no creator was stored');

# Nothing tiktrack logged shows the injected line.
unlike(slurp_file($node->logfile), qr/X-Injected/, 'the server log does not show the token');

$node->stop;
done_testing();
