/*-------------------------------------------------------------------------
 *
 * chart_sql.c
 *	  SQL faces of the pictures: tiktrack.sparkline(float8[]) and
 *	  tiktrack.svg_line_chart(series, at, value, ...).
 *
 * The drawing is pure C in sparkline.c and chart_svg.c; this file checks
 * and converts SQL values, groups the points into series, and reports bad
 * input as ERRORs naming the value.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "catalog/pg_type.h"
#include "fmgr.h"
#include "lib/stringinfo.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/lsyscache.h"
#include "utils/timestamp.h"

#include "chart_svg.h"
#include "sparkline.h"

PG_FUNCTION_INFO_V1(tiktrack_sparkline);
PG_FUNCTION_INFO_V1(tiktrack_svg_line_chart);

/* Elements of a one-dimensional array (an empty array has 0 dimensions). */
static void
array_elements(ArrayType *a, Oid elemtype, const char *argname,
			   Datum **values, bool **nulls, int *n)
{
	int16		typlen;
	bool		typbyval;
	char		typalign;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array, got %d dimensions",
						argname, ARR_NDIM(a))));
	get_typlenbyvalalign(elemtype, &typlen, &typbyval, &typalign);
	deconstruct_array(a, elemtype, typlen, typbyval, typalign, values, nulls, n);
}

Datum
tiktrack_sparkline(PG_FUNCTION_ARGS)
{
	ArrayType  *a = PG_GETARG_ARRAYTYPE_P(0);
	Datum	   *elems;
	bool	   *nulls;
	double	   *values;
	char	   *out;
	int			n;
	int			bad;
	int			i;

	array_elements(a, FLOAT8OID, "values", &elems, &nulls, &n);
	values = palloc(sizeof(double) * Max(n, 1));
	for (i = 0; i < n; i++)
		values[i] = nulls[i] ? 0 : DatumGetFloat8(elems[i]);
	out = palloc((Size) n * SPARKLINE_MAX_BYTES_PER_VALUE + 1);
	if (sparkline_render(values, nulls, n, out, &bad) != SPARKLINE_OK)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("cannot draw a sparkline of %s (element %d)",
						values[bad] > 0 ? "Infinity" : "-Infinity", bad + 1),
				 errhint("Pass finite values; NULL and NaN are drawn as a space.")));
	PG_RETURN_TEXT_P(cstring_to_text(out));
}

/* ---- svg_line_chart ---- */

typedef struct ChartPoint
{
	const char *label;
	double		t;
	double		v;
	int			order;			/* position in the input */
} ChartPoint;

static int
point_cmp(const void *a, const void *b)
{
	const ChartPoint *p = a;
	const ChartPoint *q = b;
	int			c = strcmp(p->label, q->label);

	if (c != 0)
		return c;
	if (p->t != q->t)
		return p->t < q->t ? -1 : 1;
	return p->order - q->order;
}

typedef struct SeriesSlot
{
	ChartSeries s;
	int			first;			/* first appearance in the input */
} SeriesSlot;

static int
slot_cmp(const void *a, const void *b)
{
	return ((const SeriesSlot *) a)->first - ((const SeriesSlot *) b)->first;
}

static void
string_info_write(void *ctx, const char *s, size_t len)
{
	appendBinaryStringInfo((StringInfo) ctx, s, (int) len);
}

static double
timestamptz_to_unix_seconds(TimestampTz ts)
{
	/* TimestampTz counts from 2000-01-01 */
	return (double) ts / USECS_PER_SEC
		+ (double) (POSTGRES_EPOCH_JDATE - UNIX_EPOCH_JDATE) * SECS_PER_DAY;
}

