# The store step writes a good answer's rows (the snapshot, its
# latest_snapshots row, the schedule) in one of two ways: directly, with
# the executor's row primitives (src/store_direct.c: a superuser's worker
# on tables as tiktrack made them), or by statements, which it falls back
# to when a user has put a trigger of their own on tiktrack.snapshots (or
# on Citus).  Both give the same rows; with a user's trigger, the trigger
# fires for every snapshot the worker stores; without it again, the direct
# way takes over; with tiktrack.direct_access off, the statements again
# (the worker's claim too).
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;
use Digest::MD5 qw(md5_hex);
use Encode qw(encode_utf8);
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackWorker;

my $sim = TiktrackWorker::start_sim(seed => 49);
# Days-old videos, a simulator clock that stands still between rounds.
my $t0 = int(time()) - 3 * 86400;
$sim->post('/_sim/clock', { now => $t0 });

# Rounds only when the test makes the videos due.
my $node = TiktrackWorker::worker_node('store_paths', $sim,
	'tiktrack.interval' => '1h', 'tiktrack.early_interval' => '1h');
TiktrackWorker::worker_pid($node);

my $creators = TiktrackWorker::connect_creators($node, $sim,
	creators => 2, videos_per_creator => 3, business_share => 0.5, prefix => 'paths');
is(TiktrackWorker::track_videos($node, $creators, '30 days'), 6, 'six videos tracked');
my %api_of = map { my $c = $_; map { ($_->{id} => $c->{api}) } @{ $c->{videos} } } @$creators;

# latest_snapshots is each video's newest snapshot with the number taken;
# the schedule names that fetch and the next one an hour later.
sub rows_agree
{
	my ($round) = @_;
	is($node->safe_psql('postgres', q{
		SELECT count(*) FROM tiktrack.latest_snapshots l
		CROSS JOIN LATERAL (SELECT * FROM tiktrack.snapshots s WHERE s.video_id = l.video_id
							ORDER BY s.captured_at DESC LIMIT 1) s
		WHERE (l.captured_at, l.views, l.likes, l.comments, l.shares, l.saves, l.reach,
			   l.completion_rate, l.avg_watch_time_s, l.total_watch_time_s, l.source)
			  IS DISTINCT FROM
			  (s.captured_at, s.views, s.likes, s.comments, s.shares, s.saves, s.reach,
			   s.completion_rate, s.avg_watch_time_s, s.total_watch_time_s, s.source)
		   OR l.snapshot_count <> (SELECT count(*) FROM tiktrack.snapshots s2
								   WHERE s2.video_id = l.video_id)}),
		'0', "round $round: latest_snapshots is the newest snapshot of every video, counted");
	is($node->safe_psql('postgres', qq{
		SELECT count(*) FILTER (WHERE l.snapshot_count = $round
								  AND vs.last_fetched_at = l.captured_at
								  AND vs.next_fetch_at - vs.last_fetched_at
									  BETWEEN interval '1 hour' AND interval '1 hour 10 seconds')
		FROM tiktrack.video_schedule vs JOIN tiktrack.latest_snapshots l USING (video_id)}),
		'6', "round $round: each video's schedule names this fetch and the next in an hour");
}

# The exact values of the simulator at $at, from each video's own API.
sub values_exact
{
	my ($at, $round) = @_;
	my $mismatch = 0;
	for my $vid (sort keys %api_of)
	{
		my $exp = $sim->get("/_sim/expected?video_id=$vid&at=$at");
		my $want = $api_of{$vid} eq 'display'
		  ? join('|', $exp->{display}{view_count}, $exp->{display}{like_count}, '', 'display')
		  : join('|', $exp->{business}{video_views}, $exp->{business}{likes},
			$exp->{business}{reach}, 'business');
		my $got = $node->safe_psql('postgres', qq{
			SELECT concat_ws('|', views, likes, coalesce(reach::text, ''), source)
			FROM tiktrack.latest_snapshots WHERE video_id = $vid});
		$mismatch++, diag("video $vid: got $got, want $want") unless $got eq $want;
	}
	is($mismatch, 0, "round $round: latest_snapshots holds the simulator's values");
}

sub next_round
{
	my ($round, $at) = @_;
	$sim->post('/_sim/clock', { now => $at });
	$node->safe_psql('postgres', q{BEGIN;
		UPDATE tiktrack.video_schedule SET next_fetch_at = now();
		SELECT tiktrack.wake_worker_on_commit();
		COMMIT});
	TiktrackWorker::wait_for($node,
		"SELECT count(*) FILTER (WHERE snapshot_count = $round) FROM tiktrack.latest_snapshots",
		'6', 30, "round $round stored");
}

# Round 1: the direct way (first fetch: latest_snapshots rows inserted).
TiktrackWorker::wait_for($node, 'SELECT count(*) FROM tiktrack.latest_snapshots', '6', 60,
	'round 1 stored');
rows_agree(1);
values_exact($t0, 1);

