# pg_dump / pg_restore round-trips the user's data: campaigns, creators,
# tracked videos and their snapshots survive, and the derived
# latest_snapshots table is rebuilt by its trigger on restore.  Tokens are
# never dumped: restored creators that were authorized read
# reauthorization_needed, saying why, and their videos wait (refresh()
# warns, naming the creator, sends nothing); an authorized creator whose
# tokens are gone otherwise is caught by the fetcher the same way.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('dump');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'");
$node->start;

$node->safe_psql('postgres', 'CREATE DATABASE src');
$node->safe_psql('src', q{
	CREATE EXTENSION tiktrack;
	SELECT tiktrack.track('https://www.tiktok.com/@alice/video/7234567890123456789');
	SELECT tiktrack.track('https://www.tiktok.com/@bob/video/7234567890123456790', '30 days');
	SELECT tiktrack.track('https://vm.tiktok.com/ZMabc123/');
	INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
		SELECT 7234567890123456789, timestamptz '2026-01-01' + g * interval '1 hour',
			   1000 * g, 100 * g, 10 * g, g, 'manual'
		FROM generate_series(1, 48) g;
	INSERT INTO tiktrack.campaigns (name, currency, agency_fee_cents) VALUES ('Spring', 'EUR', 5000);
	INSERT INTO tiktrack.campaign_posts (campaign_id, video_id, creator_id, fee_cents)
		SELECT 1, 7234567890123456789, id, 50000 FROM tiktrack.creators WHERE handle = 'alice';
	INSERT INTO tiktrack.conversions (campaign_id, creator_id, revenue_cents, order_id)
		SELECT 1, id, 120000, 'A-1' FROM tiktrack.creators WHERE handle = 'alice';
	-- alice and bob authorized (their sealed tokens stand in as bytes)
	INSERT INTO tiktrack.creator_tokens (creator_id, api, access_token, refresh_token, access_expires_at)
		SELECT id, 'display', '\x01', '\x02', now() + interval '1 day' FROM tiktrack.creators;
	UPDATE tiktrack.creators SET auth_status = 'authorized', authorized_via = 'display', authorized_at = now();
});

my $summary = q{
	SELECT (SELECT count(*) FROM tiktrack.creators) || ' creators, '
		|| (SELECT count(*) FROM tiktrack.videos) || ' videos, '
		|| (SELECT count(*) FROM tiktrack.snapshots) || ' snapshots, '
		|| (SELECT sum(views) FROM tiktrack.snapshots) || ' views, '
		|| (SELECT string_agg(name || ':' || currency || ':' || agency_fee_cents, ',') FROM tiktrack.campaigns) || ', '
		|| (SELECT sum(fee_cents) FROM tiktrack.campaign_posts) || ' fees, '
		|| (SELECT sum(revenue_cents) FROM tiktrack.conversions) || ' revenue, latest '
		|| (SELECT string_agg(video_id || '@' || captured_at || '=' || views || '/' || snapshot_count, ',')
			FROM tiktrack.latest_snapshots)
};
my $before = $node->safe_psql('src', $summary);
is($before,
	'2 creators, 3 videos, 48 snapshots, 1176000 views, Spring:EUR:5000, 50000 fees, 120000 revenue, latest '
	  . '7234567890123456789@2026-01-03 00:00:00+00=48000/48',
	'source database holds the data');

my $dump = $node->basedir . '/src.dump';
$node->command_ok([ 'pg_dump', '-Fc', '-d', $node->connstr('src'), '-f', $dump ], 'pg_dump');
$node->safe_psql('postgres', 'CREATE DATABASE restored');
$node->command_ok([ 'pg_restore', '--exit-on-error', '-d', $node->connstr('restored'), $dump ], 'pg_restore');

is($node->safe_psql('restored', $summary), $before, 'restored database holds the same data');

# Identity sequences continue after the restored rows, so new rows do not
# collide with old ones.
is($node->safe_psql('restored', q{
	INSERT INTO tiktrack.campaigns (name) VALUES ('Summer') RETURNING id}), '2',
	'campaign ids continue after restore');
ok($node->safe_psql('restored', q{SELECT tiktrack.track('https://vm.tiktok.com/ZMother1/')}) < -1,
	'placeholder ids continue after restore');

# Tokens stay out of dumps: the restored creators must authorize again.
my $auth = q{SELECT string_agg(handle || ':' || auth_status || ':' || authorized_via, ',' ORDER BY handle)
	|| ' tokens:' || (SELECT count(*) FROM tiktrack.creator_tokens) FROM tiktrack.creators};
is($node->safe_psql('src', $auth), 'alice:authorized:display,bob:authorized:display tokens:2',
	'source creators are authorized');
is($node->safe_psql('restored', $auth), 'alice:reauthorization_needed:display,bob:reauthorization_needed:display tokens:0',
	'restored creators without their tokens read reauthorization_needed');
my $why = 'tiktrack holds no tokens for @alice (tokens are never dumped: after a restore creators authorize again); '
  . 'reconnect with tiktrack.authorize_url() and tiktrack.complete_authorization(), or tiktrack.connect_creator()';
is($node->safe_psql('restored', q{SELECT last_error FROM tiktrack.creators WHERE handle = 'alice'}),
	"$why; the creator must authorize again", 'and say why in last_error');
my ($ret, $out, $err) = $node->psql('restored', 'SELECT tiktrack.refresh(7234567890123456789)');
like($err, qr/WARNING:  video 7234567890123456789 was not refreshed: creator \@alice has not authorized tiktrack \(auth_status reauthorization_needed\): .*; \Q$why\E/,
	'refresh() warns, naming the creator, that the tokens are missing and how to reconnect');
is($node->safe_psql('restored', q{
	SELECT state || ' ' || (SELECT count(*) FROM tiktrack.fetch_log) || ' ' || (last_error LIKE '%tiktrack holds no tokens for @alice%')
	FROM tiktrack.videos WHERE id = 7234567890123456789}),
	'awaiting_authorization 0 true', 'the video waits for an authorization; nothing was sent to TikTok');

($ret, $out, $err) = $node->psql('restored', "SELECT tiktrack.refresh_creator('alice')");
like($err, qr/WARNING:  creator \@alice was not refreshed: \Q$why\E; the creator must authorize again/,
	'refresh_creator() warns the same way');

# Without the restore trigger (tokens deleted by hand, or rows copied with
# triggers disabled) the fetcher finds the missing tokens itself.
$node->safe_psql('src', q{DELETE FROM tiktrack.creator_tokens t USING tiktrack.creators c
	WHERE c.id = t.creator_id AND c.handle = 'bob'});
($ret, $out, $err) = $node->psql('src', 'SELECT tiktrack.refresh(7234567890123456790)');
like($err, qr/WARNING:  video 7234567890123456790 was not refreshed: tiktrack holds no tokens for \@bob \(tokens are never dumped/,
	'refresh() of a creator marked authorized without tokens warns');
is($node->safe_psql('src', q{
	SELECT c.auth_status || ' ' || v.state || ' ' || (SELECT count(*) FROM tiktrack.fetch_log)
	FROM tiktrack.creators c JOIN tiktrack.videos v ON v.creator_id = c.id WHERE c.handle = 'bob'}),
	'reauthorization_needed awaiting_authorization 0', 'the creator reads reauthorization_needed, the video waits');

$node->stop;
done_testing();
