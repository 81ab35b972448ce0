/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared memory of tiktrack: waking the worker on commit, the worker's
 *	  state and counters, and the rate limiters of TikTok's APIs.
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
#include "utils/timestamp.h"

#include "shmem.h"

TiktrackShared *tiktrack_shared = NULL;

static shmem_request_hook_type prev_shmem_request_hook = NULL;
static shmem_startup_hook_type prev_shmem_startup_hook = NULL;

const char *const tiktrack_limiter_names[TT_NUM_LIMITERS] = {
	"display /v2/video/query/",
	"display /v2/video/list/",
	"display /v2/user/info/",
	"business",
};

const char *const tiktrack_counter_names[TT_NUM_COUNTERS] = {
	"requests",
	"snapshots",
	"creator_stats",
	"videos_claimed",
	"rate_limit_waits",
	"rate_limited",
	"throttled",
	"auth",
	"network",
	"server_error",
	"malformed",
	"api_error",
	"worker_error",
};

const char *const tiktrack_worker_state_names[TT_NUM_WORKER_STATES] = {
	"stopped",
	"starting",
	"waiting for extension",
	"disabled",
	"idle",
	"claiming",
	"fetching",
	"writing",
	"maintenance",
	"rate limited",
};

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


/* ---- the worker's registration and state ---- */

void
tiktrack_worker_attach(Latch *latch)
{
	TimestampTz now = GetCurrentTimestamp();

	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	tiktrack_shared->worker_pid = MyProcPid;
	tiktrack_shared->worker_latch = latch;
	tiktrack_shared->worker_state = TT_WORKER_STARTING;
	tiktrack_shared->worker_state_since = now;
	tiktrack_shared->worker_started_at = now;
	tiktrack_shared->worker_restarts++;
	LWLockRelease(tiktrack_shared->lock);
}

/* on_shmem_exit callback: nobody may set a latch that is going away. */
void
tiktrack_worker_detach(int code, Datum arg)
{
	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	if (tiktrack_shared->worker_pid == MyProcPid)
	{
		tiktrack_shared->worker_pid = 0;
		tiktrack_shared->worker_latch = NULL;
		tiktrack_shared->worker_state = TT_WORKER_STOPPED;
		tiktrack_shared->worker_state_since = GetCurrentTimestamp();
		memset(tiktrack_shared->waiting_since, 0, sizeof(tiktrack_shared->waiting_since));
	}
	LWLockRelease(tiktrack_shared->lock);
}

void
tiktrack_set_worker_state(TiktrackWorkerState state)
{
	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	if (tiktrack_shared->worker_state != state)
	{
		tiktrack_shared->worker_state = state;
		tiktrack_shared->worker_state_since = GetCurrentTimestamp();
	}
	LWLockRelease(tiktrack_shared->lock);
}

void
tiktrack_note_success(int api, TimestampTz when)
{
	if (!tiktrack_shmem_available() || api < 0 || api >= TT_NUM_APIS)
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	if (when > tiktrack_shared->last_success[api])
		tiktrack_shared->last_success[api] = when;
	LWLockRelease(tiktrack_shared->lock);
}

void
tiktrack_note_waiting(const bool *known, const TimestampTz *since)
{
	int			api;

	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	for (api = 0; api < TT_NUM_APIS; api++)
		if (known[api])
			tiktrack_shared->waiting_since[api] = since[api];
	LWLockRelease(tiktrack_shared->lock);
}

/* ---- counters: per second for a minute, per minute for an hour ---- */

static int64 *
ring_slot(int64 *slot_keys, int64 (*slots)[TT_NUM_COUNTERS], int64 key)
{
	int			i = (int) (key % TT_RING_SLOTS);

	if (slot_keys[i] != key)
	{
		slot_keys[i] = key;
		memset(slots[i], 0, sizeof(slots[i]));
	}
	return slots[i];
}

void
tiktrack_count(TiktrackCounter counter, int64 n)
{
	TiktrackCounterRing *r;
	int64		second;

	if (!tiktrack_shmem_available() || n == 0)
		return;
	second = GetCurrentTimestamp() / USECS_PER_SEC;
	r = &tiktrack_shared->counters;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	ring_slot(r->second_of_slot, r->per_second, second)[counter] += n;
	ring_slot(r->minute_of_slot, r->per_minute, second / 60)[counter] += n;
	r->total[counter] += n;
	LWLockRelease(tiktrack_shared->lock);
}

