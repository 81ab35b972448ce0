/*
 * Standalone checks of the signals' pure statistics (src/signal_stats.c):
 * percentile_cont with and without one element left out, the log-linear
 * forecast and its floor at the views already seen, and the leave-one-out
 * backtest's choice of training posts, error and coverage.  Built and run
 * by test/t/046_signal_stats.pl; prints each failed check and a summary.
 */
#include <math.h>
#include <stdio.h>

#include "signal_stats.h"

static int	checks,
			failures;

static void
check(const char *what, double got, double want)
{
	checks++;
	if (isnan(want) ? !isnan(got) : fabs(got - want) > 1e-9 * fmax(1.0, fabs(want)))
	{
		failures++;
		printf("FAIL %s: got %.12g, want %.12g\n", what, got, want);
	}
}

int
main(void)
{
	double		x[] = {1, 2, 3, 4};
	double		one[] = {7};
	double		p,
				lo,
				hi;
	double		work[5 * 8];
	SignalBacktestResult r;

	/* percentile_cont: PostgreSQL's definition. */
	check("median of 1..4", signal_quantile_sorted(x, 4, -1, 0.5), 2.5);
	check("p10 of 1..4", signal_quantile_sorted(x, 4, -1, 0.1), 1.3);
	check("p0 of 1..4", signal_quantile_sorted(x, 4, -1, 0.0), 1);
	check("p100 of 1..4", signal_quantile_sorted(x, 4, -1, 1.0), 4);
	check("median of 1,3,4 (2 left out)", signal_quantile_sorted(x, 4, 1, 0.5), 3);
	check("p25 of 1,2,3 (4 left out)", signal_quantile_sorted(x, 4, 3, 0.25), 1.5);
	check("p75 of 2,3,4 (1 left out)", signal_quantile_sorted(x, 4, 0, 0.75), 3.5);
	check("one value", signal_quantile_sorted(one, 1, -1, 0.9), 7);
	check("nothing left", signal_quantile_sorted(one, 1, 0, 0.5), NAN);
	check("empty", signal_quantile_sorted(x, 0, -1, 0.5), NAN);

	/* Forecast: (v + 1) e^r - 1, rounded half away from zero, floored. */
	{
		double		r2[] = {log(2.0), log(2.0), log(3.0)};
		double		neg[] = {log(0.5), log(0.5)};

		signal_forecast(100, r2, 3, -1, 0.8, &p, &lo, &hi);
		check("predicted x2", p, 201);
		check("low x2", lo, 201);
		/* q 0.9 of (ln2, ln2, ln3) = ln2 + 0.8 (ln3 - ln2): 101 x 2^0.2 x 3^0.8 - 1 */
		check("high", hi, round(101 * pow(2, 0.2) * pow(3, 0.8) - 1));
		signal_forecast(100, neg, 2, -1, 0.8, &p, &lo, &hi);
		check("never below views: predicted", p, 100);
		check("never below views: high", hi, 100);
		signal_forecast(0.5, r2, 3, 2, 0.8, &p, &lo, &hi);
		check("half rounds away from zero", p, 2);	/* 1.5 x 2 - 1 = 2 */
	}

	/* Backtest: group 1 has 6 posts that exactly double (V + 1); group 2
	 * has one post, forecast from all 6 others; it triples. */
	{
		SignalBacktestPost posts[7] = {
			{1, 9, 19}, {1, 99, 199}, {1, 4, 9}, {1, 49, 99}, {1, 0, 1}, {1, 999, 1999},
			{2, 99, 299}};

		signal_backtest(posts, 7, 0.8, 5, work, &r);
		check("posts", r.posts, 7);
		/* group 1: exact; group 2 predicted 199 against 299 */
		check("median ape", r.median_ape, 0);
		check("coverage", r.coverage, 6.0 / 7.0);
		/* naive: (vh - va) / vh = 0.5+ for group 1: 10/19, 100/199, 5/9, 50/99, 1, 1000/1999, 200/299 */
		check("naive median ape", r.naive_median_ape, 10.0 / 19.0);

		/* min_training 6: group 1's posts have only 5 others, so all 6
		 * others (one tripling) train them: the median stays ln 2. */
		signal_backtest(posts, 7, 0.8, 6, work, &r);
		check("posts (min 6)", r.posts, 7);
		check("coverage (min 6)", r.coverage, 6.0 / 7.0);

		/* Too few anywhere: nothing is counted. */
		signal_backtest(posts, 3, 0.8, 5, work, &r);
		check("too few: posts", r.posts, 0);
		check("too few: coverage", r.coverage, NAN);
		check("too few: median ape", r.median_ape, NAN);
	}

	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
