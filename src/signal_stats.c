/*-------------------------------------------------------------------------
 *
 * signal_stats.c
 *	  Pure statistics behind tiktrack's signals (see signal_stats.h).
 *
 * The forecast is Szabo and Huberman's log-linear growth: a post's
 * ln(V(h) + 1) - ln(V(a) + 1) is about the same for posts of one creator,
 * so the median ratio of the training posts predicts it, and their
 * empirical quantiles bound it.  tiktrack.forecast_views() computes the
 * same in SQL (percentile_cont); this file serves the leave-one-out
 * backtest, where sorting once and leaving each post out by index turns
 * an O(n^2) job into O(n log n).
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <stdlib.h>

#include "signal_stats.h"

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

/* x[j] of the array x with x[skip] removed (skip < 0: nothing removed). */
static inline double
element_without(const double *x, int skip, int j)
{
	return (skip >= 0 && j >= skip) ? x[j + 1] : x[j];
}

double
signal_quantile_sorted(const double *x, int n, int skip, double q)
{
	int			m = (skip >= 0) ? n - 1 : n;
	double		pos;
	int			lo;
	double		frac,
				a,
				b;

	if (m <= 0)
		return NAN;
	pos = q * (m - 1);
	lo = (int) floor(pos);
	if (lo < 0)
		lo = 0;
	if (lo > m - 1)
		lo = m - 1;
	frac = pos - lo;
	a = element_without(x, skip, lo);
	if (frac <= 0 || lo + 1 > m - 1)
		return a;
	b = element_without(x, skip, lo + 1);
	return a + frac * (b - a);
}

double
signal_median_inplace(double *x, int n)
{
	if (n <= 0)
		return NAN;
	qsort(x, n, sizeof(double), cmp_double);
	return signal_quantile_sorted(x, n, -1, 0.5);
}

static double
forecast_point(double views, double r)
{
	double		v = round((views + 1.0) * exp(r) - 1.0);

	return v < views ? views : v;
}

void
signal_forecast(double views_at_age, const double *r_sorted, int n, int skip,
				double confidence, double *predicted, double *low, double *high)
{
	*predicted = forecast_point(views_at_age,
								signal_quantile_sorted(r_sorted, n, skip, 0.5));
	*low = forecast_point(views_at_age,
						  signal_quantile_sorted(r_sorted, n, skip, (1.0 - confidence) / 2.0));
	*high = forecast_point(views_at_age,
						   signal_quantile_sorted(r_sorted, n, skip, (1.0 + confidence) / 2.0));
}

/* Index of the first element >= v in the sorted x[0..n-1]. */
static int
lower_bound(const double *x, int n, double v)
{
	int			lo = 0,
				hi = n;

	while (lo < hi)
	{
		int			mid = lo + (hi - lo) / 2;

		if (x[mid] < v)
			lo = mid + 1;
		else
			hi = mid;
	}
	return lo;
}

static double
growth_ratio(const SignalBacktestPost *p)
{
	return log(p->views_at_horizon + 1.0) - log(p->views_at_age + 1.0);
}

void
signal_backtest(const SignalBacktestPost *posts, int n, double confidence,
				int min_training, double *work, SignalBacktestResult *result)
{
	double	   *all_sorted = work;
	double	   *group_sorted = work + n;
	double	   *ape = work + 2 * n;
	double	   *naive = work + 3 * n;
	double	   *r = work + 4 * n;
	int			n_ape = 0,
				covered = 0,
				counted = 0;
	int			start;

	for (int i = 0; i < n; i++)
	{
		r[i] = growth_ratio(&posts[i]);
		all_sorted[i] = r[i];
	}
	qsort(all_sorted, n, sizeof(double), cmp_double);

	/* One group (a run of equal group keys) at a time. */
	for (start = 0; start < n;)
	{
		int			end = start;
		int			size;

		while (end < n && posts[end].group == posts[start].group)
			end++;
		size = end - start;
		for (int i = start; i < end; i++)
			group_sorted[i] = r[i];
		qsort(group_sorted + start, size, sizeof(double), cmp_double);

		for (int i = start; i < end; i++)
		{
			const double *sample;
			int			sample_n;
			double		predicted,
						low,
						high;
			double		actual = posts[i].views_at_horizon;

			if (size - 1 >= min_training)
			{
				sample = group_sorted + start;
				sample_n = size;
			}
			else if (n - 1 >= min_training)
			{
				sample = all_sorted;
				sample_n = n;
			}
			else
				continue;
			signal_forecast(posts[i].views_at_age, sample, sample_n,
							lower_bound(sample, sample_n, r[i]), confidence,
							&predicted, &low, &high);
			counted++;
			if (actual >= low && actual <= high)
				covered++;
			if (actual > 0)
			{
				ape[n_ape] = fabs(predicted - actual) / actual;
				naive[n_ape] = fabs(posts[i].views_at_age - actual) / actual;
				n_ape++;
			}
		}
		start = end;
	}

	result->posts = counted;
	result->coverage = counted > 0 ? (double) covered / counted : NAN;
	result->median_ape = signal_median_inplace(ape, n_ape);
	result->naive_median_ape = signal_median_inplace(naive, n_ape);
}
