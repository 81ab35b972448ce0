# tiktrack distributed on Citus: a coordinator and two worker nodes on
# this machine, every node preloading 'citus,tiktrack' with the tiktrack
# worker enabled.  tiktrack.distribute() places the tables (per video by
# video id and colocated, creator_stats by creator, the shared tables as
# reference tables); the tiktrack workers of the worker nodes idle on
# their own (worker_status says so, one LOG line); the coordinator's
# worker tracks videos against the simulator and stores their snapshots
# in the shards.  Then the same data goes into a single node, and every
# KPI (campaign, signals and money functions, test/citus/kpi_queries.sql)
# agrees row for row; every C aggregate over the distributed tables is
# aggregated partially on the shards.
#
# Skipped when Citus is not installed into the PostgreSQL under test
# (test/tools/build-citus.sh installs it) or when TIKTRACK_SKIP_CITUS=1.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

plan skip_all => 'TIKTRACK_SKIP_CITUS=1' if ($ENV{TIKTRACK_SKIP_CITUS} // '') eq '1';
my $sharedir = `pg_config --sharedir`;
chomp $sharedir;
plan skip_all => "Citus is not installed ($sharedir/extension/citus.control missing; "
  . 'test/tools/build-citus.sh installs it)'
  unless -f "$sharedir/extension/citus.control";

my $citus_dir = "$FindBin::RealBin/../citus";

my $sim = TiktrackWorker::start_sim(seed => 91);
my $t0 = int(time()) - 86400;
$sim->post('/_sim/clock', { now => $t0 });

# Every node alike: the tiktrack worker is on everywhere, and decides by
# itself where it fetches.
sub citus_node
{
	my ($name) = @_;
	my $node = TiktrackWorker::worker_cluster($name, $sim,
		shared_preload_libraries => 'citus,tiktrack',
		max_worker_processes => '16',
		'citus.enable_statistics_collection' => 'off');
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
	return $node;
}

my $coord = citus_node('coordinator');
my @workers = (citus_node('worker1'), citus_node('worker2'));
$coord->safe_psql('postgres',
	"SELECT citus_set_coordinator_host('" . $coord->host . "', " . $coord->port . ')');
$coord->safe_psql('postgres', "SELECT 1 FROM citus_add_node('" . $_->host . "', " . $_->port . ')')
  for @workers;
$coord->safe_psql('postgres', 'CREATE EXTENSION tiktrack');

# ---- the worker runs on the coordinator only ----

for my $w (@workers)
{
	TiktrackWorker::wait_for($w, 'SELECT state FROM tiktrack.worker_status',
		'citus worker node', 30, $w->name . ': the tiktrack worker idles on a Citus worker node');
	ok($w->wait_for_log(qr/tiktrack worker idles: database "postgres" is on Citus worker node \(group \d+\); the coordinator fetches/),
		$w->name . ': one LOG line says why');
	is($w->safe_psql('postgres', 'SELECT tiktrack.citus_role()'), 'worker', $w->name . ': citus_role()');
}
is($coord->safe_psql('postgres', 'SELECT tiktrack.citus_role()'), 'coordinator', 'coordinator: citus_role()');
TiktrackWorker::wait_for($coord, q{SELECT state NOT IN ('stopped', 'starting', 'citus worker node') FROM tiktrack.worker_status},
	't', 30, 'the coordinator runs its worker');

# ---- distribute() ----

my ($rc, $out, $err) = $workers[0]->psql('postgres', 'SELECT tiktrack.distribute()');
like($err, qr/tiktrack.distribute\(\) must run on the Citus coordinator, this node is a worker/,
	'distribute() refuses to run on a worker node');

is($coord->safe_psql('postgres', q{
	SET client_min_messages = warning;
	SELECT string_agg(table_name || ':' || kind || coalesce(':' || distribution_column, ''), ' ' ORDER BY table_name::text)
	FROM tiktrack.distribute(shard_count => 4)}),
	join(' ', sort
		'tiktrack.attribution_settings:local', 'tiktrack.campaign_posts:distributed:video_id',
		'tiktrack.campaigns:reference', 'tiktrack.conversions:local',
		'tiktrack.creator_stats:distributed:creator_id', 'tiktrack.creator_tokens:reference',
		'tiktrack.creators:reference', 'tiktrack.currencies:reference', 'tiktrack.fetch_log:local',
		'tiktrack.latest_snapshots:distributed:video_id', 'tiktrack.oauth_states:local',
		'tiktrack.order_credit_days:local', 'tiktrack.order_credits:local',
		'tiktrack.orders:local', 'tiktrack.pay_terms:reference', 'tiktrack.payments:reference',
		'tiktrack.promo_codes:local', 'tiktrack.rate_cards:reference',
		'tiktrack.snapshots:distributed:video_id', 'tiktrack.touches:local',
		'tiktrack.traction_alerts:distributed:video_id', 'tiktrack.videos:distributed:id',
		($coord->safe_psql('postgres', q{SELECT to_regclass('tiktrack.video_schedule') IS NOT NULL}) eq 't'
			? ('tiktrack.video_schedule:distributed:video_id') : ())),
	'distribute() returns the layout');
# What Citus' catalog says (citus_tables leaves out an extension's
# tables): one colocation group for everything per video, 4 shards each,
# spread over both workers; reference tables.
my $per_video = q{ARRAY[to_regclass('tiktrack.videos'), to_regclass('tiktrack.snapshots'),
	to_regclass('tiktrack.latest_snapshots'), to_regclass('tiktrack.campaign_posts'),
	to_regclass('tiktrack.traction_alerts'), to_regclass('tiktrack.video_schedule')]};
is($coord->safe_psql('postgres', qq{
	SELECT count(DISTINCT p.colocationid) || ' ' || min(n) || ' ' || max(n) || ' ' || string_agg(DISTINCT p.partmethod::text, ',')
	FROM pg_dist_partition p,
		 LATERAL (SELECT count(*) AS n FROM pg_dist_shard s WHERE s.logicalrelid = p.logicalrelid) s
	WHERE p.logicalrelid = ANY ($per_video)}),
	'1 4 4 h', 'per-video tables hash-distributed, colocated with videos, 4 shards each');
is($coord->safe_psql('postgres', q{
	SELECT string_agg(DISTINCT partmethod::text || repmodel::text, ',') FROM pg_dist_partition
	WHERE logicalrelid IN ('tiktrack.creators'::regclass, 'tiktrack.campaigns'::regclass, 'tiktrack.currencies'::regclass,
						   'tiktrack.pay_terms'::regclass, 'tiktrack.payments'::regclass, 'tiktrack.creator_tokens'::regclass)}),
	'nt', 'shared tables are reference tables');
is($coord->safe_psql('postgres', q{
	SELECT count(*) FROM pg_dist_partition
	WHERE logicalrelid IN ('tiktrack.orders'::regclass, 'tiktrack.touches'::regclass, 'tiktrack.conversions'::regclass,
						   'tiktrack.order_credits'::regclass, 'tiktrack.fetch_log'::regclass)}),
	'0', 'sales, credits and the fetch log stay local tables of the coordinator');
is($coord->safe_psql('postgres', q{
	SELECT count(DISTINCT n.nodeport) FROM pg_dist_shard s
	JOIN pg_dist_placement p ON p.shardid = s.shardid
	JOIN pg_dist_node n ON n.groupid = p.groupid
	WHERE s.logicalrelid = 'tiktrack.snapshots'::regclass}),
	'2', 'the shards of snapshots are on both workers');
($rc, $out, $err) = $coord->psql('postgres', 'SELECT tiktrack.distribute()');
like($err, qr/tiktrack is distributed already/, 'distribute() runs once');

# ---- the loop, distributed ----

# The state events come from the coordinator's store step (a trigger on a
# shard cannot NOTIFY inside a worker node's prepared transaction).
my $listener = $coord->background_psql('postgres');
$listener->query_safe('LISTEN tiktrack_events');
my $creators = TiktrackWorker::connect_creators($coord, $sim,
	creators => 2, videos_per_creator => 3, business_share => 0.5, prefix => 'dist');
is(TiktrackWorker::track_videos($coord, $creators, '6 seconds'), 6, 'six videos tracked on the coordinator');
TiktrackWorker::wait_for($coord, q{SELECT count(DISTINCT video_id) FROM tiktrack.snapshots}, '6', 40,
	'the coordinator\'s worker stores snapshots of every video')
  or diag($coord->safe_psql('postgres', q{SELECT row_to_json(w) FROM tiktrack.worker_status w;
	SELECT json_agg(s) FROM tiktrack.video_schedule s; SELECT json_agg(v) FROM (SELECT id, state, last_error, creator_id FROM tiktrack.videos) v;
	SELECT json_agg(f) FROM (SELECT * FROM tiktrack.fetch_log ORDER BY id DESC LIMIT 5) f; SELECT now()}));
TiktrackWorker::wait_for($coord,
	q{SELECT count(*) FILTER (WHERE state = 'completed') || '/' || count(*) FROM tiktrack.videos},
	'6/6', 40, 'every video tracked to completion')
  or diag($coord->safe_psql('postgres', q{SELECT row_to_json(w) FROM tiktrack.worker_status w;
	WITH s AS MATERIALIZED (SELECT * FROM tiktrack.video_schedule) SELECT json_agg(s) FROM s;
	WITH v AS MATERIALIZED (SELECT id, state, last_error, track_until, fetch_failures FROM tiktrack.videos) SELECT json_agg(v) FROM v;
	SELECT now()}));
{
	my $events = $listener->query_safe('SELECT 1');
	my @completed = sort { $a <=> $b } ($events =~ /"event" : "tracking\.completed", "video_id" : (\d+), "creator_id" : \d+\}/g);
	my @tracked = sort { $a <=> $b } map { map { $_->{id} } @{ $_->{videos} } } @$creators;
	is(join(',', @completed), join(',', @tracked),
		'one tracking.completed event per video, sent by the coordinator\'s store step');
	$listener->quit;
}
my $mismatch = 0;
for my $c (@$creators)
{
	for my $v (@{ $c->{videos} })
	{
		my $exp = $sim->get("/_sim/expected?video_id=$v->{id}&at=$t0");
		my $want = $c->{api} eq 'display' ? $exp->{display}{view_count} : $exp->{business}{video_views};
		my $got = $coord->safe_psql('postgres',
			"SELECT views || ' ' || snapshot_count FROM tiktrack.latest_snapshots WHERE video_id = $v->{id}");
		my $count = $coord->safe_psql('postgres',
			"SELECT count(*) FROM tiktrack.snapshots WHERE video_id = $v->{id}");
		$mismatch++, diag("video $v->{id}: latest $got, want $want $count")
		  unless $got eq "$want $count";
	}
}
is($mismatch, 0, 'latest_snapshots holds the values TikTok reported and the number of snapshots');
# refresh() from SQL goes through the same store step.
{
	my $c = $creators->[0];
	my $vid = $c->{videos}[0]{id};
	my $exp = $sim->get("/_sim/expected?video_id=$vid&at=$t0");
	my $want = $c->{api} eq 'display' ? $exp->{display}{view_count} : $exp->{business}{video_views};
	my $before = $coord->safe_psql('postgres', "SELECT snapshot_count FROM tiktrack.latest_snapshots WHERE video_id = $vid");
	is($coord->safe_psql('postgres', "SELECT (tiktrack.refresh($vid)).views"), $want, 'refresh() on the coordinator');
	is($coord->safe_psql('postgres', "SELECT snapshot_count FROM tiktrack.latest_snapshots WHERE video_id = $vid"),
		$before + 1, 'refresh() counts its snapshot in latest_snapshots');
}
is(join(',', map { $_->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.fetch_log') } @workers), '0,0',
	'the worker nodes fetched nothing');
# The rows are in the workers' shards, not on the coordinator.
my $on_workers = 0;
for my $w (@workers)
{
	$on_workers += $w->safe_psql('postgres', q{
		SET citus.show_shards_for_app_name_prefixes = '*';
		SELECT coalesce(sum((xpath('/row/c/text()',
			query_to_xml(format('SELECT count(*) AS c FROM tiktrack.%I', c.relname), false, true, '')))[1]::text::int), 0)
		FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace
		WHERE n.nspname = 'tiktrack' AND c.relname ~ '^snapshots_\d+$'});
}
is($on_workers, $coord->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots'),
	'every snapshot is stored in a shard on a worker node');
# (untracked at once: the simulator knows no such link; a loop, not
# SELECT untrack(id) FROM videos, which Citus would push to the shards)
is($coord->safe_psql('postgres', q{
	BEGIN;
	SELECT tiktrack.track('https://vm.tiktok.com/ZMdist91/') = tiktrack.track('https://vm.tiktok.com/ZMdist91/');
	DO $$ DECLARE i bigint; BEGIN
		FOR i IN SELECT id FROM tiktrack.videos WHERE id < 0 LOOP PERFORM tiktrack.untrack(i); END LOOP;
	END $$;
	SELECT count(*) FROM tiktrack.videos WHERE short_url = 'https://vm.tiktok.com/ZMdist91/' AND state = 'stopped';
	COMMIT;}),
	"t\n1", 'a short link tracked twice is one video');

# ---- the same data on a single node ----

my $single = TiktrackWorker::worker_node('single', $sim, 'tiktrack.worker_enabled' => 'off');
($rc, $out, $err) = $single->psql('postgres', 'SELECT tiktrack.distribute()');
like($err, qr/Citus is not installed in database "postgres"/, 'distribute() without Citus: an error');

# What the worker stored, copied row for row (triggers off: the copy is
# of derived rows too).
my $copy = '';
for my $table (qw(creators creator_stats videos video_schedule snapshots latest_snapshots))
{
	my $cols = $single->safe_psql('postgres', qq{
		SELECT string_agg(quote_ident(attname), ', ' ORDER BY attnum) FROM pg_attribute
		WHERE attrelid = 'tiktrack.$table'::regclass AND attnum > 0 AND NOT attisdropped AND attgenerated = ''});
	# (materialized on the coordinator, where the rows keep their names)
	my $json = $coord->safe_psql('postgres',
		"WITH t AS MATERIALIZED (SELECT $cols FROM tiktrack.$table) SELECT coalesce(json_agg(t), '[]') FROM t");
	$json =~ s/'/''/g;
	$copy .= "INSERT INTO tiktrack.$table ($cols) SELECT $cols FROM json_populate_recordset(NULL::tiktrack.$table, '$json');\n";
}
my $next_creator = $coord->safe_psql('postgres', 'SELECT last_value || $$, $$ || is_called FROM tiktrack.creators_id_seq');
$single->safe_psql('postgres', "BEGIN; SET LOCAL session_replication_role = replica; $copy"
	  . "SELECT setval('tiktrack.creators_id_seq', $next_creator); COMMIT;");
is($single->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots'),
	$coord->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots'), 'the single node has the same snapshots');

# Campaigns, posts, snapshots, money, identical on both.
my $load = slurp_file("$citus_dir/kpi_load.sql");
for my $node ($coord, $single)
{
	my ($lrc, $lout, $lerr) = $node->psql('postgres', $load, on_error_stop => 1);
	is($lrc, 0, $node->name . ': kpi_load.sql loads') or diag($lerr);
}

# ---- every KPI agrees ----

open(my $fh, '<', "$citus_dir/kpi_queries.sql") or die "kpi_queries.sql: $!";
my @queries = map { chomp; [ split /\|/, $_, 2 ] } grep { !/^--/ && /\|/ } <$fh>;
close $fh;
for my $q (@queries)
{
	my ($label, $sql) = @$q;
	my ($crc, $cout, $cerr) = $coord->psql('postgres', $sql);
	my $sout = $single->safe_psql('postgres', $sql);
	is($crc, 0, "$label runs distributed") or diag($cerr);
	isnt($sout, '', "$label: rows on the single node");
	is($cout, $sout, "$label: the cluster agrees with the single node");
}

# ---- every aggregate pushed down ----

# Grouped by creator (not the distribution column), over the colocated
# join of snapshots and videos: partial aggregation on every shard.
my %aggregates = (
	'engagement_rate(bigint,bigint,bigint,bigint)' =>
	  'tiktrack.engagement_rate(s.views, s.likes, s.comments, s.shares)',
	'engagement_rate(bigint,bigint,bigint,bigint,bigint)' =>
	  'tiktrack.engagement_rate(s.views, s.likes, s.comments, s.shares, s.saves)',
	'completion_weighted_views(bigint,double precision)' =>
	  'tiktrack.completion_weighted_views(s.views, s.completion_rate)',
	'roi(bigint,bigint)' => 'tiktrack.roi(s.likes, s.comments)',
	'roas(bigint,bigint)' => 'tiktrack.roas(s.likes, s.comments)',
	'cpm(bigint,bigint)' => 'tiktrack.cpm(s.shares, s.views)',
	'cpv(bigint,bigint)' => 'tiktrack.cpv(s.shares, s.views)',
	'top_values(text[],integer)' => 'tiktrack.top_values(v.hashtags, 3)',
);
for my $signature (sort keys %aggregates)
{
	my $sql = "SELECT v.creator_id, $aggregates{$signature} FROM tiktrack.snapshots s "
	  . 'JOIN tiktrack.videos v ON v.id = s.video_id GROUP BY v.creator_id ORDER BY v.creator_id';
	my $plan = $coord->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $sql");
	like($plan, qr/worker_partial_agg\('tiktrack\.\Q$signature\E'::regprocedure/,
		"$signature: partial aggregation on the shards");
	like($plan, qr/coord_combine_agg\(/, "$signature: combined on the coordinator");
	is($coord->safe_psql('postgres', $sql), $single->safe_psql('postgres', $sql),
		"$signature: same result as the single node");
}

$_->stop for ($coord, @workers, $single);
done_testing();
