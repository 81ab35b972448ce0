/*-------------------------------------------------------------------------
 *
 * money_sql.c
 *	  SQL entry point of the money statistics: tiktrack.holdout_lift().
 *
 * The arithmetic lives in money_math.c; here are only argument checks
 * worded for SQL users and the result row.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/htup_details.h"
#include "fmgr.h"
#include "funcapi.h"

#include "money_math.h"

PG_FUNCTION_INFO_V1(tiktrack_holdout_lift);

/* ERROR naming the argument tt_holdout_lift() refused. */
static void
holdout_lift_reject(TtLiftInput bad, int64 n1, int64 a, int64 n2, int64 c, double confidence)
{
	switch (bad)
	{
		case TT_LIFT_EXPOSED_USERS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("exposed_users must be positive, got " INT64_FORMAT, n1)));
			break;
		case TT_LIFT_EXPOSED_CONVERSIONS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("exposed_conversions must be between 0 and exposed_users (" INT64_FORMAT "), got " INT64_FORMAT,
							n1, a),
					 errhint("Count each converting user once.")));
			break;
		case TT_LIFT_HOLDOUT_USERS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("holdout_users must be positive, got " INT64_FORMAT, n2),
					 errhint("Lift needs a holdout group that was not exposed.")));
			break;
		case TT_LIFT_HOLDOUT_CONVERSIONS:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("holdout_conversions must be between 0 and holdout_users (" INT64_FORMAT "), got " INT64_FORMAT,
							n2, c),
					 errhint("Count each converting user once.")));
			break;
		case TT_LIFT_CONFIDENCE:
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
					 errmsg("confidence must be between 0 and 1 (exclusive), got %g", confidence),
					 errhint("For a 95 %% interval pass 0.95.")));
			break;
		case TT_LIFT_OK:
			break;
	}
}

Datum
tiktrack_holdout_lift(PG_FUNCTION_ARGS)
{
	int64		n1 = PG_GETARG_INT64(0);
	int64		a = PG_GETARG_INT64(1);
	int64		n2 = PG_GETARG_INT64(2);
	int64		c = PG_GETARG_INT64(3);
	double		confidence = PG_GETARG_FLOAT8(4);
	TupleDesc	tupdesc;
	TtLift		r;
	TtLiftInput bad;
	Datum		values[7];
	bool		nulls[7] = {false};

	if (get_call_result_type(fcinfo, NULL, &tupdesc) != TYPEFUNC_COMPOSITE)
		elog(ERROR, "holdout_lift must return a row");
	tupdesc = BlessTupleDesc(tupdesc);

	bad = tt_holdout_lift(n1, a, n2, c, confidence, &r);
	if (bad != TT_LIFT_OK)
		holdout_lift_reject(bad, n1, a, n2, c, confidence);

	values[0] = Float8GetDatum(r.exposed_rate);
	values[1] = Float8GetDatum(r.holdout_rate);
	values[2] = Float8GetDatum(r.lift);
	nulls[2] = !r.lift_valid;
	values[3] = Float8GetDatum(r.ci_low);
	values[4] = Float8GetDatum(r.ci_high);
	nulls[3] = nulls[4] = !r.ci_valid;
	values[5] = Float8GetDatum(r.p_value);
	nulls[5] = !r.p_valid;
	values[6] = Float8GetDatum(r.incremental);

	PG_RETURN_DATUM(HeapTupleGetDatum(heap_form_tuple(tupdesc, values, nulls)));
}
