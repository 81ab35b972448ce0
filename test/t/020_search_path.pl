# Privilege escalation through the search_path: a role that can create
# objects in a schema on the search_path (public, or a schema named after
# the worker's user) plants look-alikes of what tiktrack's statements call
# (unnest(bigint[]), now(), ||, make_interval(secs => int), count(bigint),
# =, lower(), pg_notify()...), puts those schemas first in the search_path
# of the database and of the superuser, and waits for the superuser worker
# or a superuser's session to run them.  Each look-alike behaves like the
# real one but counts its call in a sequence (not rolled back) and logs
# it.  The worker's rounds against the simulator (video and creator
# stats, token refresh, short-link resolution, missing videos, completion,
# events, log pruning) and every SQL function of the extension run, and no
# look-alike is ever called; the same probes in an ordinary session under
# that search_path do call them (the traps work).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim;
use TiktrackWorker;

my $sim = TiktrackSim->start(tls => 1, seed => 20);
my $t0 = int(time()) - 86400;
$sim->post('/_sim/clock', { now => $t0 });
my $port = $sim->port;
my $node = TiktrackWorker::worker_node('search_path', $sim,
	'tiktrack.worker_enabled' => 'off',
	'tiktrack.connect_to' => "vm.tiktok.com:443:localhost:$port",
	'tiktrack.log_retention' => '0',
	log_statement => 'none');
my $su = $node->safe_psql('postgres', 'SELECT current_user');

# Trusted queries of the test itself: under a clean search_path.
sub q1 { return $node->safe_psql('postgres', "SET search_path = pg_catalog, pg_temp; $_[0]"); }

# ---- the attacker ------------------------------------------------------------

$node->safe_psql('postgres', qq{
	CREATE ROLE mallory LOGIN;
	GRANT CREATE ON SCHEMA public TO mallory;
	CREATE SCHEMA "$su" AUTHORIZATION mallory;
	CREATE SEQUENCE public.hijacked;
	GRANT USAGE, UPDATE ON SEQUENCE public.hijacked TO PUBLIC;
});

