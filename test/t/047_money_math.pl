# The holdout lift statistics, compiled standalone and checked against
# exact values (test/unit/money_math.c): normal quantiles and tails, lift,
# Katz interval, pooled z-test p-value, incremental conversions, the
# undefined cases and every rejected argument.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;

my $repo = "$FindBin::RealBin/../..";
my $bin = PostgreSQL::Test::Utils::tempdir() . '/money_math';
my $cc = $ENV{CC} // 'cc';
my $rc = system($cc, '-Wall', '-Werror', '-O1', "-I$repo/src", '-o', $bin,
	"$repo/test/unit/money_math.c", "$repo/src/money_math.c", '-lm');
is($rc, 0, 'the lift statistics build standalone (no backend needed)');
my $out = `$bin`;
is($out, "30 checks, 0 failed\n", 'quantiles, lift, interval and p-value give the exact values');
done_testing();
