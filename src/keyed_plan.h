/*-------------------------------------------------------------------------
 *
 * keyed_plan.h
 *	  Planner settings for the worker's statements that reach a batch's
 *	  rows by key (see keyed_plan.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_KEYED_PLAN_H
#define TIKTRACK_KEYED_PLAN_H

/*
 * From keyed_plan_begin() to keyed_plan_end(its result), statements are
 * planned to reach rows by index; an error in between undoes it with its
 * (sub)transaction.
 */
extern int	keyed_plan_begin(void);
extern void keyed_plan_end(int nest_level);

#endif							/* TIKTRACK_KEYED_PLAN_H */
