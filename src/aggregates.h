/*-------------------------------------------------------------------------
 *
 * aggregates.h
 *	  State types of tiktrack's C aggregates (engagement_rate, roi, roas,
 *	  cpm, cpv, completion_weighted_views).
 *
 * Both states are fixed-size, pass-by-reference SQL types of their own
 * (not "internal"), so parallel workers and Citus shards can hand partial
 * states around without serialization functions.  The SQL declarations
 * (sql/install/30_aggregates.sql) repeat the sizes; the static assertions
 * in aggregates.c keep the two in step.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_AGGREGATES_H
#define TIKTRACK_AGGREGATES_H

#include "agg_math.h"

/*
 * tiktrack.ratio_state: a ratio of two sums.  num and den are exact sums
 * (engagements / views, revenue / cost, cost / views); count is the number
 * of rows that contributed, which a moving window needs to know when its
 * frame becomes empty.  Text form: (count,num,den).
 */
typedef struct RatioState
{
	int64		count;
	int128		num;
	int128		den;
} RatioState;

#define RATIO_STATE_SIZE 40

/*
 * tiktrack.weighted_sum_state: the sum of views x completion_rate as fixed
 * point with 64 fraction bits (see agg_math.h).  Text form:
 * (count,whole,frac) where the sum is whole + frac / 2^64.
 */
typedef struct WeightedSumState
{
	int64		count;
	uint64		frac;
	int128		whole;
} WeightedSumState;

#define WEIGHTED_SUM_STATE_SIZE 32

#endif							/* TIKTRACK_AGGREGATES_H */
