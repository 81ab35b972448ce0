# The worker's pure arithmetic, compiled standalone and checked against
# exact values (test/unit/worker_arith.c): the early and regular cadence,
# the last fetch at track_until, exponential backoff with equal jitter and
# its cap, the failing threshold, the token buckets' bursts and sliding-
# window guarantee (never more than the limit in any window), throttling
# by Retry-After with halved speed and its recovery, and reconfiguration.
use strict;
use warnings;
use PostgreSQL::Test::Utils;
use Test::More;
use FindBin;

my $repo = "$FindBin::RealBin/../..";
my $bin = PostgreSQL::Test::Utils::tempdir() . '/worker_arith';
my $cc = $ENV{CC} // 'cc';
my ($ok, $out, $err) = (0, '', '');
my $rc = system($cc, '-Wall', '-Werror', '-O1', "-I$repo/src", '-o', $bin,
	"$repo/test/unit/worker_arith.c", "$repo/src/schedule.c", "$repo/src/rate_limit.c");
is($rc, 0, 'the arithmetic builds standalone (no backend needed)');
$out = `$bin`;
is($out, "23 checks, 0 failed\n", 'cadence, backoff and token buckets give the exact values');
done_testing();
