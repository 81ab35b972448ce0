/*-------------------------------------------------------------------------
 *
 * search_path.c
 *	  Pinning the search_path of tiktrack's own statements (see
 *	  search_path.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "utils/guc.h"

#include "search_path.h"

void
search_path_pin_session(void)
{
	/*
	 * PGC_S_SESSION, as a SET would: it outranks the database's and the
	 * role's settings (ALTER DATABASE/ROLE ... SET search_path) and the
	 * configuration file, which a reload re-reads.
	 */
	SetConfigOption("search_path", TIKTRACK_SEARCH_PATH, PGC_SUSET, PGC_S_SESSION);
}

Datum
search_path_call(PGFunction fn, FunctionCallInfo fcinfo)
{
	int			save_nestlevel = NewGUCNestLevel();
	Datum		result;

	(void) set_config_option("search_path", TIKTRACK_SEARCH_PATH,
							 superuser() ? PGC_SUSET : PGC_USERSET, PGC_S_SESSION,
							 GUC_ACTION_SAVE, true, 0, false);
	result = fn(fcinfo);
	AtEOXact_GUC(true, save_nestlevel);
	return result;
}
