# ALTER EXTENSION tiktrack UPDATE on a database that holds data: 0.1.0 is
# installed from its frozen script, filled with everything a user has
# (creators with sealed tokens, tracked videos with snapshots from the
# worker and by hand, creator stats, a campaign with posts and sales),
# then updated to the current version.  The updated database must have
# exactly the catalog of a fresh install of the current version, every
# row must still be there, and the worker must go on fetching.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim;
use TiktrackWorker;

my $sim = TiktrackWorker::start_sim(seed => 2);
my $t0 = int(time()) - 86400;
$sim->post('/_sim/clock', { now => $t0 });

# The worker cluster of the worker tests, but the extension starts at
# 0.1.0: the library is newer than the database's schema, so the worker
# must wait for the update instead of running its statements against the
# old tables.
my $node = TiktrackWorker::worker_cluster('upgrade', $sim, log_statement => 'none');

my $current = $node->safe_psql('postgres',
	"SELECT default_version FROM pg_available_extensions WHERE name = 'tiktrack'");
isnt($current, '0.1.0', "the current version ($current) is not the released one");

$node->safe_psql('postgres', "CREATE EXTENSION tiktrack VERSION '0.1.0'");
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'tiktrack'"),
	'0.1.0', '0.1.0 installed from its frozen script');
TiktrackWorker::wait_for($node, 'SELECT state FROM tiktrack.worker_status', 'waiting for extension', 30,
	'the worker waits for the update');

# ---- fill 0.1.0 as a user would ----

my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 2, videos_per_creator => 2, business_share => 0.5, prefix => 'up');
TiktrackWorker::track_videos($node, $creators, '30 days');
my ($c1, $c2) = @$creators;
my $v1 = $c1->{videos}[0]{id};
$node->safe_psql('postgres', qq{
	SELECT tiktrack.track('https://vm.tiktok.com/ZMupgrade1/');
	INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
		SELECT $v1, timestamptz '2026-01-01' + g * interval '1 hour', 1000 * g, 100 * g, 10 * g, g, 'manual'
		FROM generate_series(1, 24) g;
	INSERT INTO tiktrack.creator_stats (creator_id, captured_at, followers, following, likes, videos, source)
		SELECT id, timestamptz '2026-01-02', 5000 + id, 10, 20000, 2, 'manual' FROM tiktrack.creators;
	SELECT tiktrack.create_campaign('Upgrade launch', 'EUR', agency_fee_cents => 5000);
	SELECT count(*) FROM tiktrack.add_posts(1, '[
		{"url": "https://www.tiktok.com/\@$c1->{handle}/video/$v1", "creator_handle": "$c1->{handle}", "fee_cents": 50000},
		{"url": "https://www.tiktok.com/\@$c2->{handle}/video/$c2->{videos}[0]{id}", "creator_handle": "$c2->{handle}", "fee_cents": 70000}]');
	SELECT tiktrack.record_conversion(1, '$c1->{handle}', 120000, order_id => 'A-1');
	SELECT tiktrack.record_conversion(1, '$c2->{handle}', 30000, order_id => 'B-1');
});

# Every table of 0.1.0 with its columns, and each table's rows in those
# columns: what the update must keep.
my @tables = split /\n/, $node->safe_psql('postgres', q{
	SELECT c.relname || ':' || string_agg(quote_ident(a.attname), ',' ORDER BY a.attnum)
	FROM pg_class c JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0 AND NOT a.attisdropped
	WHERE c.relnamespace = 'tiktrack'::regnamespace AND c.relkind = 'r'
	GROUP BY c.relname ORDER BY c.relname});
cmp_ok(scalar @tables, '>=', 9, 'tables of 0.1.0 listed');

sub table_rows
{
	my ($table, $columns) = @_;
	return $node->safe_psql('postgres', qq{
		SELECT count(*) || ' rows, md5 ' || coalesce(md5(string_agg(r::text, E'\\n' ORDER BY r::text)), '-')
		FROM (SELECT $columns FROM tiktrack.$table) r});
}

my %before;
for my $t (@tables)
{
	my ($table, $columns) = split /:/, $t, 2;
	$before{$table} = table_rows($table, $columns);
}
like($before{snapshots}, qr/^24 rows/, 'snapshots entered by hand');
like($before{creator_tokens}, qr/^2 rows/, 'two creators hold sealed tokens');
like($before{conversions}, qr/^2 rows/, 'two sales recorded');

is($node->safe_psql('postgres', "SELECT count(*) FROM tiktrack.snapshots WHERE source <> 'manual'"),
	'0', 'the waiting worker fetched nothing into the 0.1.0 schema');
