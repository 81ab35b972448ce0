/*-------------------------------------------------------------------------
 *
 * signal_stats.h
 *	  Pure statistics behind tiktrack's signals: percentile_cont over a
 *	  sorted sample (optionally with one element left out) and the
 *	  leave-one-out backtest of the log-linear view forecast.
 *
 * Nothing here touches backend state (no palloc, no ereport): callers pass
 * the memory, so the same code runs in the server and in the standalone
 * unit test test/unit/signal_stats_test.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_SIGNAL_STATS_H
#define TIKTRACK_SIGNAL_STATS_H

#include <stdint.h>

/*
 * percentile_cont(q) of the n sorted values x[0..n-1] (PostgreSQL's
 * definition: linear interpolation between the order statistics around
 * q * (n - 1)); with skip >= 0, of the n - 1 values left once x[skip] is
 * removed.  NaN when no value remains.
 */
extern double signal_quantile_sorted(const double *x, int n, int skip, double q);

/* One post of a backtest: its group (creator) and views at both ages. */
typedef struct SignalBacktestPost
{
	int64_t		group;			/* posts of one creator share a group */
	double		views_at_age;	/* V(a), a whole number >= 0 */
	double		views_at_horizon;	/* V(h), a whole number >= 0 */
} SignalBacktestPost;

typedef struct SignalBacktestResult
{
	int			posts;			/* posts that got a forecast */
	double		median_ape;		/* NaN when no post had V(h) > 0 */
	double		coverage;		/* NaN when posts = 0 */
	double		naive_median_ape;
} SignalBacktestResult;

/*
 * The forecast of one post from the growth ratios r = ln(V(h) + 1) -
 * ln(V(a) + 1) of its training posts (sorted, with element skip left out):
 * predicted, low and high, each rounded half away from zero and never
 * below views_at_age.
 */
extern void signal_forecast(double views_at_age, const double *r_sorted, int n, int skip,
							double confidence, double *predicted, double *low, double *high);

/*
 * Leave-one-out backtest: each post is forecast from the other posts of its
 * group when there are at least min_training of them, else from all other
 * posts when there are at least min_training, else it is not counted.
 * posts[] must be ordered by group.  work must hold 5 * n doubles.
 */
extern void signal_backtest(const SignalBacktestPost *posts, int n, double confidence,
							int min_training, double *work,
							SignalBacktestResult *result);

/* Median of n values (sorted in place); NaN when n = 0. */
extern double signal_median_inplace(double *x, int n);

#endif							/* TIKTRACK_SIGNAL_STATS_H */