# Look-alikes in schema $s, each calling the real one after being counted.
sub traps
{
	my ($s) = @_;
	my @unnest = map {
		qq{CREATE FUNCTION $s.unnest(a $_\[]) RETURNS SETOF $_ LANGUAGE sql
			AS \$\$ SELECT $s.hijack('unnest($_\[])'); SELECT pg_catalog.unnest(a) \$\$;}
	} ('bigint', 'integer', 'text', 'boolean', 'real', 'double precision', 'timestamptz');
	my @ops = map {
		my ($l, $r, $res, $fn, $op) = @$_;
		(my $name = "op_${l}_${r}_$fn") =~ s/\W/_/g;
		qq{CREATE FUNCTION $s.$name(a $l, b $r) RETURNS $res LANGUAGE sql
			AS \$\$ SELECT $s.hijack('$l $op $r'); SELECT a OPERATOR(pg_catalog.$op) b \$\$;
		   CREATE OPERATOR $s.$op (LEFTARG = $l, RIGHTARG = $r, FUNCTION = $s.$name);}
	} ([ 'text', 'text', 'text', 'cat', '||' ], [ 'text', 'integer', 'text', 'cat', '||' ],
		[ 'integer', 'text', 'text', 'cat', '||' ], [ 'bigint', 'bigint', 'boolean', 'eq', '=' ],
		[ 'text', 'text', 'boolean', 'eq', '=' ]);
	return join("\n", qq{
		CREATE FUNCTION $s.hijack(what text) RETURNS void LANGUAGE plpgsql AS \$\$
		BEGIN
			PERFORM pg_catalog.nextval('public.hijacked');
			RAISE LOG 'tiktrack hijacked: % of schema $s called by %', what, current_user;
		END \$\$;
		CREATE FUNCTION $s.now() RETURNS timestamptz LANGUAGE sql
			AS \$\$ SELECT $s.hijack('now()'); SELECT pg_catalog.now() \$\$;
		CREATE FUNCTION $s.lower(a text) RETURNS text LANGUAGE sql
			AS \$\$ SELECT $s.hijack('lower(text)'); SELECT pg_catalog.lower(a) \$\$;
		CREATE FUNCTION $s.btrim(a text) RETURNS text LANGUAGE sql
			AS \$\$ SELECT $s.hijack('btrim(text)'); SELECT pg_catalog.btrim(a) \$\$;
		CREATE FUNCTION $s.ltrim(a text, b text) RETURNS text LANGUAGE sql
			AS \$\$ SELECT $s.hijack('ltrim(text, text)'); SELECT pg_catalog.ltrim(a, b) \$\$;
		CREATE FUNCTION $s.make_interval(secs integer) RETURNS interval LANGUAGE sql
			AS \$\$ SELECT $s.hijack('make_interval(secs integer)'); SELECT pg_catalog.make_interval(secs => secs) \$\$;
		CREATE FUNCTION $s.pg_notify(a text, b text) RETURNS void LANGUAGE sql
			AS \$\$ SELECT $s.hijack('pg_notify(text, text)'); SELECT pg_catalog.pg_notify(a, b) \$\$;
		CREATE FUNCTION $s.regexp_matches(a text, b text, c text) RETURNS SETOF text[] LANGUAGE sql
			AS \$\$ SELECT $s.hijack('regexp_matches(text, text, text)'); SELECT pg_catalog.regexp_matches(a, b, c) \$\$;
		CREATE FUNCTION $s.jsonb_typeof(a jsonb) RETURNS text LANGUAGE sql
			AS \$\$ SELECT $s.hijack('jsonb_typeof(jsonb)'); SELECT pg_catalog.jsonb_typeof(a) \$\$;
		CREATE FUNCTION $s.pg_backend_pid() RETURNS integer LANGUAGE sql
			AS \$\$ SELECT $s.hijack('pg_backend_pid()'); SELECT pg_catalog.pg_backend_pid() \$\$;
		CREATE FUNCTION $s.count_step(n bigint, x bigint) RETURNS bigint LANGUAGE sql
			AS \$\$ SELECT $s.hijack('count(bigint)'); SELECT n OPERATOR(pg_catalog.+) 1 \$\$;
		CREATE AGGREGATE $s.count(bigint) (SFUNC = $s.count_step, STYPE = bigint, INITCOND = '0');
	}, @unnest, @ops);
}

$node->safe_psql('postgres', 'SET ROLE mallory; SET search_path = pg_catalog; '
	  . traps('public') . traps(qq{"$su"}));

# The attacker's search_path for the database and for the superuser.
$node->safe_psql('postgres', qq{
	ALTER DATABASE postgres SET search_path = "\$user", public, pg_catalog;
	ALTER ROLE "$su" SET search_path = "\$user", public, pg_catalog;
});

# ---- the traps work ----------------------------------------------------------

my $probes = q{
	SELECT pg_catalog.count(*) FROM unnest('{1}'::bigint[]) a, unnest('{1}'::integer[]) b,
		unnest('{x}'::text[]) c, unnest('{t}'::boolean[]) d, unnest('{1}'::real[]) e,
		unnest('{1}'::float8[]) f, unnest('{2026-01-01}'::timestamptz[]) g;
	SELECT now(), lower('A'), btrim(' a '), ltrim('@a', '@'), make_interval(secs => 1::integer),
		pg_backend_pid(), jsonb_typeof('{}'), 'a'::text || 'b'::text, 'a'::text || 1, 1 || 'a'::text,
		1::bigint = 1::bigint, 'a'::text = 'a'::text;
	SELECT pg_notify('x', 'y');
	SELECT regexp_matches('a', 'a', 'g');
	SELECT count(x) FROM (VALUES (1::bigint)) v(x);
};
my $nprobes = 22;
$node->safe_psql('postgres', $probes);
is(q1('SELECT last_value FROM public.hijacked'), $nprobes,
	"the $nprobes look-alikes of schema $su are called by an ordinary query under that search_path");
