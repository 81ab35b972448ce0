/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  The small piece of shared memory through which backends reach the
 *	  background worker (to wake it) and read its state and counters, and
 *	  in which the rate limiters of TikTok's APIs live.
 *
 * Only plain values live here: never a pointer to process-local memory,
 * a file descriptor or a curl handle.  The latch pointers of the workers
 * and the launcher are the one exception PostgreSQL itself allows (PGPROC
 * latches are in shared memory).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_SHMEM_H
#define TIKTRACK_SHMEM_H

#include "datatype/timestamp.h"
#include "storage/latch.h"
#include "storage/lwlock.h"

#include "rate_limit.h"

/* One rate limiter per API, per endpoint for the Display API. */
typedef enum TiktrackLimiter
{
	TT_LIMIT_DISPLAY_VIDEO_QUERY = 0,
	TT_LIMIT_DISPLAY_VIDEO_LIST,
	TT_LIMIT_DISPLAY_USER_INFO,
	TT_LIMIT_BUSINESS,
	TT_NUM_LIMITERS
} TiktrackLimiter;

extern const char *const tiktrack_limiter_names[TT_NUM_LIMITERS];

/* What the worker counts for tiktrack.worker_status. */
typedef enum TiktrackCounter
{
	TT_COUNT_REQUESTS = 0,		/* HTTP requests sent */
	TT_COUNT_SNAPSHOTS,			/* video snapshots written */
	TT_COUNT_CREATOR_STATS,		/* creator stats rows written */
	TT_COUNT_VIDEOS_CLAIMED,
	TT_COUNT_RATE_LIMIT_WAITS,	/* requests postponed by our own buckets */
	/* errors, by kind */
	TT_COUNT_ERR_RATE_LIMITED,	/* HTTP 429 / rate_limit_exceeded */
	TT_COUNT_ERR_THROTTLED,		/* Business code 40100 */
	TT_COUNT_ERR_AUTH,			/* token invalid, refresh refused */
	TT_COUNT_ERR_NETWORK,		/* no HTTP answer: connect, TLS, timeout */
	TT_COUNT_ERR_SERVER,		/* HTTP 5xx */
	TT_COUNT_ERR_MALFORMED,		/* unreadable answer */
	TT_COUNT_ERR_API,			/* any other error answer */
	TT_COUNT_ERR_WORKER,		/* an error inside the worker itself */
	TT_NUM_COUNTERS
} TiktrackCounter;

extern const char *const tiktrack_counter_names[TT_NUM_COUNTERS];

#define TT_FIRST_ERROR_COUNTER TT_COUNT_ERR_RATE_LIMITED

typedef enum TiktrackWorkerState
{
	TT_WORKER_STOPPED = 0,
	TT_WORKER_STARTING,
	TT_WORKER_WAITING_FOR_EXTENSION,
	TT_WORKER_DISABLED,
	TT_WORKER_IDLE,
	TT_WORKER_CLAIMING,
	TT_WORKER_FETCHING,
	TT_WORKER_WRITING,
	TT_WORKER_MAINTENANCE,
	TT_WORKER_RATE_LIMITED,
	TT_NUM_WORKER_STATES
} TiktrackWorkerState;

extern const char *const tiktrack_worker_state_names[TT_NUM_WORKER_STATES];

/* Counts per second for the last minute and per minute for the last hour. */
#define TT_RING_SLOTS 60

typedef struct TiktrackCounterRing
{
	int64		second_of_slot[TT_RING_SLOTS];
	int64		per_second[TT_RING_SLOTS][TT_NUM_COUNTERS];
	int64		minute_of_slot[TT_RING_SLOTS];
	int64		per_minute[TT_RING_SLOTS][TT_NUM_COUNTERS];
	int64		total[TT_NUM_COUNTERS];
} TiktrackCounterRing;

/* APIs for "last successful fetch" (same order as FetchApi). */
#define TT_NUM_APIS 3

/* Why a database's worker exited, for the launcher. */
typedef enum TiktrackWorkerExit
{
	TT_EXIT_UNKNOWN = 0,		/* an error, a signal: restart after a pause */
	TT_EXIT_NO_EXTENSION,		/* tiktrack is not installed there */
} TiktrackWorkerExit;

/*
 * The state of the worker of one database.  The launcher assigns a slot
 * to a database before it starts a worker there and frees it when the
 * database is dropped or turns out not to have the extension; the worker
 * and every session of that database find it by database oid.
 */
