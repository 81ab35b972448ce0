/*-------------------------------------------------------------------------
 *
 * keyed_plan.c
 *	  Planner settings for the worker's statements that reach a batch's
 *	  rows by key.
 *
 * The claim and the read of a batch's credentials name their rows by id
 * (= ANY (ids), beside a join).  An index scan over those
 * ids is the cheapest way to their rows at any table size, and the only one
 * whose cost does not grow with the table.  But where a batch is a good
 * fraction of a small table (2,000 ids among 20,000 videos) the planner's
 * I/O model prefers a sequential scan of the whole table, which costs the
 * worker more CPU per row, every round.  So these statements are planned
 * with sequential scans disabled, for the statement only, as a function's
 * SET clause would: a cost penalty, not a ban, so a plan that has no other
 * way still works.  (Hash joins stay: the index scan's rows joined with the
 * batch's ids by hash is the good plan; with them disabled too, a nested
 * loop would run the whole = ANY scan once per id.)
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/guc.h"

#include "keyed_plan.h"

static void
keyed_plan_set(const char *name)
{
	(void) set_config_option(name, "off", PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
}

int
keyed_plan_begin(void)
{
	int			nest_level = NewGUCNestLevel();

	keyed_plan_set("enable_seqscan");
	return nest_level;
}

void
keyed_plan_end(int nest_level)
{
	AtEOXact_GUC(true, nest_level);
}
