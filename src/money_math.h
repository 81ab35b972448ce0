/*-------------------------------------------------------------------------
 *
 * money_math.h
 *	  Statistics behind tiktrack.holdout_lift(): the normal distribution
 *	  and the lift of an exposed group over a holdout with its interval and
 *	  p-value.
 *
 * Pure arithmetic, free of backend state: the same code runs in the server
 * (src/money_sql.c), in the unit test test/unit/money_math.c and in the
 * fuzz target test/fuzz/fuzz_money_math.c.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_MONEY_MATH_H
#define TIKTRACK_MONEY_MATH_H

#include <stdbool.h>
#include <stdint.h>

/* Which arguments of tt_holdout_lift() are out of range, if any. */
typedef enum TtLiftInput
{
	TT_LIFT_OK,
	TT_LIFT_EXPOSED_USERS,		/* exposed_users <= 0 */
	TT_LIFT_EXPOSED_CONVERSIONS,	/* not in 0..exposed_users */
	TT_LIFT_HOLDOUT_USERS,		/* holdout_users <= 0 */
	TT_LIFT_HOLDOUT_CONVERSIONS,	/* not in 0..holdout_users */
	TT_LIFT_CONFIDENCE			/* not strictly between 0 and 1 */
} TtLiftInput;

/* The result; a false *_valid flag means SQL NULL (undefined there). */
typedef struct TtLift
{
	double		exposed_rate;
	double		holdout_rate;
	double		lift;
	bool		lift_valid;		/* holdout_rate > 0 */
	double		ci_low;
	double		ci_high;
	bool		ci_valid;		/* both groups have a conversion */
	double		p_value;
	bool		p_valid;		/* pooled rate strictly between 0 and 1 */
	double		incremental;
} TtLift;

/* Standard normal distribution function Phi(x). */
extern double tt_normal_cdf(double x);

/* Its inverse for 0 < p < 1 (Acklam's rational approximation refined by
 * one Halley step: relative error below 1e-15). */
extern double tt_normal_quantile(double p);

/*
 * Lift of the exposed group's conversion rate over the holdout's:
 *	 lift = (a / n1) / (c / n2) - 1,
 *	 interval exp(ln RR +- z se) - 1 with Katz's se = sqrt(1/a - 1/n1 + 1/c
 *	 - 1/n2) and z the normal quantile of (1 + confidence) / 2,
 *	 p-value of the pooled two-proportion z-test, two-sided,
 *	 incremental = a - (c / n2) n1.
 * Returns which argument is invalid (nothing is computed then).
 */
extern TtLiftInput tt_holdout_lift(int64_t exposed_users, int64_t exposed_conversions,
								   int64_t holdout_users, int64_t holdout_conversions,
								   double confidence, TtLift *result);

#endif							/* TIKTRACK_MONEY_MATH_H */
