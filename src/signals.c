/*-------------------------------------------------------------------------
 *
 * signals.c
 *	  The signals layer's settings and its C entry points: the settings as
 *	  SQL values (so that SQL code reads them with the library loaded and
 *	  their defaults in force) and the leave-one-out forecast backtest over
 *	  arrays collected by tiktrack.forecast_backtest().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <math.h>

#include "access/htup_details.h"
#include "catalog/pg_type.h"
#include "fmgr.h"
#include "funcapi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "signal_stats.h"
#include "signals.h"
#include "worker.h"

PG_FUNCTION_INFO_V1(tiktrack_early_window);
PG_FUNCTION_INFO_V1(tiktrack_traction_breakout_threshold);
PG_FUNCTION_INFO_V1(tiktrack_forecast_backtest_arrays);

double		tiktrack_traction_breakout = 3.0;

void
signals_define_gucs(void)
{
	DefineCustomRealVariable("tiktrack.traction_breakout",
							 "Traction index from which a young post is a breakout.",
							 "tiktrack.traction() gives status breakout at or above it, "
							 "and the traction.breakout event fires.",
							 &tiktrack_traction_breakout, 3.0, 1.0, 1e6,
							 PGC_SIGHUP, 0, NULL, NULL, NULL);
}

/* The worker's early window (tiktrack.early_window) as an interval. */
Datum
tiktrack_early_window(PG_FUNCTION_ARGS)
{
	Interval   *result = palloc0(sizeof(Interval));

	result->time = (int64) tiktrack_early_window_s * USECS_PER_SEC;
	PG_RETURN_INTERVAL_P(result);
}

Datum
tiktrack_traction_breakout_threshold(PG_FUNCTION_ARGS)
{
	PG_RETURN_FLOAT8(tiktrack_traction_breakout);
}

/* A one-dimensional array without NULLs, or an ERROR naming the argument. */
static void
deconstruct_plain(ArrayType *a, Oid type, int typlen, bool byval, char align,
				  const char *name, Datum **values, int *n)
{
	bool	   *nulls;

	if (ARR_NDIM(a) > 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("%s must be a one-dimensional array", name)));
	deconstruct_array(a, type, typlen, byval, align, values, &nulls, n);
	for (int i = 0; i < *n; i++)
		if (nulls[i])
			ereport(ERROR,
					(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
					 errmsg("%s must not contain NULL", name)));
}

static Datum
float8_or_null(double v, bool *isnull)
{
	*isnull = isnan(v);
	return Float8GetDatum(v);
}

/*
 * forecast_backtest_arrays(groups bigint[], views_at_age float8[],
 * views_at_horizon float8[], confidence float8, min_training integer):
 * (posts, median_ape, coverage, naive_median_ape).  Posts of one group
 * must be adjacent.
 */
Datum
tiktrack_forecast_backtest_arrays(PG_FUNCTION_ARGS)
{
	Datum	   *groups,
			   *va,
			   *vh;
	int			n,
				n_va,
				n_vh;
	double		confidence = PG_GETARG_FLOAT8(3);
	int32		min_training = PG_GETARG_INT32(4);
	SignalBacktestPost *posts;
	SignalBacktestResult r;
	TupleDesc	tupdesc;
	Datum		values[4];
	bool		nulls[4] = {false, false, false, false};

	if (!(confidence > 0 && confidence < 1))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("confidence %g is out of range", confidence),
				 errhint("Give a fraction strictly between 0 and 1, such as 0.8.")));
	if (min_training < 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("min_training %d must be at least 1", min_training)));
	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "return type must be a row type");

	deconstruct_plain(PG_GETARG_ARRAYTYPE_P(0), INT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  "groups", &groups, &n);
	deconstruct_plain(PG_GETARG_ARRAYTYPE_P(1), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  "views_at_age", &va, &n_va);
	deconstruct_plain(PG_GETARG_ARRAYTYPE_P(2), FLOAT8OID, 8, FLOAT8PASSBYVAL, TYPALIGN_DOUBLE,
					  "views_at_horizon", &vh, &n_vh);
	if (n_va != n || n_vh != n)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("groups, views_at_age and views_at_horizon must have the same length (%d, %d, %d)",
						n, n_va, n_vh)));

	posts = palloc(sizeof(SignalBacktestPost) * Max(n, 1));
	for (int i = 0; i < n; i++)
	{
		posts[i].group = DatumGetInt64(groups[i]);
		posts[i].views_at_age = DatumGetFloat8(va[i]);
		posts[i].views_at_horizon = DatumGetFloat8(vh[i]);
		if (!(posts[i].views_at_age >= 0) || !(posts[i].views_at_horizon >= 0) ||
			isinf(posts[i].views_at_age) || isinf(posts[i].views_at_horizon))
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("views must be finite and >= 0 (element %d: %g, %g)",
							i + 1, posts[i].views_at_age, posts[i].views_at_horizon)));
	}
	signal_backtest(posts, n, confidence, min_training,
					palloc(sizeof(double) * 5 * Max(n, 1)), &r);

	values[0] = Int32GetDatum(r.posts);
	values[1] = float8_or_null(r.median_ape, &nulls[1]);
	values[2] = float8_or_null(r.coverage, &nulls[2]);
	values[3] = float8_or_null(r.naive_median_ape, &nulls[3]);
	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(BlessTupleDesc(tupdesc), values, nulls)));
}
