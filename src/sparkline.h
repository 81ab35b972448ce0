/*-------------------------------------------------------------------------
 *
 * sparkline.h
 *	  A row of block characters (U+2581 .. U+2588) drawing a series of
 *	  numbers in one text cell, for psql result grids.
 *
 * Pure: no backend state, no allocation (the caller gives the buffer), so
 * it is unit-tested standalone (test/unit/bi_render.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_SPARKLINE_H
#define TIKTRACK_SPARKLINE_H

#include <stdbool.h>
#include <stddef.h>

/* Each bar is 3 bytes of UTF-8; a missing value is 1 byte (a space). */
#define SPARKLINE_MAX_BYTES_PER_VALUE 3

/* Number of bar heights: ▁▂▃▄▅▆▇█. */
#define SPARKLINE_LEVELS 8

typedef enum SparklineResult
{
	SPARKLINE_OK = 0,
	SPARKLINE_INFINITE			/* a value is +/-Infinity */
} SparklineResult;

/*
 * Writes the sparkline of values[0..n-1] into out (at least
 * n * SPARKLINE_MAX_BYTES_PER_VALUE + 1 bytes), NUL-terminated.  A value
 * whose isnull[i] is true (isnull may be NULL) or that is NaN is drawn as
 * a space.  The lowest value is ▁ and the highest █, linearly in between
 * (rounded to the nearest level); when all known values are equal every
 * bar is ▄.  *bad_index names the offending value on error.
 */
extern SparklineResult sparkline_render(const double *values, const bool *isnull,
										int n, char *out, int *bad_index);

/* The level 0..7 of v between lo and hi (lo <= v <= hi, all finite). */
extern int	sparkline_level(double v, double lo, double hi);

#endif							/* TIKTRACK_SPARKLINE_H */