ok($node->log_contains(
		qr/tiktrack worker waits: database "postgres" has tiktrack 0\.1\.0, the library is \Q$current\E.*\n.*HINT:  Run ALTER EXTENSION tiktrack UPDATE in that database\./),
	'the log says why the worker waits and what to do');

# ---- update ----

# The worker stays off while the rows are compared (it would add
# snapshots and creator stats at once).
$node->append_conf('postgresql.conf', "tiktrack.worker_enabled = off\n");
$node->reload;

# The schedule moves from videos to video_schedule (0.2.0): every video
# keeps when it is due and when it was last fetched.
my $schedule_sql = q{SELECT count(*) || ' ' || md5(string_agg(concat_ws('|', %s), ';' ORDER BY %s))
	FROM %s};
my $schedule_before = $node->safe_psql('postgres',
	sprintf($schedule_sql, 'id, next_fetch_at, last_fetched_at', 'id', 'tiktrack.videos'));
$node->safe_psql('postgres', 'ALTER EXTENSION tiktrack UPDATE');
is($node->safe_psql('postgres',
		sprintf($schedule_sql, 'video_id, next_fetch_at, last_fetched_at', 'video_id',
			'tiktrack.video_schedule')),
	$schedule_before, 'every video keeps its schedule and last fetch, now in video_schedule');
is($node->safe_psql('postgres', "SELECT extversion FROM pg_extension WHERE extname = 'tiktrack'"),
	$current, "updated to $current");

# ---- the catalog equals a fresh install's ----

$node->safe_psql('postgres', 'CREATE DATABASE fresh');
$node->safe_psql('fresh', 'CREATE EXTENSION tiktrack');

