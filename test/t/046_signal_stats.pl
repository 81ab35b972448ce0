# The signals' pure statistics, compiled standalone and checked against
# exact values (test/unit/signal_stats_test.c): percentile_cont with one
# element left out, the log-linear forecast with its floor at the views
# already seen, and the leave-one-out backtest.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;

my $repo = "$FindBin::RealBin/../..";
my $bin = PostgreSQL::Test::Utils::tempdir() . '/signal_stats_test';
my $cc = $ENV{CC} // 'cc';
my $rc = system($cc, '-Wall', '-Werror', '-O1', "-I$repo/src", '-o', $bin,
	"$repo/test/unit/signal_stats_test.c", "$repo/src/signal_stats.c", '-lm');
is($rc, 0, 'the statistics build standalone (no backend needed)');
my $out = `$bin`;
is($out, "25 checks, 0 failed\n", 'quantiles, forecast and backtest give the exact values');
done_testing();
