/*-------------------------------------------------------------------------
 *
 * rate_limit.h
 *	  Token buckets that keep tiktrack within TikTok's published request
 *	  limits, and slow down when TikTok says we are too fast anyway.
 *
 * Pure arithmetic on microsecond timestamps, no backend state; the worker
 * keeps one RateLimiter per API (and per endpoint for the Display API) in
 * shared memory and calls these functions under its lock (shmem.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_RATE_LIMIT_H
#define TIKTRACK_RATE_LIMIT_H

#include <stdbool.h>
#include <stdint.h>

#define RATE_MAX_WINDOWS 3

/*
 * One published limit: "limit requests per window".  A bucket holds at
 * most "burst" tokens (a tenth of the limit, at least two) and refills at (limit - burst) / window, so that no
 * sliding window of that length ever sees more than "limit" requests
 * (burst + refill * window = limit).
 */
typedef struct RateWindow
{
	int64_t		limit;			/* requests per window; <= 0 = no limit */
	int64_t		window_us;
	double		burst;			/* bucket capacity */
	double		refill_per_us;	/* at full speed */
	double		tokens;
} RateWindow;

typedef struct RateLimiter
{
	int			nwindows;
	RateWindow	windows[RATE_MAX_WINDOWS];
	int64_t		updated_at;		/* last refill */
	int64_t		blocked_until;	/* nothing is sent before this */
	double		speed;			/* 1 = full rate; halved per throttle */
	double		recovery_step;	/* speed regained per successful request */
	int64_t		throttles;		/* times TikTok throttled us */
	int64_t		waits;			/* times a request had to wait */
	int64_t		waited_us;		/* sum of those waits */
} RateLimiter;

/* Lowest speed a throttled limiter drops to (1/16 of the limit). */
#define RATE_MIN_SPEED (1.0 / 16.0)

/*
 * Sets the limits; a limiter already in use keeps its tokens (clamped to
 * the new capacity), its block and its speed, so a reload does not
 * reopen the floodgates.
 */
extern void rate_limiter_configure(RateLimiter *rl, int nwindows,
								   const int64_t *limits,
								   const int64_t *windows_us, int64_t now);

/*
 * Takes "n" tokens from every window when all of them have enough and the
 * limiter is not blocked, and returns 0; otherwise takes nothing and
 * returns how many microseconds to wait before trying again.
 */
extern int64_t rate_limiter_acquire(RateLimiter *rl, int64_t now, int n);

/*
 * How many requests could be sent right now (the minimum over the
 * windows), capped at "max".
 */
extern int	rate_limiter_available(RateLimiter *rl, int64_t now, int max);

/*
 * TikTok throttled us (HTTP 429, rate_limit_exceeded, Business 40100):
 * nothing more is sent for wait_us, every bucket is emptied, and the
 * refill speed is halved (down to RATE_MIN_SPEED).
 */
extern void rate_limiter_throttled(RateLimiter *rl, int64_t now, int64_t wait_us);

/* A request went through: the speed recovers a little. */
extern void rate_limiter_succeeded(RateLimiter *rl);

/* Records that a caller waited wait_us for the limiter. */
extern void rate_limiter_note_wait(RateLimiter *rl, int64_t wait_us);

#endif							/* TIKTRACK_RATE_LIMIT_H */
