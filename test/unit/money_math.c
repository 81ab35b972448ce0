/*
 * Standalone checks of the holdout lift statistics (src/money_math.c)
 * against figures computed by hand (and R: qnorm, pnorm, prop.test without
 * continuity correction).  Built and run by test/t/047_money_math.pl;
 * prints each failed check and a summary line.
 */
#include <stdio.h>
#include <math.h>

#include "money_math.h"

static int	checks,
			failures;

static void
check_near(const char *what, double got, double want, double tol)
{
	checks++;
	if (!(fabs(got - want) <= tol))
	{
		failures++;
		printf("FAIL %s: got %.17g, want %.17g\n", what, got, want);
	}
}

static void
check_int(const char *what, long got, long want)
{
	checks++;
	if (got != want)
	{
		failures++;
		printf("FAIL %s: got %ld, want %ld\n", what, got, want);
	}
}

int
main(void)
{
	TtLift		r;

	/* Quantiles: qnorm(0.975), qnorm(0.9), qnorm(0.5), qnorm(1e-10). */
	check_near("quantile 0.975", tt_normal_quantile(0.975), 1.959963984540054, 1e-14);
	check_near("quantile 0.9", tt_normal_quantile(0.9), 1.2815515655446004, 1e-14);
	check_near("quantile 0.5", tt_normal_quantile(0.5), 0.0, 1e-15);
	check_near("quantile 1e-10", tt_normal_quantile(1e-10), -6.3613409024040557, 1e-12);
	check_near("quantile 1 - 1e-10", tt_normal_quantile(1 - 1e-10), 6.3613409024040557, 1e-6);
	check_int("quantile 0 is NaN", isnan(tt_normal_quantile(0.0)), 1);
	check_near("cdf 1.96", tt_normal_cdf(1.959963984540054), 0.975, 1e-15);
	check_near("cdf -8", tt_normal_cdf(-8), 6.2209605742717841e-16, 1e-28);

	/* 3 % of 10,000 exposed against 2 % of 10,000 held out. */
	check_int("valid", tt_holdout_lift(10000, 300, 10000, 200, 0.95, &r), TT_LIFT_OK);
	check_near("exposed rate", r.exposed_rate, 0.03, 1e-15);
	check_near("holdout rate", r.holdout_rate, 0.02, 1e-15);
	check_near("lift", r.lift, 0.5, 1e-14);
	/* se = sqrt(1/300 - 1/10000 + 1/200 - 1/10000) = 0.0901849950564579 */
	check_near("ci low", r.ci_low, exp(log(1.5) - 1.959963984540054 * 0.0901849950564579) - 1, 1e-12);
	check_near("ci high", r.ci_high, exp(log(1.5) + 1.959963984540054 * 0.0901849950564579) - 1, 1e-12);
	/* z = 0.01 / sqrt(0.025 * 0.975 * 2e-4) = 4.529108136578383 */
	check_near("p value", r.p_value, erfc(4.529108136578383 / sqrt(2)), 1e-18);
	check_near("incremental", r.incremental, 100, 1e-9);
	check_int("lift defined", r.lift_valid && r.ci_valid && r.p_valid, 1);

	/* No holdout conversion: lift and interval undefined, p defined. */
	tt_holdout_lift(1000, 30, 1000, 0, 0.9, &r);
	check_int("no holdout conversion: lift undefined", r.lift_valid || r.ci_valid, 0);
	check_int("no holdout conversion: p defined", r.p_valid, 1);
	check_near("no holdout conversion: incremental", r.incremental, 30, 0);
	/* Nobody converted: nothing but the rates is defined. */
	tt_holdout_lift(1000, 0, 1000, 0, 0.9, &r);
	check_int("nobody converted", r.lift_valid || r.ci_valid || r.p_valid, 0);
	/* Equal rates: lift 0, p 1. */
	tt_holdout_lift(500, 50, 200, 20, 0.95, &r);
	check_near("equal rates lift", r.lift, 0, 1e-15);
	check_near("equal rates p", r.p_value, 1, 1e-15);

	/* Bad arguments, each named. */
	check_int("n1 0", tt_holdout_lift(0, 0, 10, 1, 0.95, &r), TT_LIFT_EXPOSED_USERS);
	check_int("a > n1", tt_holdout_lift(10, 11, 10, 1, 0.95, &r), TT_LIFT_EXPOSED_CONVERSIONS);
	check_int("a < 0", tt_holdout_lift(10, -1, 10, 1, 0.95, &r), TT_LIFT_EXPOSED_CONVERSIONS);
	check_int("n2 < 0", tt_holdout_lift(10, 1, -5, 1, 0.95, &r), TT_LIFT_HOLDOUT_USERS);
	check_int("c > n2", tt_holdout_lift(10, 1, 10, 12, 0.95, &r), TT_LIFT_HOLDOUT_CONVERSIONS);
	check_int("confidence 1", tt_holdout_lift(10, 1, 10, 1, 1.0, &r), TT_LIFT_CONFIDENCE);
	check_int("confidence NaN", tt_holdout_lift(10, 1, 10, 1, NAN, &r), TT_LIFT_CONFIDENCE);

	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
