/*-------------------------------------------------------------------------
 *
 * shmem.c
 *	  Shared memory of tiktrack: a slot per database with a worker (its
 *	  latch, state and counters; waking it on commit), what the launcher
 *	  needs to know, and the rate limiters of TikTok's APIs.
 *
 * The segment exists only when the library is preloaded; every function
 * here degrades to a no-op otherwise, so the SQL functions work without
 * shared_preload_libraries.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <signal.h>

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

/* The slot of this worker's database (workers only). */
static TiktrackDatabaseSlot *my_slot = NULL;

static Size
tiktrack_shmem_size(void)
{
	/* No more databases can have a worker than there are worker processes. */
	return add_size(offsetof(TiktrackShared, slots),
					mul_size(Max(max_worker_processes, 1), sizeof(TiktrackDatabaseSlot)));
}

static void
tiktrack_shmem_request(void)
{
	if (prev_shmem_request_hook)
		prev_shmem_request_hook();
	RequestAddinShmemSpace(MAXALIGN(tiktrack_shmem_size()));
	RequestNamedLWLockTranche("tiktrack", 1);
}

static void
tiktrack_shmem_startup(void)
{
	bool		found;

	if (prev_shmem_startup_hook)
		prev_shmem_startup_hook();

	LWLockAcquire(AddinShmemInitLock, LW_EXCLUSIVE);
	tiktrack_shared = ShmemInitStruct("tiktrack", tiktrack_shmem_size(), &found);
	if (!found)
	{
		memset(tiktrack_shared, 0, tiktrack_shmem_size());
		tiktrack_shared->lock = &(GetNamedLWLockTranche("tiktrack"))->lock;
		tiktrack_shared->nslots = Max(max_worker_processes, 1);
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

/* The slot of a database, or NULL; the caller holds the lock. */
static TiktrackDatabaseSlot *
slot_of_database(Oid dboid)
{
	int			i;

	if (!OidIsValid(dboid))
		return NULL;
	for (i = 0; i < tiktrack_shared->nslots; i++)
		if (tiktrack_shared->slots[i].dboid == dboid)
			return &tiktrack_shared->slots[i];
	return NULL;
}

/*
 * Sets the latch of the worker of this session's database.  When this
 * database has no worker that found the extension (its install script
 * calls this, and the launcher may have looked a moment before), the
 * launcher is asked to look at the databases without a worker at once.
 */
void
tiktrack_wake_worker(void)
{
	TiktrackDatabaseSlot *slot;

	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	slot = slot_of_database(MyDatabaseId);
	if (slot != NULL && slot->worker_latch != NULL)
		SetLatch(slot->worker_latch);
	if (slot == NULL || slot->worker_state == TT_WORKER_STARTING)
	{
		tiktrack_shared->launcher_recheck_at = GetCurrentTimestamp();
		if (tiktrack_shared->launcher_latch != NULL)
			SetLatch(tiktrack_shared->launcher_latch);
	}
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

/* Wakes this database's worker when the transaction commits. */
void
tiktrack_wake_worker_at_commit(void)
{
	if (!wake_callback_registered)
	{
		RegisterXactCallback(wake_at_commit, NULL);
		wake_callback_registered = true;
	}
	wake_requested = true;
}

PG_FUNCTION_INFO_V1(tiktrack_wake_worker_on_commit);

/*
 * SQL: tiktrack.wake_worker_on_commit().  A rolled-back transaction never
 * wakes the worker, and the worker never polls for new work.
 */
Datum
tiktrack_wake_worker_on_commit(PG_FUNCTION_ARGS)
{
	tiktrack_wake_worker_at_commit();
	PG_RETURN_VOID();
}


/* ---- the launcher's side ---- */

void
tiktrack_launcher_attach(Latch *latch)
{
	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	tiktrack_shared->launcher_pid = MyProcPid;
	tiktrack_shared->launcher_latch = latch;
	LWLockRelease(tiktrack_shared->lock);
}

/* on_shmem_exit callback of the launcher. */
void
tiktrack_launcher_detach(int code, Datum arg)
{
	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	if (tiktrack_shared->launcher_pid == MyProcPid)
	{
		tiktrack_shared->launcher_pid = 0;
		tiktrack_shared->launcher_latch = NULL;
	}
	LWLockRelease(tiktrack_shared->lock);
}

/* When a session last created the extension somewhere (0: never). */
TimestampTz
tiktrack_launcher_recheck_requested_at(void)
{
	TimestampTz at;

	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	at = tiktrack_shared->launcher_recheck_at;
	LWLockRelease(tiktrack_shared->lock);
	return at;
}

/*
 * The slot of a database, assigned (zeroed) if it has none; -1 when every
 * slot is taken.  A database keeps its slot, and its counters, across
 * restarts of its worker.
 */
int
tiktrack_slot_assign(Oid dboid)
{
	TiktrackDatabaseSlot *slot;
	int			i;

	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	slot = slot_of_database(dboid);
	for (i = 0; slot == NULL && i < tiktrack_shared->nslots; i++)
	{
		if (!OidIsValid(tiktrack_shared->slots[i].dboid))
		{
			slot = &tiktrack_shared->slots[i];
			memset(slot, 0, sizeof(*slot));
			slot->dboid = dboid;
		}
	}
	if (slot != NULL)
		slot->exit_reason = TT_EXIT_UNKNOWN;
	LWLockRelease(tiktrack_shared->lock);
	return slot != NULL ? (int) (slot - tiktrack_shared->slots) : -1;
}

void
tiktrack_slot_release(int slot)
{
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	if (tiktrack_shared->slots[slot].worker_pid == 0)
		tiktrack_shared->slots[slot].dboid = InvalidOid;
	LWLockRelease(tiktrack_shared->lock);
}

/*
 * The slot of a database whose worker is attached (a worker that outlived
 * a previous launcher), with its pid; -1 if none.
 */
int
tiktrack_slot_of_running_worker(Oid dboid, pid_t *pid)
{
	TiktrackDatabaseSlot *slot;
	int			result = -1;

	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	slot = slot_of_database(dboid);
	if (slot != NULL && slot->worker_pid != 0)
	{
		*pid = slot->worker_pid;
		result = (int) (slot - tiktrack_shared->slots);
	}
	LWLockRelease(tiktrack_shared->lock);
	return result;
}

TiktrackWorkerExit
tiktrack_slot_exit_reason(int slot)
{
	TiktrackWorkerExit reason;

	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	reason = tiktrack_shared->slots[slot].exit_reason;
	LWLockRelease(tiktrack_shared->lock);
	return reason;
}

/* ---- databases that must be left alone for a while ---- */

TimestampTz
tiktrack_database_held_until(Oid dboid)
{
	TimestampTz until = 0;
	int			i;

	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	for (i = 0; i < TT_MAX_HOLDS; i++)
		if (tiktrack_shared->holds[i].dboid == dboid)
			until = tiktrack_shared->holds[i].until;
	LWLockRelease(tiktrack_shared->lock);
	return until;
}

/* Keeps the launcher from starting a worker in dboid before "until". */
void
tiktrack_hold_database(Oid dboid, TimestampTz until)
{
	TiktrackHold *use = NULL;
	int			i;

	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	/* the database's own entry, else a free or expired one, else the oldest */
	for (i = 0; i < TT_MAX_HOLDS; i++)
	{
		TiktrackHold *h = &tiktrack_shared->holds[i];

		if (h->dboid == dboid)
		{
			use = h;
			break;
		}
		if (use == NULL || h->until < use->until)
			use = h;
	}
	use->dboid = dboid;
	use->until = until;
	LWLockRelease(tiktrack_shared->lock);
}

/* Ends a hold early, and lets the launcher look at once. */
void
tiktrack_release_hold(Oid dboid)
{
	int			i;

	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	for (i = 0; i < TT_MAX_HOLDS; i++)
		if (tiktrack_shared->holds[i].dboid == dboid)
			tiktrack_shared->holds[i].dboid = InvalidOid;
	if (tiktrack_shared->launcher_latch != NULL)
		SetLatch(tiktrack_shared->launcher_latch);
	LWLockRelease(tiktrack_shared->lock);
}

/*
 * Sends SIGTERM to the worker attached in dboid, if any.  Under the lock,
 * so that the pid cannot be a stale one: a worker clears it under the
 * lock before it goes.
 */
void
tiktrack_terminate_database_worker(Oid dboid)
{
	TiktrackDatabaseSlot *slot;

	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	slot = slot_of_database(dboid);
	if (slot != NULL && slot->worker_pid != 0)
		(void) kill(slot->worker_pid, SIGTERM);
	LWLockRelease(tiktrack_shared->lock);
}

/* ---- the worker's registration and state ---- */

/*
 * Attaches the worker to the slot the launcher assigned to its database;
 * false if the slot is no longer this database's (nothing to do then).
 */
bool
tiktrack_worker_attach(int slot_no, Latch *latch)
{
	TimestampTz now = GetCurrentTimestamp();
	TiktrackDatabaseSlot *slot;

	if (!tiktrack_shmem_available() || slot_no < 0 || slot_no >= tiktrack_shared->nslots)
		return false;
	slot = &tiktrack_shared->slots[slot_no];
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	if (slot->dboid != MyDatabaseId || slot->worker_pid != 0)
	{
		LWLockRelease(tiktrack_shared->lock);
		return false;
	}
	slot->worker_pid = MyProcPid;
	slot->worker_latch = latch;
	slot->exit_reason = TT_EXIT_UNKNOWN;
	slot->worker_state = TT_WORKER_STARTING;
	slot->worker_state_since = now;
	slot->worker_started_at = now;
	slot->worker_restarts++;
	my_slot = slot;
	LWLockRelease(tiktrack_shared->lock);
	return true;
}

/*
 * on_shmem_exit callback: nobody may set a latch that is going away, and
 * the launcher learns at once that this database has no worker now.
 */
void
tiktrack_worker_detach(int code, Datum arg)
{
	if (my_slot == NULL)
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	if (my_slot->worker_pid == MyProcPid)
	{
		my_slot->worker_pid = 0;
		my_slot->worker_latch = NULL;
		my_slot->worker_state = TT_WORKER_STOPPED;
		my_slot->worker_state_since = GetCurrentTimestamp();
		memset(my_slot->waiting_since, 0, sizeof(my_slot->waiting_since));
		my_slot->videos_in_flight = 0;
	}
	if (tiktrack_shared->launcher_latch != NULL)
		SetLatch(tiktrack_shared->launcher_latch);
	LWLockRelease(tiktrack_shared->lock);
	my_slot = NULL;
}

void
tiktrack_worker_set_exit_reason(TiktrackWorkerExit reason)
{
	if (my_slot == NULL)
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	my_slot->exit_reason = reason;
	LWLockRelease(tiktrack_shared->lock);
}

void
tiktrack_set_worker_state(TiktrackWorkerState state)
{
	if (my_slot == NULL)
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	if (my_slot->worker_state != state)
	{
		my_slot->worker_state = state;
		my_slot->worker_state_since = GetCurrentTimestamp();
	}
	LWLockRelease(tiktrack_shared->lock);
}

void
tiktrack_set_videos_in_flight(int64 n)
{
	if (my_slot == NULL)
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	my_slot->videos_in_flight = n;
	LWLockRelease(tiktrack_shared->lock);
}

void
tiktrack_note_success(int api, TimestampTz when)
{
	if (my_slot == NULL || api < 0 || api >= TT_NUM_APIS)
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	if (when > my_slot->last_success[api])
		my_slot->last_success[api] = when;
	LWLockRelease(tiktrack_shared->lock);
}

void
tiktrack_note_waiting(const bool *known, const TimestampTz *since)
{
	int			api;

	if (my_slot == NULL)
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	for (api = 0; api < TT_NUM_APIS; api++)
		if (known[api])
			my_slot->waiting_since[api] = since[api];
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

	if (my_slot == NULL || n == 0)
		return;
	second = GetCurrentTimestamp() / USECS_PER_SEC;
	r = &my_slot->counters;
	LWLockAcquire(tiktrack_shared->lock, LW_EXCLUSIVE);
	ring_slot(r->second_of_slot, r->per_second, second)[counter] += n;
	ring_slot(r->minute_of_slot, r->per_minute, second / 60)[counter] += n;
	r->total[counter] += n;
	LWLockRelease(tiktrack_shared->lock);
}

/*
 * Sums a copied slot's counters over the last 60 seconds and the last 60
 * minutes (the current minute included, so "last hour" spans 60 to 61
 * minutes).
 */
void
tiktrack_read_counters(const TiktrackDatabaseSlot *slot, TimestampTz now,
					   int64 *last_minute, int64 *last_hour, int64 *total)
{
	const TiktrackCounterRing *r = &slot->counters;
	int64		second = now / USECS_PER_SEC;
	int			i,
				c;

	memset(last_minute, 0, sizeof(int64) * TT_NUM_COUNTERS);
	memset(last_hour, 0, sizeof(int64) * TT_NUM_COUNTERS);
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
}

bool
tiktrack_read_database_slot(Oid dboid, TiktrackDatabaseSlot *copy)
{
	TiktrackDatabaseSlot *slot;

	memset(copy, 0, sizeof(*copy));
	if (!tiktrack_shmem_available())
		return false;
	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	slot = slot_of_database(dboid);
	if (slot != NULL)
		memcpy(copy, slot, sizeof(*copy));
	LWLockRelease(tiktrack_shared->lock);
	copy->worker_latch = NULL;
	return slot != NULL;
}

void
tiktrack_read_limiters(RateLimiter *copy)
{
	memset(copy, 0, sizeof(RateLimiter) * TT_NUM_LIMITERS);
	if (!tiktrack_shmem_available())
		return;
	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	memcpy(copy, tiktrack_shared->limiters, sizeof(RateLimiter) * TT_NUM_LIMITERS);
	LWLockRelease(tiktrack_shared->lock);
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
