/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared memory of tiktrack and waking the worker on commit.
 *
 * The segment exists only when the library is preloaded; every function
 * here degrades to a no-op otherwise, so the SQL functions work without
 * shared_preload_libraries.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "fmgr.h"
#include "miscadmin.h"
#include "storage/ipc.h"
#include "storage/shmem.h"

#include "shmem.h"

TiktrackShared *tiktrack_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

static bool wake_callback_registered = false;
static bool wake_requested = false;

static void
tiktrack_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(sizeof(TiktrackShared)));
	RequestNamedLWLockTranche("tiktrack", 1);
}

static void
tiktrack_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	tiktrack_shared = ShmemInitStruct("tiktrack", sizeof(TiktrackShared), &found);
	if (!found)
	{
		memset(tiktrack_shared, 0, sizeof(TiktrackShared));
		tiktrack_shared->lock = &(GetNamedLWLockTranche("tiktrack"))->lock;
	}
	LWLockRelease(AddinShmemInitLock);
}

void
tiktrack_shmem_install_hooks(void)
{
	prev_shmem_request_hook = shmem_request_hook;
	shmem_request_hook = tiktrack_shmem_request;
	prev_shmem_startup_hook = shmem_startup_hook;
	shmem_startup_hook = tiktrack_shmem_startup;
}

bool
tiktrack_shmem_available(void)
{
	return tiktrack_shared != NULL;
}

/* Sets the worker's latch, if a worker is running. */
void
tiktrack_wake_worker(void)
{
	Latch	   *latch;

	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	latch = tiktrack_shared->worker_latch;
	if (latch != NULL)
		SetLatch(latch);
	LWLockRelease(tiktrack_shared->lock);
}

static void
wake_at_commit(XactEvent event, void *arg)
{
	switch (event)
	{
		case XACT_EVENT_COMMIT:
		case XACT_EVENT_PARALLEL_COMMIT:
			if (wake_requested)
				tiktrack_wake_worker();
			wake_requested = false;
			break;
		case XACT_EVENT_ABORT:
		case XACT_EVENT_PARALLEL_ABORT:
			wake_requested = false;
			break;
		default:
			break;
	}
}

PG_FUNCTION_INFO_V1(tiktrack_wake_worker_on_commit);

/*
 * SQL: tiktrack.wake_worker_on_commit().  A rolled-back transaction never
 * wakes the worker, and the worker never polls for new work.
 */
Datum
tiktrack_wake_worker_on_commit(PG_FUNCTION_ARGS)
{
	if (!wake_callback_registered)
	{
		RegisterXactCallback(wake_at_commit, NULL);
		wake_callback_registered = true;
	}
	wake_requested = true;
	PG_RETURN_VOID();
}