# One line per catalog fact of the extension: its member objects and, for
# each, what defines it.  Names, never OIDs, so two databases compare.
my $catalog_sql = q{
WITH ext AS (SELECT oid, extconfig, extcondition FROM pg_extension WHERE extname = 'tiktrack'),
member AS (
	SELECT d.classid, d.objid FROM pg_depend d, ext
	WHERE d.refclassid = 'pg_extension'::regclass AND d.refobjid = ext.oid AND d.deptype = 'e'),
rel AS (
	SELECT c.oid, c.relname, c.relkind FROM pg_class c
	WHERE c.relnamespace = 'tiktrack'::regnamespace AND c.relkind IN ('r', 'v', 'm', 'S', 'c', 'p', 'f'))
SELECT line FROM (
	SELECT 'member ' || pg_describe_object(classid, objid, 0) AS line FROM member
	UNION ALL
	SELECT 'schema tiktrack acl ' || coalesce(nspacl::text, '-') || ' comment '
		   || coalesce(obj_description(oid, 'pg_namespace'), '-')
	FROM pg_namespace WHERE nspname = 'tiktrack'
	UNION ALL
	SELECT 'relation ' || r.relname || ' kind ' || r.relkind::text || ' persistence ' || c.relpersistence::text
		   || ' options ' || coalesce(c.reloptions::text, '-') || ' acl ' || coalesce(c.relacl::text, '-')
		   || ' rls ' || c.relrowsecurity::text || ' comment ' || coalesce(obj_description(r.oid, 'pg_class'), '-')
	FROM rel r JOIN pg_class c ON c.oid = r.oid
	UNION ALL
	SELECT 'column ' || r.relname || ' #' || rank() OVER (PARTITION BY r.oid ORDER BY a.attnum) || ' '
		   || a.attname || ' ' || format_type(a.atttypid, a.atttypmod)
		   || CASE WHEN a.attnotnull THEN ' not null' ELSE '' END
		   || coalesce(' default ' || pg_get_expr(ad.adbin, ad.adrelid), '')
		   || CASE WHEN a.attidentity <> '' THEN ' identity ' || a.attidentity::text ELSE '' END
		   || CASE WHEN a.attgenerated <> '' THEN ' generated ' || a.attgenerated::text ELSE '' END
		   || coalesce(' collate ' || NULLIF(co.collname, 'default'), '')
		   || ' acl ' || coalesce(a.attacl::text, '-')
		   || ' comment ' || coalesce(col_description(r.oid, a.attnum), '-')
	FROM rel r JOIN pg_attribute a ON a.attrelid = r.oid AND a.attnum > 0 AND NOT a.attisdropped
	LEFT JOIN pg_attrdef ad ON ad.adrelid = a.attrelid AND ad.adnum = a.attnum
	LEFT JOIN pg_collation co ON co.oid = a.attcollation AND a.attcollation <> 0
	UNION ALL
	SELECT 'constraint ' || r.relname || ' ' || con.conname || ' ' || pg_get_constraintdef(con.oid)
		   || CASE WHEN con.condeferrable THEN ' deferrable' ELSE '' END
		   || ' comment ' || coalesce(obj_description(con.oid, 'pg_constraint'), '-')
	FROM rel r JOIN pg_constraint con ON con.conrelid = r.oid
	UNION ALL
	SELECT 'index ' || pg_get_indexdef(i.indexrelid) || ' comment '
		   || coalesce(obj_description(i.indexrelid, 'pg_class'), '-')
	FROM rel r JOIN pg_index i ON i.indrelid = r.oid
	UNION ALL
	SELECT 'trigger ' || pg_get_triggerdef(t.oid) || ' enabled ' || t.tgenabled::text
	FROM rel r JOIN pg_trigger t ON t.tgrelid = r.oid AND NOT t.tgisinternal
	UNION ALL
	SELECT 'view ' || r.relname || ' ' || pg_get_viewdef(r.oid)
	FROM rel r WHERE r.relkind IN ('v', 'm')
	UNION ALL
	SELECT 'sequence ' || r.relname || ' ' || s.seqtypid::regtype || ' ' || s.seqstart || ' ' || s.seqincrement
		   || ' ' || s.seqmax || ' ' || s.seqmin || ' ' || s.seqcache || ' ' || s.seqcycle
	FROM rel r JOIN pg_sequence s ON s.seqrelid = r.oid
	UNION ALL
	SELECT 'policy ' || r.relname || ' ' || p.polname || ' ' || p.polcmd::text || ' ' || p.polpermissive
		   || ' ' || coalesce(pg_get_expr(p.polqual, p.polrelid), '-')
		   || ' ' || coalesce(pg_get_expr(p.polwithcheck, p.polrelid), '-')
	FROM rel r JOIN pg_policy p ON p.polrelid = r.oid
	UNION ALL
	SELECT 'function ' || p.oid::regprocedure || ' acl ' || coalesce(p.proacl::text, '-')
		   || ' comment ' || coalesce(obj_description(p.oid, 'pg_proc'), '-') || E'\n'
		   || CASE WHEN p.prokind = 'a' THEN
				  'aggregate kind ' || a.aggkind::text || ' transfn ' || a.aggtransfn::regproc
				  || ' finalfn ' || a.aggfinalfn::regproc || ' combinefn ' || a.aggcombinefn::regproc
				  || ' serialfn ' || a.aggserialfn::regproc || ' deserialfn ' || a.aggdeserialfn::regproc
				  || ' mtransfn ' || a.aggmtransfn::regproc || ' minvtransfn ' || a.aggminvtransfn::regproc
				  || ' mfinalfn ' || a.aggmfinalfn::regproc || ' finalextra ' || a.aggfinalextra
				  || ' finalmodify ' || a.aggfinalmodify::text || ' sortop ' || a.aggsortop::regoper
				  || ' transtype ' || a.aggtranstype::regtype || ' transspace ' || a.aggtransspace
				  || ' mtranstype ' || a.aggmtranstype::regtype || ' initval ' || coalesce(a.agginitval, '-')
				  || ' minitval ' || coalesce(a.aggminitval, '-') || ' strict ' || p.proisstrict
				  || ' parallel ' || p.proparallel::text || ' returns ' || p.prorettype::regtype
			  ELSE pg_get_functiondef(p.oid) END
	FROM pg_proc p LEFT JOIN pg_aggregate a ON a.aggfnoid = p.oid
	WHERE p.pronamespace = 'tiktrack'::regnamespace
	   OR p.oid IN (SELECT objid FROM member WHERE classid = 'pg_proc'::regclass)
	UNION ALL
	SELECT 'type ' || t.oid::regtype || ' ' || t.typtype::text || ' len ' || t.typlen || ' byval ' || t.typbyval
		   || ' align ' || t.typalign::text || ' storage ' || t.typstorage::text
		   || ' in ' || t.typinput::regproc || ' out ' || t.typoutput::regproc
		   || ' recv ' || t.typreceive::regproc || ' send ' || t.typsend::regproc
		   || ' base ' || t.typbasetype::regtype || ' notnull ' || t.typnotnull
		   || ' default ' || coalesce(t.typdefault, '-') || ' acl ' || coalesce(t.typacl::text, '-')
		   || ' comment ' || coalesce(obj_description(t.oid, 'pg_type'), '-')
		   || coalesce(' labels ' || (SELECT string_agg(enumlabel, ',' ORDER BY enumsortorder)
									   FROM pg_enum WHERE enumtypid = t.oid), '')
		   || coalesce(' checks ' || (SELECT string_agg(pg_get_constraintdef(oid), ',' ORDER BY conname)
									   FROM pg_constraint WHERE contypid = t.oid), '')
	FROM pg_type t
	WHERE t.typnamespace = 'tiktrack'::regnamespace AND t.typtype <> 'c' AND t.typcategory <> 'A'
	UNION ALL
	SELECT 'operator ' || o.oid::regoperator || ' ' || o.oprcode::regproc || ' comment '
		   || coalesce(obj_description(o.oid, 'pg_operator'), '-')
	FROM pg_operator o WHERE o.oprnamespace = 'tiktrack'::regnamespace
	UNION ALL
	SELECT 'cast ' || pg_describe_object('pg_cast'::regclass, objid, 0) FROM member
	WHERE classid = 'pg_cast'::regclass
	UNION ALL
	SELECT 'dump config ' || cfg::regclass || ' ' || coalesce(cond, '-')
	FROM ext, unnest(extconfig, extcondition) AS u(cfg, cond)
	UNION ALL
	SELECT 'event trigger ' || evtname || ' ' || evtevent::text || ' ' || evtfoid::regproc
	FROM pg_event_trigger WHERE oid IN (SELECT objid FROM member WHERE classid = 'pg_event_trigger'::regclass)
) facts ORDER BY line
};

