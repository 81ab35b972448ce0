/*-------------------------------------------------------------------------
 *
 * fetch_budget.h
 *	  TikTok's request budget, kept by the background worker.
 *
 * The budget is the token buckets in shared memory (shmem.h), one per
 * API and per Display endpoint, set from the tiktrack.*_requests_per_*
 * settings.  This module says which bucket a request draws from and how
 * long TikTok asked us to stay away after it throttled a request.
 * Without shared memory (the library not preloaded) every request is
 * allowed.
 *
 * The worker draws before it prepares a batch and postpones what does
 * not fit.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_FETCH_BUDGET_H
#define TIKTRACK_FETCH_BUDGET_H

#include "fetch.h"

/* Sets the buckets from the settings (worker start, reload). */
extern void fetch_budget_configure(void);

/*
 * The bucket (a TiktrackLimiter) of a stats request for videos or of an
 * account request, or -1 when the API takes none.
 */
extern int	fetch_budget_for_videos(FetchApi api);
extern int	fetch_budget_for_account(FetchApi api);

/* The bucket an HTTP request counted against, or -1 (OAuth, short links). */
extern int	fetch_budget_for_call(const FetchCall *call);

/*
 * How long TikTok wants us to stay away after this throttled call:
 * Retry-After, else tiktrack.business_throttle_wait for Business 40100,
 * else tiktrack.rate_limit_wait.
 */
extern int64 fetch_budget_throttle_wait_us(const FetchCall *call);

#endif							/* TIKTRACK_FETCH_BUDGET_H */