/*
 * Sums the counters over the last 60 seconds and the last 60 minutes (the
 * current minute included, so "last hour" spans 60 to 61 minutes).
 */
void
tiktrack_read_counters(TimestampTz now, int64 *last_minute, int64 *last_hour,
					   int64 *total)
{
	TiktrackCounterRing *r;
	int64		second = now / USECS_PER_SEC;
	int			i,
				c;

	memset(last_minute, 0, sizeof(int64) * TT_NUM_COUNTERS);
	memset(last_hour, 0, sizeof(int64) * TT_NUM_COUNTERS);
	memset(total, 0, sizeof(int64) * TT_NUM_COUNTERS);
	if (!tiktrack_shmem_available())
		return;
	r = &tiktrack_shared->counters;
	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	for (i = 0; i < TT_RING_SLOTS; i++)
	{
		bool		in_minute = r->second_of_slot[i] > second - 60 &&
			r->second_of_slot[i] <= second;
		bool		in_hour = r->minute_of_slot[i] > second / 60 - 60 &&
			r->minute_of_slot[i] <= second / 60;

		for (c = 0; c < TT_NUM_COUNTERS; c++)
		{
			if (in_minute)
				last_minute[c] += r->per_second[i][c];
			if (in_hour)
				last_hour[c] += r->per_minute[i][c];
		}
	}
	memcpy(total, r->total, sizeof(int64) * TT_NUM_COUNTERS);
	LWLockRelease(tiktrack_shared->lock);
}

void
tiktrack_read_shared(TiktrackShared *copy)
{
	memset(copy, 0, sizeof(*copy));
	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	memcpy(copy, tiktrack_shared, sizeof(*copy));
	LWLockRelease(tiktrack_shared->lock);
	copy->lock = NULL;
	copy->worker_latch = NULL;
}

/* ---- rate limiters ---- */

void
tiktrack_rate_configure(TiktrackLimiter limiter, int nwindows,
						const int64 *limits, const int64 *windows_us)
{
	int64_t		l[RATE_MAX_WINDOWS];
	int64_t		w[RATE_MAX_WINDOWS];
	int			i;

	if (!tiktrack_shmem_available())
		return;
	for (i = 0; i < nwindows && i < RATE_MAX_WINDOWS; i++)
	{
		l[i] = limits[i];
		w[i] = windows_us[i];
	}
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	rate_limiter_configure(&tiktrack_shared->limiters[limiter], nwindows, l, w,
						   GetCurrentTimestamp());
	LWLockRelease(tiktrack_shared->lock);
}

int64
tiktrack_rate_acquire(TiktrackLimiter limiter, int n)
{
	int64		wait;

	if (!tiktrack_shmem_available())
		return 0;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	wait = rate_limiter_acquire(&tiktrack_shared->limiters[limiter],
								GetCurrentTimestamp(), n);
	LWLockRelease(tiktrack_shared->lock);
	return wait;
}

int
tiktrack_rate_available(TiktrackLimiter limiter, int max)
{
	int			avail;

	if (!tiktrack_shmem_available())
		return max;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	avail = rate_limiter_available(&tiktrack_shared->limiters[limiter],
								   GetCurrentTimestamp(), max);
	LWLockRelease(tiktrack_shared->lock);
	return avail;
}

void
tiktrack_rate_throttled(TiktrackLimiter limiter, int64 wait_us)
{
	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	rate_limiter_throttled(&tiktrack_shared->limiters[limiter],
						   GetCurrentTimestamp(), wait_us);
	LWLockRelease(tiktrack_shared->lock);
}

void
tiktrack_rate_succeeded(TiktrackLimiter limiter)
{
	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	rate_limiter_succeeded(&tiktrack_shared->limiters[limiter]);
	LWLockRelease(tiktrack_shared->lock);
}

void
tiktrack_rate_note_wait(TiktrackLimiter limiter, int64 wait_us)
{
	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	rate_limiter_note_wait(&tiktrack_shared->limiters[limiter], wait_us);
	LWLockRelease(tiktrack_shared->lock);
}