typedef struct TiktrackDatabaseSlot
{
	Oid			dboid;			/* InvalidOid: free */
	pid_t		worker_pid;		/* 0 unless a worker is attached */
	Latch	   *worker_latch;
	TiktrackWorkerExit exit_reason;

	TiktrackWorkerState worker_state;
	TimestampTz worker_state_since;
	TimestampTz worker_started_at;
	int			worker_restarts;	/* starts since the slot was assigned */
	TimestampTz last_success[TT_NUM_APIS];

	/*
	 * Per API, when the oldest video the worker postponed for lack of
	 * budget in its last round over that API first fell due (0: none
	 * waits): how far behind schedule a saturated worker is.
	 */
	TimestampTz waiting_since[TT_NUM_APIS];

	/* Videos claimed by the round in progress (claims are not written). */
	int64		videos_in_flight;

	TiktrackCounterRing counters;
} TiktrackDatabaseSlot;

/*
 * A database whose worker must stay away for a while: a session is
 * dropping, renaming, moving or copying it, which PostgreSQL only allows
 * when nobody else is connected.
 */
#define TT_MAX_HOLDS 8

typedef struct TiktrackHold
{
	Oid			dboid;
	TimestampTz until;
} TiktrackHold;

typedef struct TiktrackShared
{
	LWLock	   *lock;

	/* The launcher, while it runs. */
	pid_t		launcher_pid;
	Latch	   *launcher_latch;
	TimestampTz launcher_recheck_at;	/* when a session last created the
										 * extension */
	TiktrackHold holds[TT_MAX_HOLDS];

	/* TikTok's budget: one per app, shared by every database. */
	RateLimiter limiters[TT_NUM_LIMITERS];

	int			nslots;
	TiktrackDatabaseSlot slots[FLEXIBLE_ARRAY_MEMBER];
} TiktrackShared;

extern TiktrackShared *tiktrack_shared;

extern void tiktrack_shmem_install_hooks(void);
extern bool tiktrack_shmem_available(void);

/* Wakes the worker of this session's database (or asks the launcher). */
extern void tiktrack_wake_worker(void);
/* ... when the transaction commits (nothing if it aborts). */
extern void tiktrack_wake_worker_at_commit(void);

/* the launcher's side */
extern void tiktrack_launcher_attach(Latch *latch);
extern void tiktrack_launcher_detach(int code, Datum arg);
extern TimestampTz tiktrack_launcher_recheck_requested_at(void);
extern int	tiktrack_slot_assign(Oid dboid);
extern void tiktrack_slot_release(int slot);
extern int	tiktrack_slot_of_running_worker(Oid dboid, pid_t *pid);
extern TiktrackWorkerExit tiktrack_slot_exit_reason(int slot);
extern TimestampTz tiktrack_database_held_until(Oid dboid);

/* sessions that need a database to themselves */
extern void tiktrack_hold_database(Oid dboid, TimestampTz until);
extern void tiktrack_release_hold(Oid dboid);
extern void tiktrack_terminate_database_worker(Oid dboid);

/* the worker's registration in its database's slot and its state */
extern bool tiktrack_worker_attach(int slot, Latch *latch);
extern void tiktrack_worker_detach(int code, Datum arg);
extern void tiktrack_worker_set_exit_reason(TiktrackWorkerExit reason);
extern void tiktrack_set_worker_state(TiktrackWorkerState state);
extern void tiktrack_set_videos_in_flight(int64 n);
extern void tiktrack_note_success(int api, TimestampTz when);
/* waiting_since[api] for the APIs with known[api] set */
extern void tiktrack_note_waiting(const bool *known, const TimestampTz *since);

/* counters of this worker's database */
extern void tiktrack_count(TiktrackCounter counter, int64 n);

/* rate limiters (no-ops granting everything without shared memory) */
extern void tiktrack_rate_configure(TiktrackLimiter limiter, int nwindows,
									const int64 *limits, const int64 *windows_us);
extern int64 tiktrack_rate_acquire(TiktrackLimiter limiter, int n);
extern int	tiktrack_rate_available(TiktrackLimiter limiter, int max);
extern void tiktrack_rate_throttled(TiktrackLimiter limiter, int64 wait_us);
extern void tiktrack_rate_succeeded(TiktrackLimiter limiter);
extern void tiktrack_rate_note_wait(TiktrackLimiter limiter, int64 wait_us);

/*
 * Consistent copies for the status functions: the slot of a database
 * (false, and a zeroed copy, when it has none) and the limiters.
 */
extern bool tiktrack_read_database_slot(Oid dboid, TiktrackDatabaseSlot *copy);
extern void tiktrack_read_counters(const TiktrackDatabaseSlot *slot, TimestampTz now,
								   int64 *last_minute, int64 *last_hour, int64 *total);
extern void tiktrack_read_limiters(RateLimiter *copy);

#endif							/* TIKTRACK_SHMEM_H */