$node->safe_psql('postgres', "SET search_path = public, pg_catalog; $probes");
is(q1('SELECT last_value FROM public.hijacked'), 2 * $nprobes,
	'so are the look-alikes of schema public');
my $log_offset = -s $node->logfile;

# ---- everything tiktrack does, under that search_path --------------------------

# A fetch_log row for the worker to prune.
q1(q{INSERT INTO tiktrack.fetch_log (requested_at, api, endpoint) VALUES ('2020-01-01', 'display', '/old/')});
# The worker starts with the database's and role's settings: restart it.
$node->append_conf('postgresql.conf', "tiktrack.worker_enabled = on\n");
$node->restart;
TiktrackWorker::worker_pid($node);

my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 2, videos_per_creator => 3, business_share => 0.5, prefix => 'sp');
# One creator whose access token expires at once: the worker refreshes it
# (and stores the rotated tokens) on every fetch.
my $fresh = $sim->post('/_sim/creators', { handle => 'sp_fresh', api => 'display', video_count => 2 });
$node->safe_psql('postgres', "SELECT tiktrack.connect_creator('$fresh->{access_token}', "
	  . "'$fresh->{refresh_token}', 60, 31536000, 'display')");
push @$creators, $fresh;
my $n = TiktrackWorker::track_videos($node, $creators, '12 seconds');
is($n, 8, 'eight videos tracked');

# A short link the worker resolves, and a video TikTok stops returning.
my $gone_vid = $creators->[0]{videos}[1]{id};
$sim->post('/_sim/shortlinks', { code => 'ZMsearch1', video_id => $creators->[1]{videos}[0]{id} });
$node->safe_psql('postgres', q{SELECT tiktrack.track('https://vm.tiktok.com/ZMsearch1/', '12 seconds')});
$sim->post('/_sim/faults', { endpoint => '/v2/video/query/', kind => 'vanish', count => -1,
	video_ids => [$gone_vid] });
$sim->post('/_sim/faults', { endpoint => '/open_api/v1.3/business/video/list/', kind => 'vanish', count => -1,
	video_ids => [$gone_vid] });

TiktrackWorker::wait_for($node,
	q{SET search_path = pg_catalog; SELECT count(*) FILTER (WHERE state = 'completed') || '/' || count(*) FILTER (WHERE state = 'unavailable') || '/' || count(*) FROM tiktrack.videos},
	'7/1/8', 60, 'the worker fetched every video to completion, one unavailable, the short link resolved');
TiktrackWorker::wait_for($node,
	q{SET search_path = pg_catalog; SELECT count(DISTINCT creator_id) FROM tiktrack.creator_stats}, '3', 20,
	'the worker took the creators\' stats');
is(q1(q{SELECT count(*) FROM tiktrack.creator_tokens t JOIN tiktrack.creators c ON c.id = t.creator_id
	WHERE c.handle = 'sp_fresh' AND t.rotated_at > t.obtained_at}), '1',
	'the worker stored the rotated tokens');
cmp_ok($sim->requests_to('/v2/oauth/token/'), '>', 0, 'the worker refreshed a token');
is(q1('SELECT count(*) FROM tiktrack.videos WHERE id < 0'), '0', 'the short link was resolved by the worker');

