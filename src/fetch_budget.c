/*-------------------------------------------------------------------------
 *
 * fetch_budget.c
 *	  TikTok's request budget (see fetch_budget.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "utils/timestamp.h"

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
fetch_budget_for_call(const FetchCall *call)
{
	const char *e = call->endpoint ? call->endpoint : "";

	if (strstr(e, "oauth") != NULL || strstr(e, "token") != NULL)
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
