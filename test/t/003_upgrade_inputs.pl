# ALTER EXTENSION tiktrack UPDATE with rows 0.1.0 accepted and 0.2.0's
# checks refuse (sql/upgrade/0.1.0--0.2.0/40_inputs.sql): infinite
# campaign dates become NULL, NaN / infinite watch times NULL, order ids
# are trimmed unless the trimmed id is taken; an infinite snapshot or sale
# time stops the update with a HINT, and once fixed the update goes
# through, every other row kept, and the KPIs work beyond bigint.
use strict;
use warnings;
use PostgreSQL::Test::Cluster;
use PostgreSQL::Test::Utils;
use Test::More;

my $node = PostgreSQL::Test::Cluster->new('upgrade_inputs');
$node->init;
$node->append_conf('postgresql.conf', "timezone = 'UTC'");
$node->start;

sub q1 { return $node->safe_psql('postgres', $_[0]); }

q1(q{
	CREATE EXTENSION tiktrack VERSION '0.1.0';
	SELECT tiktrack.create_campaign('Open', 'USD', 0, NULL, '-infinity', 'infinity');
	SELECT tiktrack.create_campaign('Half open', 'USD', 0, NULL, '2026-01-01', 'infinity');
	SELECT tiktrack.create_campaign('Whale', 'USD', 9223372036854775807);
	SELECT count(*) FROM tiktrack.add_posts(3, '[
		{"url": "https://www.tiktok.com/@alice/video/7300000000000000001", "creator_handle": "alice", "fee_cents": 9223372036854775807},
		{"url": "https://www.tiktok.com/embed/v2/7300000000000000002", "creator_handle": "bob"}]');
	SELECT tiktrack.record_conversion(3, 'alice', 9223372036854775807, '2026-05-01', ' X1 ');
	SELECT tiktrack.record_conversion(3, 'alice', 9223372036854775807, '2026-05-01', 'X1');
	SELECT tiktrack.record_conversion(3, 'alice', 1, '2026-05-01', ' X2');
	SELECT tiktrack.record_conversion(3, 'alice', 1, '2026-05-01', 'X2 ');
	SELECT tiktrack.record_conversion(3, 'alice', 1, '2026-05-01', E'X3\t');
	SELECT tiktrack.record_conversion(3, 'alice', 5, 'infinity', 'X9');
	INSERT INTO tiktrack.snapshots (video_id, captured_at, views, avg_watch_time_s, total_watch_time_s, source) VALUES
		(7300000000000000001, '2026-05-01', 5, 'NaN', 30, 'business'),
		(7300000000000000001, '2026-05-02', 6, 2.5, 'Infinity', 'business'),
		(7300000000000000001, 'infinity', 7, NULL, NULL, 'manual');
});
# 0.1.0 could not compute these beyond bigint
my ($ret, $out, $err) = $node->psql('postgres', 'SELECT count(*) FROM tiktrack.campaign_summary');
like($err, qr/bigint out of range/, '0.1.0: one campaign beyond bigint breaks campaign_summary');

($ret, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION tiktrack UPDATE');
like($err, qr/ERROR:  cannot update tiktrack: 1 snapshot\(s\) have an infinite captured_at\n.*\nHINT:  Delete them \(DELETE FROM tiktrack.snapshots WHERE NOT isfinite\(captured_at\)\), or give them their real time, then update again./,
	'an infinite snapshot time stops the update, with the fix in the HINT');
q1('DELETE FROM tiktrack.snapshots WHERE NOT isfinite(captured_at)');
($ret, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION tiktrack UPDATE');
like($err, qr/ERROR:  cannot update tiktrack: 1 conversion\(s\) have an infinite occurred_at\n.*\nHINT:  Give them their real time, e\.g\. UPDATE tiktrack\.conversions SET occurred_at = created_at WHERE NOT isfinite\(occurred_at\), then update again\./,
	'an infinite sale time stops the update, with the fix in the HINT');
is(q1("SELECT extversion FROM pg_extension WHERE extname = 'tiktrack'"), '0.1.0', 'nothing changed by the refused update');
q1('UPDATE tiktrack.conversions SET occurred_at = created_at WHERE NOT isfinite(occurred_at)');

($ret, $out, $err) = $node->psql('postgres', 'ALTER EXTENSION tiktrack UPDATE');
is($ret, 0, 'the update goes through once fixed');
like($err, qr/WARNING:  2 conversion\(s\) keep an order_id with surrounding blanks/, 'the order ids left untrimmed are reported');
is(q1("SELECT extversion FROM pg_extension WHERE extname = 'tiktrack'"), '0.2.0', 'updated');

is(q1("SELECT string_agg(name || ':' || coalesce(starts_at::text, 'NULL') || ':' || coalesce(ends_at::text, 'NULL'), ', ' ORDER BY id) FROM tiktrack.campaigns"),
	'Open:NULL:NULL, Half open:2026-01-01 00:00:00+00:NULL, Whale:NULL:NULL', 'infinite campaign dates are NULL');
is(q1("SELECT string_agg(captured_at::date || ':' || coalesce(avg_watch_time_s::text, 'NULL') || ':' || coalesce(total_watch_time_s::text, 'NULL'), ', ' ORDER BY captured_at) FROM tiktrack.snapshots"),
	'2026-05-01:NULL:30, 2026-05-02:2.5:NULL', 'NaN and infinite watch times are NULL');
is(q1("SELECT captured_at::date || ':' || views || ':' || coalesce(total_watch_time_s::text, 'NULL') || ':' || snapshot_count FROM tiktrack.latest_snapshots"),
	'2026-05-02:6:NULL:2', 'the latest snapshot is the real one again');
is(q1("SELECT string_agg(quote_literal(order_id), ', ' ORDER BY id) FROM tiktrack.conversions"),
	"' X1 ', 'X1', 'X2', 'X2 ', 'X3', 'X9'", 'order ids trimmed where the trimmed id is free');

# 0.2.0's checks hold for the upgraded tables, and the KPIs are exact.
($ret, $out, $err) = $node->psql('postgres', "UPDATE tiktrack.campaigns SET ends_at = 'infinity' WHERE name = 'Open'");
like($err, qr/violates check constraint "campaigns_dates_finite_check"/, 'the constraint holds after the update');
is(q1(q{SELECT spend_cents - 2 * 9223372036854775807::numeric || ' ' || gmv_cents - 2 * 9223372036854775807::numeric
		FROM tiktrack.campaign_metrics(3)}), '0 8', 'campaign_metrics: exact totals beyond bigint');
is(q1('SELECT count(*) FROM tiktrack.campaign_summary'), '3', 'campaign_summary: every campaign');
is(q1(q{SELECT tiktrack.track('https://www.tiktok.com/embed/v2/7300000000000000002', creator_handle => 'bob')}),
	'7300000000000000002', 'an embed video tracked by 0.1.0 gets its creator from track(url, creator_handle => ...)');
is(q1(q{SELECT v.url || ' ' || c.handle FROM tiktrack.videos v JOIN tiktrack.creators c ON c.id = v.creator_id
		WHERE v.id = 7300000000000000002}),
	'https://www.tiktok.com/@bob/video/7300000000000000002 bob', 'its canonical URL and creator');

$node->stop;
done_testing();
