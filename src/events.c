/*-------------------------------------------------------------------------
 *
 * events.c
 *	  tiktrack.events and its SQL face, tiktrack.events_enabled(), which
 *	  the functions sending NOTIFY tiktrack_events ask first (see
 *	  events.h).
 *
 * The SQL functions ask through a C function rather than
 * current_setting(): calling it loads the library, so the setting is
 * defined with its real privileges (PGC_SUSET) even in a session that has
 * not loaded tiktrack yet, where a placeholder any role could SET would
 * otherwise answer.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "utils/guc.h"

#include "events.h"

PG_FUNCTION_INFO_V1(tiktrack_events_enabled);

bool		tiktrack_events = true;

void
events_define_gucs(void)
{
	DefineCustomBoolVariable("tiktrack.events",
							 "Sends NOTIFY tiktrack_events (snapshot.created, tracking.completed, ...).",
							 "Any role that can connect may LISTEN; the payloads carry event names "
							 "and ids only.  Only a superuser can change this setting.",
							 &tiktrack_events,
							 true,
							 PGC_SUSET,
							 0,
							 NULL, NULL, NULL);
}

Datum
tiktrack_events_enabled(PG_FUNCTION_ARGS)
{
	PG_RETURN_BOOL(tiktrack_events);
}
