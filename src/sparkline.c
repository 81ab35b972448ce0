/*-------------------------------------------------------------------------
 *
 * sparkline.c
 *	  Sparklines: a series of numbers as block characters, scaled to the
 *	  series' own minimum and maximum.  Pure; see sparkline.h.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>
#include <string.h>

#include "sparkline.h"

/* U+2581 LOWER ONE EIGHTH BLOCK .. U+2588 FULL BLOCK, in UTF-8. */
static const char *const bars[SPARKLINE_LEVELS] = {
	"\xe2\x96\x81", "\xe2\x96\x82", "\xe2\x96\x83", "\xe2\x96\x84",
	"\xe2\x96\x85", "\xe2\x96\x86", "\xe2\x96\x87", "\xe2\x96\x88"
};

/* The bar of a series whose known values are all equal. */
#define SPARKLINE_FLAT_LEVEL 3

int
sparkline_level(double v, double lo, double hi)
{
	double		span;
	double		pos;
	int			level;

	if (!(hi > lo))
		return SPARKLINE_FLAT_LEVEL;
	/* halves: hi - lo may overflow when the two are far apart */
	span = hi / 2 - lo / 2;
	pos = (v / 2 - lo / 2) / span;
	level = (int) floor(pos * (SPARKLINE_LEVELS - 1) + 0.5);
	if (level < 0)
		level = 0;
	if (level > SPARKLINE_LEVELS - 1)
		level = SPARKLINE_LEVELS - 1;
	return level;
}

SparklineResult
sparkline_render(const double *values, const bool *isnull, int n, char *out,
				 int *bad_index)
{
	double		lo = 0;
	double		hi = 0;
	bool		any = false;
	char	   *p = out;
	int			i;

	for (i = 0; i < n; i++)
	{
		double		v = values[i];

		if ((isnull && isnull[i]) || isnan(v))
			continue;
		if (isinf(v))
		{
			*bad_index = i;
			*out = '\0';
			return SPARKLINE_INFINITE;
		}
		if (!any || v < lo)
			lo = v;
		if (!any || v > hi)
			hi = v;
		any = true;
	}

	for (i = 0; i < n; i++)
	{
		double		v = values[i];

		if ((isnull && isnull[i]) || isnan(v))
			*p++ = ' ';
		else
		{
			memcpy(p, bars[sparkline_level(v, lo, hi)], 3);
			p += 3;
		}
	}
	*p = '\0';
	return SPARKLINE_OK;
}