# The first fetch wrote each video's metadata (directly): caption, posting
# time, duration, and the hashtags and mentions generated from the caption.
my $meta_mismatch = 0;
for my $c (@$creators)
{
	for my $v (@{ $c->{videos} })
	{
		# the Display API sends the first 150 characters of a caption
		my $caption = $c->{api} eq 'display' ? substr($v->{caption}, 0, 150) : $v->{caption};
		my $md5 = md5_hex(encode_utf8($caption));
		my $ok = $node->safe_psql('postgres', qq{
			SELECT md5(convert_to(caption, 'UTF8')) = '$md5'
			   AND posted_at = to_timestamp($v->{create_time})
			   AND duration_s = $v->{duration}
			   AND hashtags = tiktrack.caption_tags(caption, '#')
			   AND mentions = tiktrack.caption_tags(caption, '\@')
			   AND state = 'tracking' AND last_error IS NULL
			FROM tiktrack.videos WHERE id = $v->{id}});
		$meta_mismatch++, diag("video $v->{id}: metadata differs") unless $ok eq 't';
	}
}
is($meta_mismatch, 0, 'round 1: caption, posting time, duration, hashtags and mentions stored');
is($node->safe_psql('postgres', q{SELECT count(*) FROM tiktrack.videos WHERE cardinality(hashtags) > 0}),
	$node->safe_psql('postgres', q{SELECT count(*) FROM tiktrack.videos WHERE caption ~ '#[[:alnum:]_]'}),
	'every caption with a hashtag has its hashtags');

# Round 2: a user's trigger on snapshots; the statements store, and it fires.
$node->safe_psql('postgres', q{
	CREATE TABLE public.snapshot_audit (video_id bigint, captured_at timestamptz, views bigint);
	CREATE FUNCTION public.audit_snapshot() RETURNS trigger LANGUAGE plpgsql AS $$
	BEGIN
		INSERT INTO public.snapshot_audit VALUES (NEW.video_id, NEW.captured_at, NEW.views);
		RETURN NULL;
	END $$;
	CREATE TRIGGER user_audit AFTER INSERT ON tiktrack.snapshots
		FOR EACH ROW EXECUTE FUNCTION public.audit_snapshot();
});
next_round(2, $t0 + 3600);
rows_agree(2);
values_exact($t0 + 3600, 2);
is($node->safe_psql('postgres', q{
	SELECT count(*) || ' audited, ' || count(*) FILTER (WHERE (a.captured_at, a.views)
		IS NOT DISTINCT FROM (l.captured_at, l.views)) || ' as stored'
	FROM public.snapshot_audit a JOIN tiktrack.latest_snapshots l USING (video_id)}),
	'6 audited, 6 as stored', "the user's trigger fired for each snapshot the worker stored");

# Round 3: the trigger dropped, the direct way again.
$node->safe_psql('postgres', 'DROP TRIGGER user_audit ON tiktrack.snapshots');
next_round(3, $t0 + 7200);
rows_agree(3);
values_exact($t0 + 7200, 3);
is($node->safe_psql('postgres', 'SELECT count(*) FROM public.snapshot_audit'), '6',
	'no trigger, no audit row');
is($node->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots'), '18',
	'three snapshots of each video, none twice');

# Round 4: tiktrack.direct_access off; the claim and the store step run
# their statements only, with the same rows.
$node->safe_psql('postgres',
	'ALTER SYSTEM SET tiktrack.direct_access = off; SELECT pg_reload_conf()');
TiktrackWorker::wait_for($node, q{SELECT setting FROM pg_settings WHERE name = 'tiktrack.direct_access'},
	'off', 30, 'direct_access off');
next_round(4, $t0 + 10800);
rows_agree(4);
values_exact($t0 + 10800, 4);
is($node->safe_psql('postgres', 'SELECT count(*) FROM tiktrack.snapshots'), '24',
	'four snapshots of each video, none twice');

# The direct path keeps every index itself (primary keys without a
# uniqueness check when the key is unchanged): amcheck finds each index
# consistent, with an entry for every row version, and every key unique.
$node->safe_psql('postgres', 'CREATE EXTENSION amcheck');
is($node->safe_psql('postgres', q{
	SELECT count(*) FROM (
		SELECT public.bt_index_parent_check(c.oid, true)
		FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE c.relnamespace = 'tiktrack'::regnamespace
		  AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')) checked}),
	$node->safe_psql('postgres', q{
		SELECT count(*) FROM pg_index i JOIN pg_class c ON c.oid = i.indexrelid
		WHERE c.relnamespace = 'tiktrack'::regnamespace
		  AND c.relam = (SELECT oid FROM pg_am WHERE amname = 'btree')}),
	"every btree index of tiktrack's tables passes amcheck, every row version indexed");
is($node->safe_psql('postgres', q{
	SELECT (SELECT count(*) - count(DISTINCT video_id) FROM tiktrack.video_schedule)
		 + (SELECT count(*) - count(DISTINCT video_id) FROM tiktrack.latest_snapshots)}),
	'0', 'one schedule row and one latest_snapshots row per video');
is($node->safe_psql('postgres', q{SELECT count(*) FROM tiktrack.videos WHERE state = 'tracking'
	AND fetch_failures = 0 AND last_error IS NULL}), '6', 'every video tracking, no error');

done_testing();
