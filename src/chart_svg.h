/*-------------------------------------------------------------------------
 *
 * chart_svg.h
 *	  A line chart over time as a complete standalone SVG document: axes,
 *	  readable tick labels (UTC dates and times, 1.2M-style numbers), one
 *	  line per series and a legend, every text escaped for XML.
 *
 * Pure: no backend state and no allocation (output goes through a write
 * callback), so it is unit-tested standalone (test/unit/bi_render.c);
 * chart_sql.c is its SQL face.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_CHART_SVG_H
#define TIKTRACK_CHART_SVG_H

#include <stddef.h>

#define CHART_MIN_WIDTH 200
#define CHART_MAX_WIDTH 4000
#define CHART_MIN_HEIGHT 150
#define CHART_MAX_HEIGHT 4000

/* One line: n points in ascending time; a NaN value breaks the line. */
typedef struct ChartSeries
{
	const char *label;			/* UTF-8, unescaped */
	int			n;
	const double *t;			/* seconds since 1970-01-01 00:00 UTC */
	const double *v;
} ChartSeries;

typedef struct ChartSpec
{
	const char *title;			/* UTF-8, unescaped; NULL for none */
	const char *y_label;		/* what the values are, e.g. "views" */
	int			width;			/* pixels, CHART_MIN_WIDTH..CHART_MAX_WIDTH */
	int			height;
} ChartSpec;

typedef void (*ChartWrite) (void *ctx, const char *s, size_t len);

/* Writes the SVG document of the series through write(ctx, ...). */
extern void chart_svg_render(const ChartSpec *spec, const ChartSeries *series,
							 int nseries, ChartWrite write, void *ctx);

/*
 * The pieces, exposed for the unit tests.
 *
 * chart_format_number: 0, 12, 0.25, 950, 1.2K, 250K, 1.25M, 3B, -4.5K
 * (at most two decimals, trailing zeros dropped).
 */
extern void chart_format_number(double v, char *buf, size_t size);

/*
 * Nice axis ticks covering lo..hi: step is 1, 2, 2.5 or 5 times a power of
 * ten, first = the largest multiple of step <= lo, and count ticks up to the
 * smallest multiple >= hi, with count <= max_ticks + 1.
 */
extern void chart_nice_ticks(double lo, double hi, int max_ticks,
							 double *first, double *step, int *count);

/* The time step (seconds) for ticks over span seconds, at most max_ticks. */
extern double chart_time_step(double span, int max_ticks);

/*
 * Label of a time tick at t (UTC) for ticks step seconds apart: "May 22"
 * for steps of a day or more, "14:30" (or "14:30:15" under a minute), with
 * the date in front ("May 22 14:30") when with_date.
 */
extern void chart_format_time(double t, double step, int with_date,
							  char *buf, size_t size);

/* XML-escapes s (&, <, >, ", '; control characters XML forbids become '?'). */
extern void chart_write_escaped(ChartWrite write, void *ctx, const char *s,
								size_t max_chars);

#endif							/* TIKTRACK_CHART_SVG_H */