/* Reads the three parallel arrays into points. */
static ChartPoint *
chart_points(FunctionCallInfo fcinfo, int *npoints)
{
	Datum	   *labels, *ats, *vals;
	bool	   *lnull, *anull, *vnull;
	int			nl, na, nv;
	ChartPoint *points;
	int			i;

	if (PG_ARGISNULL(0) || PG_ARGISNULL(1) || PG_ARGISNULL(2))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("series, at and value must not be NULL"),
				 errhint("Pass empty arrays for a chart without data.")));
	array_elements(PG_GETARG_ARRAYTYPE_P(0), TEXTOID, "series", &labels, &lnull, &nl);
	array_elements(PG_GETARG_ARRAYTYPE_P(1), TIMESTAMPTZOID, "at", &ats, &anull, &na);
	array_elements(PG_GETARG_ARRAYTYPE_P(2), FLOAT8OID, "value", &vals, &vnull, &nv);
	if (nl != na || na != nv)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("series, at and value must have the same length, got %d, %d and %d",
						nl, na, nv),
				 errhint("Pass one element of each per point, e.g. array_agg(handle), array_agg(captured_at), array_agg(views) over the same rows.")));

	points = palloc(sizeof(ChartPoint) * Max(nl, 1));
	for (i = 0; i < nl; i++)
	{
		TimestampTz ts;

		if (anull[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("at[%d] is NULL", i + 1),
					 errhint("Every point needs a time; a NULL value (not time) breaks the line.")));
		ts = DatumGetTimestampTz(ats[i]);
		if (TIMESTAMP_NOT_FINITE(ts))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("at[%d] is %s; a chart needs finite times", i + 1,
							TIMESTAMP_IS_NOBEGIN(ts) ? "-infinity" : "infinity")));
		points[i].label = lnull[i] ? "" : TextDatumGetCString(labels[i]);
		points[i].t = timestamptz_to_unix_seconds(ts);
		points[i].v = vnull[i] ? NAN : DatumGetFloat8(vals[i]);
		if (isinf(points[i].v))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("value[%d] is %s; a chart needs finite values", i + 1,
							points[i].v > 0 ? "Infinity" : "-Infinity")));
		points[i].order = i;
	}
	*npoints = nl;
	return points;
}

static int
dimension_arg(FunctionCallInfo fcinfo, int argno, const char *name, int lo, int hi)
{
	int			v;

	if (PG_ARGISNULL(argno))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("%s must not be NULL", name)));
	v = PG_GETARG_INT32(argno);
	if (v < lo || v > hi)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be between %d and %d pixels, got %d", name, lo, hi, v)));
	return v;
}

/*
 * svg_line_chart(series text[], at timestamptz[], value float8[],
 *				  title text, value_label text, width int, height int)
 */
Datum
tiktrack_svg_line_chart(PG_FUNCTION_ARGS)
{
	ChartSpec	spec;
	ChartPoint *points;
	SeriesSlot *slots;
	int			npoints;
	int			nseries = 0;
	ChartSeries *series;
	StringInfoData out;
	int			i;

	spec.width = dimension_arg(fcinfo, 5, "width", CHART_MIN_WIDTH, CHART_MAX_WIDTH);
	spec.height = dimension_arg(fcinfo, 6, "height", CHART_MIN_HEIGHT, CHART_MAX_HEIGHT);
	spec.title = PG_ARGISNULL(3) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(3));
	spec.y_label = PG_ARGISNULL(4) ? NULL : text_to_cstring(PG_GETARG_TEXT_PP(4));
	points = chart_points(fcinfo, &npoints);

	/* group by label, each group in time order, groups by first appearance */
	qsort(points, npoints, sizeof(ChartPoint), point_cmp);
	slots = palloc0(sizeof(SeriesSlot) * Max(npoints, 1));
	for (i = 0; i < npoints; i++)
	{
		SeriesSlot *slot;

		if (i == 0 || strcmp(points[i].label, points[i - 1].label) != 0)
		{
			slot = &slots[nseries++];
			slot->s.label = points[i].label;
			slot->first = points[i].order;
		}
		slot = &slots[nseries - 1];
		slot->s.n++;
		slot->first = Min(slot->first, points[i].order);
	}
	series = palloc(sizeof(ChartSeries) * Max(nseries, 1));
	{
		int			start = 0;

		for (i = 0; i < nseries; i++)
		{
			double	   *t = palloc(sizeof(double) * slots[i].s.n);
			double	   *v = palloc(sizeof(double) * slots[i].s.n);
			int			k;

			for (k = 0; k < slots[i].s.n; k++)
			{
				t[k] = points[start + k].t;
				v[k] = points[start + k].v;
			}
			start += slots[i].s.n;
			slots[i].s.t = t;
			slots[i].s.v = v;
		}
	}
	qsort(slots, nseries, sizeof(SeriesSlot), slot_cmp);
	for (i = 0; i < nseries; i++)
		series[i] = slots[i].s;

	initStringInfo(&out);
	chart_svg_render(&spec, series, nseries, string_info_write, &out);
	PG_RETURN_TEXT_P(cstring_to_text_with_len(out.data, out.len));
}
