/*-------------------------------------------------------------------------
 *
 * fetch_budget.h
 *	  TikTok's request budget, shared by everything on this server that
 *	  calls its APIs: the background worker and the synchronous SQL
 *	  functions (tiktrack.refresh(), refresh_creator()).
 *
 * The budget is the token buckets in shared memory (shmem.h), one per
 * API and per Display endpoint, set from the tiktrack.*_requests_per_*
 * settings.  This module says which bucket a request draws from and how
 * long TikTok asked us to stay away after it throttled a request.
 * Without shared memory (the library not preloaded) every request is
 * allowed.
 *
 * The worker draws before it prepares a batch and postpones what does
 * not fit; a synchronous call waits a little (interruptibly) and fails
 * with a clear error when the wait would be long.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_FETCH_BUDGET_H
#define TIKTRACK_FETCH_BUDGET_H

#include "fetch.h"

/* Longest a synchronous call waits for the budget before it fails. */
#define FETCH_BUDGET_MAX_WAIT_MS 5000

/* Sets the buckets from the settings (worker start, reload). */
extern void fetch_budget_configure(void);

/*
 * The bucket (a TiktrackLimiter) of a stats request for videos or of an
 * account request, or -1 when the API takes none.
 */
extern int	fetch_budget_for_videos(FetchApi api);
extern int	fetch_budget_for_account(FetchApi api);

/* The bucket of a page of a creator's video list, or -1. */
extern int	fetch_budget_for_video_list(FetchApi api);

/* The bucket an HTTP request counted against, or -1 (OAuth, short links). */
extern int	fetch_budget_for_call(const FetchCall *call);

/*
 * How long TikTok wants us to stay away after this throttled call:
 * Retry-After, else tiktrack.business_throttle_wait for Business 40100,
 * else tiktrack.rate_limit_wait.
 */
extern int64 fetch_budget_throttle_wait_us(const FetchCall *call);

/*
 * Takes n requests from the bucket for a synchronous call, waiting for
 * them (interruptibly) up to FETCH_BUDGET_MAX_WAIT_MS.  Returns 0 when
 * they are taken; otherwise takes nothing and returns how long they would
 * still take (microseconds).  Always 0 for limiter -1 or without shared
 * memory.
 */
extern int64 fetch_budget_wait(int limiter, int n);

/*
 * The ERROR of a synchronous call that found the budget used up for
 * wait_us: names "what", the API and when to retry.
 */
extern void fetch_budget_exhausted(int limiter, int64 wait_us, const char *what)
			pg_attribute_noreturn();

#endif							/* TIKTRACK_FETCH_BUDGET_H */
