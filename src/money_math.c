/*-------------------------------------------------------------------------
 *
 * money_math.c
 *	  The normal distribution and holdout lift statistics (see
 *	  money_math.h); no backend state.
 *
 *-------------------------------------------------------------------------
 */
#include <math.h>

#include "money_math.h"

double
tt_normal_cdf(double x)
{
	/* erfc keeps full relative precision far in the lower tail. */
	return 0.5 * erfc(-x / M_SQRT2);
}

/*
 * Peter J. Acklam's approximation (relative error 1.15e-9), then one step
 * of Halley's method on Phi(x) - p, which brings it to machine precision.
 */
double
tt_normal_quantile(double p)
{
	static const double a[] = {-3.969683028665376e+01, 2.209460984245205e+02,
		-2.759285104469687e+02, 1.383577518672690e+02,
		-3.066479806614716e+01, 2.506628277459239e+00};
	static const double b[] = {-5.447609879822406e+01, 1.615858368580409e+02,
		-1.556989798598866e+02, 6.680131188771972e+01,
		-1.328068155288572e+01};
	static const double c[] = {-7.784894002430293e-03, -3.223964580411365e-01,
		-2.400758277161838e+00, -2.549732539343734e+00,
		4.374664141464968e+00, 2.938163982698783e+00};
	static const double d[] = {7.784695709041462e-03, 3.224671290700398e-01,
		2.445134137142996e+00, 3.754408661907416e+00};
	const double p_low = 0.02425;
	double		q,
				r,
				x,
				e,
				u;

	if (!(p > 0.0 && p < 1.0))
		return NAN;
	if (p < p_low)
	{
		q = sqrt(-2 * log(p));
		x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}
	else if (p <= 1 - p_low)
	{
		q = p - 0.5;
		r = q * q;
		x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q /
			(((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1);
	}
	else
	{
		q = sqrt(-2 * log1p(-p));
		x = -(((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5]) /
			((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1);
	}

	/* Halley refinement. */
	e = tt_normal_cdf(x) - p;
	u = e * sqrt(2 * M_PI) * exp(x * x / 2);
	return x - u / (1 + x * u / 2);
}

TtLiftInput
tt_holdout_lift(int64_t exposed_users, int64_t exposed_conversions,
				int64_t holdout_users, int64_t holdout_conversions,
				double confidence, TtLift *result)
{
	double		n1 = (double) exposed_users;
	double		a = (double) exposed_conversions;
	double		n2 = (double) holdout_users;
	double		c = (double) holdout_conversions;
	double		pooled;

	if (exposed_users <= 0)
		return TT_LIFT_EXPOSED_USERS;
	if (exposed_conversions < 0 || exposed_conversions > exposed_users)
		return TT_LIFT_EXPOSED_CONVERSIONS;
	if (holdout_users <= 0)
		return TT_LIFT_HOLDOUT_USERS;
	if (holdout_conversions < 0 || holdout_conversions > holdout_users)
		return TT_LIFT_HOLDOUT_CONVERSIONS;
	/* Written so that NaN fails too. */
	if (!(confidence > 0.0 && confidence < 1.0))
		return TT_LIFT_CONFIDENCE;

	result->exposed_rate = a / n1;
	result->holdout_rate = c / n2;
	result->incremental = a - result->holdout_rate * n1;

	result->lift_valid = holdout_conversions > 0;
	result->lift = result->lift_valid ? result->exposed_rate / result->holdout_rate - 1 : 0;

	/* Katz log interval: needs a conversion on both sides. */
	result->ci_valid = exposed_conversions > 0 && holdout_conversions > 0;
	if (result->ci_valid)
	{
		double		log_rr = log(result->exposed_rate) - log(result->holdout_rate);
		double		se = sqrt(1 / a - 1 / n1 + 1 / c - 1 / n2);
		/* Upper tail (1 - confidence) / 2: exact even when confidence is
		 * within an ulp of 1, where (1 + confidence) / 2 would round to 1. */
		double		z = -tt_normal_quantile((1 - confidence) / 2);

		result->ci_low = exp(log_rr - z * se) - 1;
		result->ci_high = exp(log_rr + z * se) - 1;
	}
	else
		result->ci_low = result->ci_high = 0;

	/* Pooled two-proportion z-test; undefined when nobody or everybody converted. */
	pooled = (a + c) / (n1 + n2);
	result->p_valid = pooled > 0 && pooled < 1;
	if (result->p_valid)
	{
		double		se0 = sqrt(pooled * (1 - pooled) * (1 / n1 + 1 / n2));
		double		z = (result->exposed_rate - result->holdout_rate) / se0;

		result->p_value = erfc(fabs(z) / M_SQRT2);
		if (result->p_value > 1)
			result->p_value = 1;
	}
	else
		result->p_value = 0;
	return TT_LIFT_OK;
}
