# The pictures: the pure drawing code standalone with exact values
# (test/unit/bi_render.c: sparklines, 1.2M-style numbers, nice ticks, time
# labels, XML escaping), then the charts SQL makes, as a user would look at
# them: chart_svg() and campaign_chart_svg() written to files, parsed by an
# XML parser (test/tools/svg_check.py, python3 xml.etree) for their title,
# legend, lines and ticks, and drawn by headless Chromium to PNGs of the
# requested size that show the lines in their colours.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use JSON::PP;
use FindBin;
use lib "$FindBin::RealBin/../perl";
use TiktrackSim;

my $repo = "$FindBin::RealBin/../..";
my $tmp = PostgreSQL::Test::Utils::tempdir();

# --- the pure drawing code, standalone -----------------------------------------
my $cc = $ENV{CC} // 'cc';
my $rc = system($cc, '-Wall', '-Werror', '-O1', "-I$repo/src", '-o', "$tmp/bi_render",
	"$repo/test/unit/bi_render.c", "$repo/src/sparkline.c", "$repo/src/chart_svg.c", '-lm');
is($rc, 0, 'sparkline.c and chart_svg.c build standalone (no backend needed)');
is(`$tmp/bi_render`, "49 checks, 0 failed\n", 'sparklines, number and time labels, ticks and escaping give the exact values');

# --- charts from SQL ----------------------------------------------------------
my $node = TiktrackSim::node('pictures');
sub q1 { return $node->safe_psql('postgres', shift); }
q1('CREATE EXTENSION tiktrack');
my $campaign = q1(q{SELECT tiktrack.create_campaign('Launch <"Spring"> & co', 'USD')});
q1(qq{SELECT count(*) FROM tiktrack.add_posts($campaign, '[
	{"url": "https://www.tiktok.com/\@alice/video/7000000000000000001", "creator_handle": "alice", "fee_cents": 50000},
	{"url": "https://www.tiktok.com/\@bob/video/7000000000000000002", "creator_handle": "bob", "fee_cents": 25000},
	{"url": "https://www.tiktok.com/\@bob/video/7000000000000000003", "creator_handle": "bob", "fee_cents": 25000}]')});
# three days of growth, every 3 hours; bob's second post starts a day late
q1(q{INSERT INTO tiktrack.snapshots (video_id, captured_at, views, likes, comments, shares, source)
	SELECT v.id, t, round(v.scale * (1 - exp(-h / 20.0))), round(v.scale * 0.08 * (1 - exp(-h / 20.0))), 10, 5, 'manual'
	FROM (VALUES (7000000000000000001, 1200000, 0), (7000000000000000002, 450000, 0),
				 (7000000000000000003, 300000, 24)) AS v(id, scale, late),
		 generate_series(0, 72, 3) AS h,
		 LATERAL (SELECT '2026-05-15 00:00+00'::timestamptz + make_interval(hours => h) AS t) x
	WHERE h >= v.late});

sub write_chart
{
	my ($name, $sql) = @_;
	my $svg = q1($sql);
	open(my $fh, '>:raw', "$tmp/$name.svg") or die "$tmp/$name.svg: $!";
	print $fh $svg;
	close($fh);
	return decode_json(`/usr/bin/python3 $repo/test/tools/svg_check.py svg $tmp/$name.svg`);
}

my $posts = write_chart('posts', 'SELECT tiktrack.chart_svg(ARRAY[7000000000000000001, 7000000000000000002, 7000000000000000003], width => 900, height => 450)');
is($posts->{root}, '{http://www.w3.org/2000/svg}svg', 'chart_svg: a well-formed SVG document');
is("$posts->{width}x$posts->{height}", '900x450', 'chart_svg: the size asked for');
is($posts->{title}, 'Views per post', 'chart_svg: title');
is_deeply($posts->{legend}, [ '@alice', "\@bob \x{2026}0002", "\@bob \x{2026}0003" ], 'chart_svg: legend with handles');
is($posts->{lines}, 3, 'chart_svg: one line per post');
is_deeply($posts->{y_ticks}, [ '0', '200K', '400K', '600K', '800K', '1M', '1.2M' ], 'chart_svg: 1.2M-style value ticks');
is_deeply($posts->{x_ticks}, [ 'May 15', 'May 16', 'May 17', 'May 18' ], 'chart_svg: date ticks');

my $total = write_chart('campaign', "SELECT tiktrack.campaign_chart_svg($campaign)");
is("$total->{width}x$total->{height}", '800x400', 'campaign_chart_svg: default size');
is($total->{title}, 'Launch <"Spring"> & co: views', 'campaign_chart_svg: the name, escaped, reads back as written');
is_deeply($total->{legend}, [ 'all 3 posts' ], 'campaign_chart_svg: one line for the campaign total');
is($total->{lines}, 1, 'campaign_chart_svg: one line');
is($total->{y_ticks}[-1], '2M', 'campaign_chart_svg: the axis reaches the total (1.95M)');

# --- drawn by a browser ---------------------------------------------------------
sub render
{
	my ($name, $w, $h) = @_;
	mkdir("$tmp/profile-$name");
	my @cmd = ('chromium', '--headless', '--no-sandbox', '--disable-gpu', '--disable-quic',
		'--no-first-run', '--disable-background-networking', '--disable-component-update',
		'--disable-sync', "--user-data-dir=$tmp/profile-$name", "--screenshot=$tmp/$name.png",
		"--window-size=$w,$h", "file://$tmp/$name.svg");
	my ($out, $err);
	IPC::Run::run(\@cmd, '>', \$out, '2>', \$err);
	ok(-s "$tmp/$name.png", "Chromium drew $name.svg") or diag($err);
	return decode_json(`/usr/bin/python3 $repo/test/tools/svg_check.py png $tmp/$name.png --colour 4e79a7 --colour f28e2b --colour e15759`);
}

my $png = render('posts', 900, 450);
is("$png->{width}x$png->{height}", '900x450', 'posts.png has the size of the chart');
cmp_ok($png->{non_white}, '>', 0.02, "posts.png is not blank ($png->{non_white} of it drawn)");
cmp_ok($png->{colours}{$_}, '>', 100, "posts.png shows the line in #$_ ($png->{colours}{$_} pixels)")
  for qw(4e79a7 f28e2b e15759);

$png = render('campaign', 800, 400);
is("$png->{width}x$png->{height}", '800x400', 'campaign.png has the size of the chart');
cmp_ok($png->{non_white}, '>', 0.02, "campaign.png is not blank ($png->{non_white} of it drawn)");
cmp_ok($png->{colours}{'4e79a7'}, '>', 100, 'campaign.png shows the total line');
is($png->{colours}{f28e2b}, 0, 'campaign.png has no second line');

$node->stop;
done_testing();
