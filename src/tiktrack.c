/*-------------------------------------------------------------------------
 *
 * tiktrack.c
 *	  Module entry point: defines the settings of every concern.
 *
 * Loading the library defines the settings.  Preloading it through
 * shared_preload_libraries additionally registers the launcher (which
 * starts a worker in every database with the extension), its shared
 * memory and the hook that keeps workers out of DROP DATABASE's way; a plain LOAD (or CREATE EXTENSION without
 * preloading) gives the synchronous SQL functions only.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "fmgr.h"
#include "miscadmin.h"
#include "utils/guc.h"

#include "endpoints.h"
#include "events.h"
#include "launcher.h"
#include "shmem.h"
#include "signals.h"
#include "tiktrack.h"
#include "worker.h"

PG_MODULE_MAGIC;

bool		tiktrack_worker_enabled = true;

void
_PG_init(void)
{
	DefineCustomBoolVariable("tiktrack.worker_enabled",
							 "Lets the background worker fetch scheduled snapshots.",
							 "When off, the worker stays connected but idle; "
							 "tiktrack.refresh() still works.",
							 &tiktrack_worker_enabled,
							 true,
							 PGC_SIGHUP,
							 0,
							 NULL, NULL, NULL);

	endpoints_define_gucs();
	events_define_gucs();
	worker_define_gucs();
	signals_define_gucs();

	MarkGUCPrefixReserved("tiktrack");

	if (process_shared_preload_libraries_in_progress)
	{
		tiktrack_shmem_install_hooks();
		launcher_install_hooks();
		/* pg_upgrade must not see a worker writing to the new cluster. */
		if (!IsBinaryUpgrade)
			launcher_register();
	}
}
