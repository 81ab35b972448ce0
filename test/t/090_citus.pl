# tiktrack on Citus: a coordinator and two workers on this machine, with
# 'citus,tiktrack' preloaded together.  CREATE EXTENSION tiktrack on the
# coordinator reaches the workers, and every C aggregate (engagement_rate
# with 4 and 5 arguments, completion_weighted_views, roi, roas, cpm, cpv,
# top_values) is aggregated partially on the workers' shards and combined
# on the coordinator (EXPLAIN VERBOSE shows worker_partial_agg in the
# shard queries), with results identical to the same rows in a plain
# table on one node.
#
# Skipped when Citus is not installed into the PostgreSQL under test
# (test/tools/build-citus.sh installs it; run-tests.sh does so before the
# TAP suite) or when TIKTRACK_SKIP_CITUS=1.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

plan skip_all => 'TIKTRACK_SKIP_CITUS=1' if ($ENV{TIKTRACK_SKIP_CITUS} // '') eq '1';
my $sharedir = `pg_config --sharedir`;
chomp $sharedir;
plan skip_all => "Citus is not installed ($sharedir/extension/citus.control missing; "
  . 'test/tools/build-citus.sh installs it)'
  unless -f "$sharedir/extension/citus.control";

sub citus_node
{
	my ($name, $worker_enabled) = @_;
	my $node = PostgreSQL::Test::Cluster->new($name);
	$node->init;
	$node->append_conf('postgresql.conf', qq{
shared_preload_libraries = 'citus,tiktrack'
tiktrack.worker_enabled = $worker_enabled
max_worker_processes = 16
timezone = 'UTC'
citus.enable_statistics_collection = off
});
	$node->start;
	$node->safe_psql('postgres', 'CREATE EXTENSION citus');
	return $node;
}

# The tiktrack worker is on everywhere: on the Citus worker nodes it
# idles by itself (test/t/091_citus_distribute.pl checks it), the
# coordinator's runs as usual.
my $coord = citus_node('coordinator', 'on');
my @workers = (citus_node('worker1', 'on'), citus_node('worker2', 'on'));

$coord->safe_psql('postgres',
	"SELECT citus_set_coordinator_host('" . $coord->host . "', " . $coord->port . ')');
for my $w (@workers)
{
	$coord->safe_psql('postgres',
		"SELECT 1 FROM citus_add_node('" . $w->host . "', " . $w->port . ')');
}
is($coord->safe_psql('postgres', 'SELECT count(*) FROM citus_get_active_worker_nodes()'),
	'2', 'two active worker nodes');

$coord->safe_psql('postgres', 'CREATE EXTENSION tiktrack');
for my $w (@workers)
{
	is($w->safe_psql('postgres', q{SELECT extversion FROM pg_extension WHERE extname = 'tiktrack'}),
		'0.2.0', $w->name . ': CREATE EXTENSION tiktrack reached the worker');
}

# Snapshot-like rows: 40 creators, 200 videos, 30 snapshots each; NULLs
# where TikTok leaves a field out (saves, completion rate, tags).  The
# same rows go into a distributed table (by video) and a plain one.
my $columns = q{
	video_id	bigint NOT NULL,
	creator_id	integer NOT NULL,
	views		bigint,
	likes		bigint,
	comments	bigint,
	shares		bigint,
	saves		bigint,
	completion_rate float8,
	cost_cents	bigint,
	revenue_cents bigint,
	hashtags	text[]
};
$coord->safe_psql('postgres', qq{
	CREATE TABLE snaps ($columns);
	CREATE TABLE snaps_local ($columns);
	SELECT create_distributed_table('snaps', 'video_id', shard_count => 8);
	INSERT INTO snaps_local
	SELECT v, v % 40,
		   1000 * s + (v * 7919) % 100000,
		   (v * 31 + s * 17) % 5000,
		   (v * 13 + s) % 400,
		   (v + s * 3) % 90,
		   CASE WHEN v % 5 = 0 THEN NULL ELSE (v * s) % 300 END,
		   CASE WHEN v % 4 = 0 THEN NULL ELSE ((v * 37 + s * 11) % 1000) / 1000.0 END,
		   (v % 17) * 1000 + s,
		   (v % 23) * 2500 - s * 7,
		   CASE WHEN v % 9 = 0 THEN NULL
				ELSE ARRAY['tag' || v % 13, 'tag' || (v + s) % 7, 'fyp', NULL] END
	FROM generate_series(1, 200) v, generate_series(1, 30) s;
	INSERT INTO snaps SELECT * FROM snaps_local;
});
is($coord->safe_psql('postgres', q{
	SELECT string_agg(DISTINCT nodeport::text, ',' ORDER BY nodeport::text) = }
	  . q{'} . join(',', sort map { $_->port } @workers) . q{'}
	  . q{ FROM citus_shards WHERE table_name = 'snaps'::regclass}),
	't', 'the shards of snaps live on both workers');
is($coord->safe_psql('postgres', 'SELECT count(*) FROM snaps'), '6000', '6000 distributed rows');

my %aggregates = (
	'engagement_rate(bigint,bigint,bigint,bigint)' =>
	  'tiktrack.engagement_rate(views, likes, comments, shares)',
	'engagement_rate(bigint,bigint,bigint,bigint,bigint)' =>
	  'tiktrack.engagement_rate(views, likes, comments, shares, saves)',
	'completion_weighted_views(bigint,double precision)' =>
	  'tiktrack.completion_weighted_views(views, completion_rate)',
	'roi(bigint,bigint)' => 'tiktrack.roi(revenue_cents, cost_cents)',
	'roas(bigint,bigint)' => 'tiktrack.roas(revenue_cents, cost_cents)',
	'cpm(bigint,bigint)' => 'tiktrack.cpm(cost_cents, views)',
	'cpv(bigint,bigint)' => 'tiktrack.cpv(cost_cents, views)',
	'top_values(text[],integer)' => 'tiktrack.top_values(hashtags, 5)',
);

# The shard queries of a plan, and whether the coordinator combines.
sub plan_of
{
	my ($sql) = @_;
	return $coord->safe_psql('postgres', "EXPLAIN (VERBOSE, COSTS OFF) $sql");
}

for my $signature (sort keys %aggregates)
{
	my $call = $aggregates{$signature};
	# Grouped by creator, which is not the distribution column: each shard
	# aggregates partially per creator.
	my $grouped = "SELECT creator_id, $call FROM %s GROUP BY creator_id ORDER BY creator_id";
	my $plan = plan_of(sprintf($grouped, 'snaps'));
	like($plan,
		qr/Query: SELECT creator_id, pg_catalog\.worker_partial_agg\('tiktrack\.\Q$signature\E'::regprocedure, ROW\([^\n]*\) AS \w+ FROM public\.snaps_\d+ snaps WHERE true GROUP BY creator_id/,
		"$signature: partial aggregation in the shard queries");
	like($plan, qr/coord_combine_agg\(/, "$signature: the coordinator combines the partial states");

	my $distributed = $coord->safe_psql('postgres', sprintf($grouped, 'snaps'));
	my $single = $coord->safe_psql('postgres', sprintf($grouped, 'snaps_local'));
	is(scalar(split /\n/, $single), 40, "$signature: 40 creators on one node");
	is($distributed, $single, "$signature: grouped results identical to one node");

	my $total = "SELECT $call FROM %s";
	like(plan_of(sprintf($total, 'snaps')),
		qr/worker_partial_agg\('tiktrack\.\Q$signature\E'::regprocedure/,
		"$signature: partial aggregation without GROUP BY");
	is($coord->safe_psql('postgres', sprintf($total, 'snaps')),
		$coord->safe_psql('postgres', sprintf($total, 'snaps_local')),
		"$signature: total identical to one node");
}

# All of them in one query: top_values no longer pulls the rows (and the
# other aggregates with them) to the coordinator.
my $all = 'SELECT creator_id, ' . join(', ', map { $aggregates{$_} } sort keys %aggregates)
  . ' FROM %s GROUP BY creator_id ORDER BY creator_id';
my $plan = plan_of(sprintf($all, 'snaps'));
my $partials = () = $plan =~ /pg_catalog\.worker_partial_agg\(/g;
is($partials, 8, 'all eight aggregates partial on the shards in one query');
unlike($plan, qr/Query: SELECT [^\n]*hashtags[^\n]* FROM public\.snaps_\d+ snaps WHERE true\s*$/m,
	'no shard query ships raw rows');
is($coord->safe_psql('postgres', sprintf($all, 'snaps')),
	$coord->safe_psql('postgres', sprintf($all, 'snaps_local')),
	'all eight: results identical to one node');

# The contrast: 0.1.0's top_values, state "internal" (recreated here from
# the entry points the library keeps for 0.1.0), cannot be shipped, so
# Citus pulls the raw rows to the coordinator instead.
$coord->safe_psql('postgres', q{
	CREATE FUNCTION old_accum(internal, text[], integer) RETURNS internal
		AS '$libdir/tiktrack', 'tiktrack_top_values_accum' LANGUAGE C IMMUTABLE PARALLEL SAFE;
	CREATE FUNCTION old_combine(internal, internal) RETURNS internal
		AS '$libdir/tiktrack', 'tiktrack_top_values_combine' LANGUAGE C IMMUTABLE PARALLEL SAFE;
	CREATE FUNCTION old_serialize(internal) RETURNS bytea
		AS '$libdir/tiktrack', 'tiktrack_top_values_serialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
	CREATE FUNCTION old_deserialize(bytea, internal) RETURNS internal
		AS '$libdir/tiktrack', 'tiktrack_top_values_deserialize' LANGUAGE C IMMUTABLE STRICT PARALLEL SAFE;
	CREATE FUNCTION old_final(internal) RETURNS jsonb
		AS '$libdir/tiktrack', 'tiktrack_top_values_final' LANGUAGE C IMMUTABLE PARALLEL SAFE;
	CREATE AGGREGATE old_top_values(text[], integer) (
		SFUNC = old_accum, STYPE = internal, FINALFUNC = old_final, COMBINEFUNC = old_combine,
		SERIALFUNC = old_serialize, DESERIALFUNC = old_deserialize, PARALLEL = SAFE);
});
my $old = 'SELECT creator_id, old_top_values(hashtags, 5) FROM %s GROUP BY creator_id ORDER BY creator_id';
like(plan_of(sprintf($old, 'snaps')),
	qr/Query: SELECT creator_id, hashtags AS old_top_values, 5 AS old_top_values FROM public\.snaps_\d+ snaps WHERE true\n/,
	'0.1.0-style internal state: Citus ships the raw rows instead');
is($coord->safe_psql('postgres', sprintf($old, 'snaps')),
	$coord->safe_psql('postgres',
		'SELECT creator_id, tiktrack.top_values(hashtags, 5) FROM snaps GROUP BY creator_id ORDER BY creator_id'),
	'0.1.0-style and 0.2.0 top_values agree');

# Grouped by the distribution column, whole aggregates run on the shards.
my $by_video = 'SELECT video_id, ' . join(', ', map { $aggregates{$_} } sort keys %aggregates)
  . ' FROM %s GROUP BY video_id ORDER BY video_id';
unlike(plan_of(sprintf($by_video, 'snaps')), qr/worker_partial_agg|coord_combine_agg/,
	'grouped by video: aggregates run whole on the shards');
is($coord->safe_psql('postgres', sprintf($by_video, 'snaps')),
	$coord->safe_psql('postgres', sprintf($by_video, 'snaps_local')),
	'grouped by video: results identical to one node');

# top_values agrees with the plain-SQL ranking (count desc, then value).
is($coord->safe_psql('postgres', q{
	SELECT tiktrack.top_values(hashtags, 5) FROM snaps WHERE creator_id = 7}),
	$coord->safe_psql('postgres', q{
	SELECT jsonb_agg(jsonb_build_object('value', tag, 'count', n) ORDER BY n DESC, tag)
	FROM (SELECT tag, count(*) AS n
		  FROM snaps_local, unnest(hashtags) tag
		  WHERE creator_id = 7 AND tag IS NOT NULL
		  GROUP BY tag ORDER BY n DESC, tag LIMIT 5) t}),
	'distributed top_values equals the plain-SQL top 5');
# Creator 7 has videos 7, 47, 87, 127 and 167, 30 snapshots each: "fyp"
# in all 150, tag7 to tag11 (video % 13) in 30 each, the first of these
# by value being tag10; tag0 to tag6 ((video + snapshot) % 7) about 21 each.
is($coord->safe_psql('postgres', q{
	SELECT tiktrack.top_values(hashtags, 2) FROM snaps WHERE creator_id = 7}),
	'[{"count": 150, "value": "fyp"}, {"count": 30, "value": "tag10"}]',
	'top hashtags of creator 7');

# tiktrack's own tables are not distributed yet (that waits for the storage
# rewrite): on the coordinator they are local tables, and tracking and the
# campaign functions work there as on one node.
$coord->safe_psql('postgres', q{
	SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7234567890123456789');
	INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
	SELECT 7234567890123456789, timestamptz '2026-01-01' + g * interval '1 hour',
		   1000 * g, 100 * g, 10 * g, g, 'manual'
	FROM generate_series(1, 48) g;
	SELECT tiktrack.create_campaign('Spring', 'EUR', 5000);
});
is($coord->safe_psql('postgres', q{
	SELECT status FROM tiktrack.add_posts(1, '[{"url": "https://www.tiktok.com/@alice/video/7234567890123456789",
											   "creator_handle": "alice", "fee_cents": 50000}]')}),
	'added', 'add_posts on the coordinator');
$coord->safe_psql('postgres', q{SELECT tiktrack.record_conversion(1, 'alice', 120000)});
is($coord->safe_psql('postgres', q{
	SELECT spend_cents || ' ' || gmv_cents || ' ' || roi || ' ' || total_views || ' ' || engagement_rate
	FROM tiktrack.campaign_metrics(1)}),
	'55000 120000 1.1818181818181819 48000 0.111', 'campaign_metrics on the coordinator');
is($coord->safe_psql('postgres', 'SELECT views FROM tiktrack.latest_snapshots'), '48000',
	'latest_snapshots kept by its trigger on the coordinator');

$_->stop for ($coord, @workers);
done_testing();
