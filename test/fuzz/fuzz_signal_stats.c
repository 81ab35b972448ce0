/*
 * libFuzzer target for the signals' statistics (src/signal_stats.c).
 *
 * FUZZ_SOURCES: src/signal_stats.c
 * FUZZ_LIBS: -lm
 *
 * The input is read as up to 64 posts of (group byte, views at age,
 * views at horizon as 24-bit counts) after a confidence byte.  Checks,
 * beyond "never crashes or reads out of bounds" (ASan, UBSan):
 *	- a quantile of a sorted sample with one element left out lies between
 *	  the smallest and the largest remaining element and equals the
 *	  quantile of the sample copied without that element;
 *	- every forecast satisfies views <= low <= predicted <= high;
 *	- the backtest counts at most n posts, its coverage is in [0, 1] and
 *	  its error medians are >= 0 (or NaN when nothing was measured).
 */
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "signal_stats.h"

static int
cmp_double(const void *a, const void *b)
{
	double		x = *(const double *) a;
	double		y = *(const double *) b;

	return (x > y) - (x < y);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	SignalBacktestPost posts[64];
	double		r[64],
				copy[64],
				work[5 * 64];
	int			n = 0;
	double		confidence;
	SignalBacktestResult res;

	if (size < 1)
		return 0;
	confidence = (data[0] % 99 + 1) / 100.0;	/* 0.01 .. 0.99 */
	for (size_t off = 1; off + 7 <= size && n < 64; off += 7)
	{
		posts[n].group = data[off] % 4;
		posts[n].views_at_age = (double) (data[off + 1] | data[off + 2] << 8 | data[off + 3] << 16);
		posts[n].views_at_horizon = (double) (data[off + 4] | data[off + 5] << 8 | data[off + 6] << 16);
		n++;
	}
	if (n == 0)
		return 0;

	/* Groups must be adjacent: sort the posts by group (stable enough). */
	for (int i = 1; i < n; i++)
		for (int j = i; j > 0 && posts[j - 1].group > posts[j].group; j--)
		{
			SignalBacktestPost t = posts[j];

			posts[j] = posts[j - 1];
			posts[j - 1] = t;
		}

	for (int i = 0; i < n; i++)
		r[i] = log(posts[i].views_at_horizon + 1) - log(posts[i].views_at_age + 1);
	qsort(r, n, sizeof(double), cmp_double);
	for (int skip = -1; skip < n; skip++)
	{
		int			m = 0;
		double		q = signal_quantile_sorted(r, n, skip, confidence);

		for (int i = 0; i < n; i++)
			if (i != skip)
				copy[m++] = r[i];
		if (m == 0)
		{
			if (!isnan(q))
				abort();
			continue;
		}
		if (q < copy[0] || q > copy[m - 1])
			abort();
		if (q != signal_quantile_sorted(copy, m, -1, confidence))
			abort();
		{
			double		p,
						lo,
						hi;

			signal_forecast(posts[0].views_at_age, r, n, skip, confidence, &p, &lo, &hi);
			if (!(posts[0].views_at_age <= lo && lo <= p && p <= hi))
				abort();
		}
	}

	signal_backtest(posts, n, confidence, 1 + data[0] % 6, work, &res);
	if (res.posts < 0 || res.posts > n)
		abort();
	if (res.posts > 0 && !(res.coverage >= 0 && res.coverage <= 1))
		abort();
	if (!isnan(res.median_ape) && res.median_ape < 0)
		abort();
	if (!isnan(res.naive_median_ape) && res.naive_median_ape < 0)
		abort();
	return 0;
}