my @upgraded = split /\n(?=\S)/, $node->safe_psql('postgres', $catalog_sql);
my @fresh = split /\n(?=\S)/, $node->safe_psql('fresh', $catalog_sql);
cmp_ok(scalar @fresh, '>', 200, 'the catalog of a fresh install is listed (' . scalar(@fresh) . ' facts)');
my %in_fresh = map { $_ => 1 } @fresh;
my %in_upgraded = map { $_ => 1 } @upgraded;
my @only_upgraded = grep { !$in_fresh{$_} } @upgraded;
my @only_fresh = grep { !$in_upgraded{$_} } @fresh;
is_deeply(\@only_upgraded, [], 'nothing in the updated database that a fresh install lacks')
  or diag(join("\n", map { "only after the update: $_" } @only_upgraded));
is_deeply(\@only_fresh, [], 'nothing in a fresh install that the updated database lacks')
  or diag(join("\n", map { "only in a fresh install: $_" } @only_fresh));

# ---- every row is still there ----

my @changed;
for my $t (@tables)
{
	my ($table, $columns) = split /:/, $t, 2;
	my @cols = grep {
		my $c = $_;
		$node->safe_psql('postgres', qq{
			SELECT count(*) FROM pg_attribute
			WHERE attrelid = 'tiktrack.$table'::regclass AND attname = '$c' AND NOT attisdropped}) eq '1'
	} split /,/, $columns;
	my $after = $node->safe_psql('postgres', qq{
		SELECT count(*) FROM pg_class WHERE relname = '$table' AND relnamespace = 'tiktrack'::regnamespace});
	if ($after ne '1')
	{
		push @changed, "$table: gone";
		next;
	}
	diag("tiktrack.$table: columns moved by the update: "
		  . join(',', grep { my $c = $_; !grep { $_ eq $c } @cols } split /,/, $columns))
	  if @cols != split /,/, $columns;
	# Columns that moved elsewhere are compared where they stay.
	my $now = table_rows($table, join(',', @cols));
	my $then = @cols == split(/,/, $columns) ? $before{$table} : undef;
	push @changed, "$table: $then -> $now" if defined $then && $now ne $then;
	my ($n_then) = $before{$table} =~ /^(\d+) rows/;
	my ($n_now) = $now =~ /^(\d+) rows/;
	push @changed, "$table: $n_then rows -> $n_now" if $n_now != $n_then;
}
is_deeply(\@changed, [], 'every row of every table kept, unchanged');

# ---- the updated database goes on working ----

$node->append_conf('postgresql.conf', "tiktrack.worker_enabled = on\n");
$node->reload;
my $videos = 2 * 2;
TiktrackWorker::wait_for($node,
	"SELECT count(DISTINCT video_id) FROM tiktrack.snapshots WHERE source <> 'manual'",
	"$videos", 30, 'the worker fetches every tracked video after the update');
isnt($node->safe_psql('postgres', 'SELECT state FROM tiktrack.worker_status'), 'waiting for extension',
	'the worker no longer waits');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM tiktrack.latest_snapshots l
	JOIN tiktrack.snapshots s ON s.video_id = l.video_id AND s.captured_at = l.captured_at}),
	$node->safe_psql('postgres', 'SELECT count(DISTINCT video_id) FROM tiktrack.snapshots'),
	'latest_snapshots names the newest snapshot of every video');
is($node->safe_psql('postgres',
		'SELECT posts_published + posts_pending || \' posts, gmv \' || gmv_cents FROM tiktrack.campaign_metrics(1)'),
	'2 posts, gmv 150000', 'campaign metrics read the campaign made in 0.1.0');

done_testing();
