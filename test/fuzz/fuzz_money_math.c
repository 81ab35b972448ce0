/*
 * libFuzzer target: tt_holdout_lift() on arbitrary counts and confidence
 * never crashes, refuses what is out of range, and otherwise returns
 * rates in 0..1, a p-value in 0..1 and an interval around the lift.
 *
 * FUZZ_SOURCES: src/money_math.c
 * FUZZ_LIBS: -lm
 */
#include <stdint.h>
#include <string.h>
#include <math.h>
#include <stdlib.h>

#include "money_math.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	int64_t		v[4];
	double		confidence;
	TtLift		r;
	double		tol;

	if (size < sizeof(v) + sizeof(confidence))
		return 0;
	memcpy(v, data, sizeof(v));
	memcpy(&confidence, data + sizeof(v), sizeof(confidence));
	if (tt_holdout_lift(v[0], v[1], v[2], v[3], confidence, &r) != TT_LIFT_OK)
		return 0;
	if (!(r.exposed_rate >= 0 && r.exposed_rate <= 1 && r.holdout_rate >= 0 && r.holdout_rate <= 1))
		abort();
	if (r.p_valid && !(r.p_value >= 0 && r.p_value <= 1))
		abort();
	/* The interval comes from exp(log(rate ratio)): allow rounding. */
	tol = 1e-9 * (1 + fabs(r.lift));
	if (r.ci_valid && r.lift_valid && !(r.ci_low <= r.lift + tol && r.lift <= r.ci_high + tol))
		abort();
	return 0;
}
