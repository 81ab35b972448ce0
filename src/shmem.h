/*-------------------------------------------------------------------------
 *
 * shmem.h
 *	  The small piece of shared memory through which backends reach the
 *	  background worker (to wake it) and read its state and counters, and
 *	  in which the rate limiters of TikTok's APIs live.
 *
 * Only plain values live here: never a pointer to process-local memory,
 * a file descriptor or a curl handle.  The worker's latch pointer is the
 * one exception PostgreSQL itself allows (PGPROC latches are in shared
 * memory).
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

typedef struct TiktrackShared
{
	LWLock	   *lock;
	/* Set by the worker while it runs; the latch is its PGPROC's. */
	pid_t		worker_pid;
	Latch	   *worker_latch;

	TiktrackWorkerState worker_state;
	TimestampTz worker_state_since;
	TimestampTz worker_started_at;
	int			worker_restarts;	/* starts since the server started */
	TimestampTz last_success[TT_NUM_APIS];

	/*
	 * Per API, when the oldest video the worker postponed for lack of
	 * budget in its last round over that API first fell due (0: none
	 * waits): how far behind schedule a saturated worker is.
	 */
	TimestampTz waiting_since[TT_NUM_APIS];

	RateLimiter limiters[TT_NUM_LIMITERS];
	TiktrackCounterRing counters;
} TiktrackShared;

extern TiktrackShared *tiktrack_shared;

extern void tiktrack_shmem_install_hooks(void);
extern bool tiktrack_shmem_available(void);
extern void tiktrack_wake_worker(void);

/* worker registration in shared memory */
extern void tiktrack_worker_attach(Latch *latch);
extern void tiktrack_worker_detach(int code, Datum arg);
extern void tiktrack_set_worker_state(TiktrackWorkerState state);
extern void tiktrack_note_success(int api, TimestampTz when);
/* waiting_since[api] for the APIs with known[api] set */
extern void tiktrack_note_waiting(const bool *known, const TimestampTz *since);

/* counters */
extern void tiktrack_count(TiktrackCounter counter, int64 n);

/* rate limiters (no-ops granting everything without shared memory) */
extern void tiktrack_rate_configure(TiktrackLimiter limiter, int nwindows,
									const int64 *limits, const int64 *windows_us);
extern int64 tiktrack_rate_acquire(TiktrackLimiter limiter, int n);
extern int	tiktrack_rate_available(TiktrackLimiter limiter, int max);
extern void tiktrack_rate_throttled(TiktrackLimiter limiter, int64 wait_us);
extern void tiktrack_rate_succeeded(TiktrackLimiter limiter);
extern void tiktrack_rate_note_wait(TiktrackLimiter limiter, int64 wait_us);

/* consistent copies for the status functions */
extern void tiktrack_read_counters(TimestampTz now, int64 *last_minute,
								   int64 *last_hour, int64 *total);
extern void tiktrack_read_shared(TiktrackShared *copy);

#endif							/* TIKTRACK_SHMEM_H */
