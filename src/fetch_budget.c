/*-------------------------------------------------------------------------
 *
 * fetch_budget.c
 *	  TikTok's request budget shared by the worker and the synchronous
 *	  SQL functions (see fetch_budget.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "miscadmin.h"
#include "storage/latch.h"
#include "utils/timestamp.h"
#include "utils/wait_event.h"

#include "fetch_budget.h"
#include "shmem.h"
#include "worker.h"

void
fetch_budget_configure(void)
{
	int64		display_limit[1] = {tiktrack_display_requests_per_minute};
	int64		display_window[1] = {60 * USECS_PER_SEC};
	int64		business_limit[3] = {tiktrack_business_requests_per_second,
		tiktrack_business_requests_per_minute,
	tiktrack_business_requests_per_day};
	int64		business_window[3] = {USECS_PER_SEC, 60 * USECS_PER_SEC,
	USECS_PER_DAY};

	tiktrack_rate_configure(TT_LIMIT_DISPLAY_VIDEO_QUERY, 1, display_limit, display_window);
	tiktrack_rate_configure(TT_LIMIT_DISPLAY_VIDEO_LIST, 1, display_limit, display_window);
	tiktrack_rate_configure(TT_LIMIT_DISPLAY_USER_INFO, 1, display_limit, display_window);
	tiktrack_rate_configure(TT_LIMIT_BUSINESS, 3, business_limit, business_window);
}

int
fetch_budget_for_videos(FetchApi api)
{
	switch (api)
	{
		case FETCH_API_DISPLAY:
			return TT_LIMIT_DISPLAY_VIDEO_QUERY;
		case FETCH_API_BUSINESS:
			return TT_LIMIT_BUSINESS;
		default:
			return -1;
	}
}

int
fetch_budget_for_account(FetchApi api)
{
	switch (api)
	{
		case FETCH_API_DISPLAY:
			return TT_LIMIT_DISPLAY_USER_INFO;
		case FETCH_API_BUSINESS:
			return TT_LIMIT_BUSINESS;
		default:
			return -1;
	}
}

int
fetch_budget_for_video_list(FetchApi api)
{
	switch (api)
	{
		case FETCH_API_DISPLAY:
			return TT_LIMIT_DISPLAY_VIDEO_LIST;
		case FETCH_API_BUSINESS:
			return TT_LIMIT_BUSINESS;
		default:
			return -1;
	}
}

int
fetch_budget_for_call(const FetchCall *call)
{
	const char *e = call->endpoint ? call->endpoint : "";

	if (fetch_call_is_oauth(call))
		return -1;
	if (call->api == FETCH_API_BUSINESS)
		return TT_LIMIT_BUSINESS;
	if (call->api != FETCH_API_DISPLAY)
		return -1;
	if (strstr(e, "/video/query/") != NULL)
		return TT_LIMIT_DISPLAY_VIDEO_QUERY;
	if (strstr(e, "/video/list/") != NULL)
		return TT_LIMIT_DISPLAY_VIDEO_LIST;
	if (strstr(e, "/user/info/") != NULL)
		return TT_LIMIT_DISPLAY_USER_INFO;
	return -1;
}

int64
fetch_budget_throttle_wait_us(const FetchCall *call)
{
	if (call->retry_after_s >= 0)
		return (int64) call->retry_after_s * USECS_PER_SEC;
	if (call->business_code == 40100)
		return (int64) tiktrack_business_throttle_wait_s * USECS_PER_SEC;
	return (int64) tiktrack_rate_limit_wait_s * USECS_PER_SEC;
}

/* The API (and endpoint) a bucket stands for, for messages. */
static const char *
limiter_label(int limiter)
{
	switch (limiter)
	{
		case TT_LIMIT_DISPLAY_VIDEO_QUERY:
			return "TikTok Display API /v2/video/query/";
		case TT_LIMIT_DISPLAY_VIDEO_LIST:
			return "TikTok Display API /v2/video/list/";
		case TT_LIMIT_DISPLAY_USER_INFO:
			return "TikTok Display API /v2/user/info/";
		default:
			return "TikTok Business API";
	}
}

/* The settings that size a bucket, for messages. */
static char *
limiter_settings(int limiter)
{
	if (limiter == TT_LIMIT_BUSINESS)
		return psprintf("tiktrack.business_requests_per_second = %d, "
						"tiktrack.business_requests_per_minute = %d, "
						"tiktrack.business_requests_per_day = %d",
						tiktrack_business_requests_per_second,
						tiktrack_business_requests_per_minute,
						tiktrack_business_requests_per_day);
	return psprintf("tiktrack.display_requests_per_minute = %d",
					tiktrack_display_requests_per_minute);
}

/*
 * The launcher sets the buckets when it starts; a server whose launcher
 * has not (yet) done so gets them set by the first synchronous call.
 */
static void
ensure_configured(int limiter)
{
	bool		configured;

	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	configured = tiktrack_shared->limiters[limiter].speed > 0.0;
	LWLockRelease(tiktrack_shared->lock);
	if (!configured)
		fetch_budget_configure();
}

/* Until when TikTok's last throttle keeps the bucket shut (0: it does not). */
static TimestampTz
blocked_until(int limiter)
{
	TimestampTz until;

	LWLockAcquire(tiktrack_shared->lock, LW_SHARED);
	until = tiktrack_shared->limiters[limiter].blocked_until;
	LWLockRelease(tiktrack_shared->lock);
	return until > GetCurrentTimestamp() ? until : 0;
}

int64
fetch_budget_wait(int limiter, int n)
{
	TimestampTz deadline;

	if (limiter < 0 || !tiktrack_shmem_available())
		return 0;
	ensure_configured(limiter);
	deadline = TimestampTzPlusMilliseconds(GetCurrentTimestamp(), FETCH_BUDGET_MAX_WAIT_MS);
	for (;;)
	{
		int64		wait_us = tiktrack_rate_acquire(limiter, n);
		TimestampTz start;

		if (wait_us == 0)
			return 0;

		/*
		 * Measure against the clock, not the sum of the waits asked for: the
		 * latch may wake us early (an interrupt, a notification), and such a
		 * wake-up must not count as time waited.
		 */
		if (GetCurrentTimestamp() + wait_us > deadline)
			return wait_us;
		start = GetCurrentTimestamp();
		(void) WaitLatch(MyLatch, WL_LATCH_SET | WL_TIMEOUT | WL_EXIT_ON_PM_DEATH,
						 (long) ((wait_us + 999) / 1000), PG_WAIT_EXTENSION);
		ResetLatch(MyLatch);
		tiktrack_rate_note_wait(limiter, GetCurrentTimestamp() - start);
		CHECK_FOR_INTERRUPTS();
	}
}

void
fetch_budget_exhausted(int limiter, int64 wait_us, const char *what)
{
	TimestampTz until = blocked_until(limiter);
	long		retry_s = (long) ((wait_us + USECS_PER_SEC - 1) / USECS_PER_SEC);

	ereport(ERROR,
			(errcode(ERRCODE_CONFIGURATION_LIMIT_EXCEEDED),
			 errmsg("%s: the request budget of the %s is used up for the next %ld s",
					what, limiter_label(limiter), retry_s),
			 until != 0 ?
			 errdetail("TikTok throttled this API; tiktrack sends it nothing until %s.",
					   timestamptz_to_str(until)) :
			 errdetail("The budget (%s) is shared with the background worker and every session of this server.",
					   limiter_settings(limiter)),
			 errhint("Try again in %ld s.", retry_s)));
	pg_unreachable();
}