# The SQL functions, called by the superuser under the attacker's search_path.
my $handle = $creators->[0]{handle};
my $vid = $creators->[0]{videos}[2]{id};
my $url = "https://www.tiktok.com/\@$handle/video/$vid";
$node->safe_psql('postgres', qq{
	SELECT tiktrack.refresh($vid);
	SELECT tiktrack.refresh_creator('$handle');
	SELECT tiktrack.track('$url', '1 day');
	SELECT tiktrack.create_campaign('Spring', 'EUR', 100);
	SELECT * FROM tiktrack.add_posts(1, '[{"url": "$url", "creator_handle": "$handle", "fee_cents": 5000}]');
	SELECT tiktrack.record_conversion(1, '$handle', 12000, pg_catalog.now(), 'order-1');
	SELECT * FROM tiktrack.campaign_metrics(1);
	SELECT * FROM tiktrack.campaign_metrics(1, '2030-01-01');
	SELECT * FROM tiktrack.campaign_posts(1);
	SELECT * FROM tiktrack.campaign_creators(1);
	SELECT * FROM tiktrack.post_windows(1);
	SELECT * FROM tiktrack.campaign_summary;
	SELECT * FROM tiktrack.video_latest_stats;
	SELECT * FROM tiktrack.worker_status;
	SELECT * FROM tiktrack.creator_videos('$handle');
	SELECT tiktrack.track_creator_videos('$handle');
	SELECT tiktrack.untrack($vid);
	SELECT tiktrack.authorize_url('https://app.example.com/callback/');
});
# The C functions pin the search_path themselves, even when their SQL
# declaration does not (as an administrator's wrapper might not).
$node->safe_psql('postgres', q{
	ALTER FUNCTION tiktrack.refresh(bigint) RESET search_path;
	ALTER FUNCTION tiktrack.disconnect_creator(text, boolean) RESET search_path;
	ALTER FUNCTION tiktrack.connect_creator(text, text, integer, integer, text) RESET search_path;
});
my $other = $creators->[1];
my $late = $sim->post('/_sim/creators', { handle => 'sp_late', api => 'business', video_count => 1 });
$node->safe_psql('postgres', qq{
	SELECT tiktrack.refresh($other->{videos}[1]{id});
	SELECT tiktrack.disconnect_creator('$other->{handle}', purge => true);
	SELECT tiktrack.connect_creator('$late->{access_token}', '$late->{refresh_token}', 86400, 31536000, 'business');
});
is(q1(qq{SELECT auth_status FROM tiktrack.creators WHERE handle = '$other->{handle}'}), 'revoked',
	'disconnect_creator ran');

# Login Kit: authorize_url and complete_authorization.
my $auth = $node->safe_psql('postgres', q{SELECT tiktrack.authorize_url('https://app.example.com/callback/')});
(my $path = $auth) =~ s{^https://www\.tiktok\.com}{};
my ($display) = grep { $_->{api} eq 'display' } @$creators;
my ($status, $head) = $sim->http(GET => "$path&sim_user=$display->{handle}");
my ($loc) = $head =~ /^Location: ([^\r\n]+)/mi;
my ($code) = $loc =~ /[?&]code=([^&]+)/;
my ($state) = $loc =~ /[?&]state=([^&]+)/;
$code =~ s/%([0-9A-Fa-f]{2})/chr(hex($1))/ge;
like($node->safe_psql('postgres', "SELECT tiktrack.complete_authorization('$code', '$state')"),
	qr/^\d+$/, 'complete_authorization ran');

is(q1(q{SELECT count(*) FROM tiktrack.fetch_log WHERE endpoint = '/old/'}), '0',
	'the worker pruned the fetch log (tiktrack.log_retention = 0)');

# ---- nothing was hijacked ---------------------------------------------------

is(q1('SELECT last_value FROM public.hijacked'), 2 * $nprobes,
	'no look-alike was called by the worker or by any tiktrack function');
my $log = slurp_file($node->logfile, $log_offset);
my @hijacked = $log =~ /(tiktrack hijacked: [^\n]*)/g;
is(scalar(@hijacked), 0, 'the server log shows no hijacked call') or diag(join("\n", @hijacked[0 .. ($#hijacked < 9 ? $#hijacked : 9)]));

$node->stop;
done_testing();
