/*-------------------------------------------------------------------------
 *
 * worker_settings.c
 *	  The settings (GUCs) of the background worker, and the schedule they
 *	  make (schedule.h) as the worker's rounds read it.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <limits.h>

#include "miscadmin.h"
#include "utils/guc.h"
#include "utils/timestamp.h"

#include "direct_tables.h"
#include "schedule.h"
#include "worker.h"
#include "worker_internal.h"

/* ---- settings ---- */

char	   *tiktrack_database = NULL;
int			tiktrack_early_interval_s = 15 * 60;
int			tiktrack_early_window_s = 6 * 3600;
int			tiktrack_interval_s = 3600;
int			tiktrack_creator_stats_interval_s = 86400;
int			tiktrack_token_refresh_ahead_s = 3600;
int			tiktrack_retry_base_delay_s = 30;
int			tiktrack_retry_max_delay_s = 3600;
int			tiktrack_failing_after = 5;
int			tiktrack_batch_size = 1000;
int			tiktrack_log_retention_s = 7 * 86400;
int			tiktrack_display_requests_per_minute = 600;
int			tiktrack_business_requests_per_second = 10;
int			tiktrack_business_requests_per_minute = 600;
int			tiktrack_business_requests_per_day = 864000;
int			tiktrack_rate_limit_wait_s = 60;
int			tiktrack_business_throttle_wait_s = 300;
bool		tiktrack_direct_access = true;

/* ---- settings definition and registration ---- */

static void
define_seconds(const char *name, const char *short_desc, const char *long_desc,
			   int *var, int boot, int min, GucContext context)
{
	DefineCustomIntVariable(name, short_desc, long_desc, var, boot, min, INT_MAX,
							context, GUC_UNIT_S, NULL, NULL, NULL);
}

void
worker_define_gucs(void)
{
	DefineCustomBoolVariable("tiktrack.direct_access",
							 "Lets the claim and the store step read and write their rows directly.",
							 "On (the default), where it applies (a superuser, no Citus, tiktrack's "
							 "tables as created), the worker's claim of due videos reads them by index "
							 "and the store step writes a good answer's rows with the executor's row "
							 "primitives. Off: both run their SQL statements only, as under Citus, "
							 "for troubleshooting and comparison; the rows are the same.",
							 &tiktrack_direct_access, true, PGC_SUSET, 0, NULL, NULL, NULL);
	/* A server-start setting can only be defined while preloading. */
	if (process_shared_preload_libraries_in_progress)
		DefineCustomStringVariable("tiktrack.database",
								   "Restricts the tiktrack workers to this one database.",
								   "Empty (the default): every database in which the extension is installed gets a worker.",
								   &tiktrack_database, "",
								   PGC_POSTMASTER, 0, NULL, NULL, NULL);
	define_seconds("tiktrack.early_interval",
				   "Time between snapshots of a video during its early window.",
				   NULL, &tiktrack_early_interval_s, 15 * 60, 1, PGC_SIGHUP);
	define_seconds("tiktrack.early_window",
				   "How long after posting a video is snapshotted at the early interval.",
				   NULL, &tiktrack_early_window_s, 6 * 3600, 0, PGC_SIGHUP);
	define_seconds("tiktrack.interval",
				   "Time between snapshots of a video after its early window.",
				   NULL, &tiktrack_interval_s, 3600, 1, PGC_SIGHUP);
	define_seconds("tiktrack.creator_stats_interval",
				   "Time between snapshots of an authorized creator's account stats.",
				   NULL, &tiktrack_creator_stats_interval_s, 86400, 1, PGC_SIGHUP);
	define_seconds("tiktrack.token_refresh_ahead",
				   "How long before an access token expires the worker refreshes it.",
				   NULL, &tiktrack_token_refresh_ahead_s, 3600, 0, PGC_SIGHUP);
	define_seconds("tiktrack.retry_base_delay",
				   "Delay before retrying a video after its first failed fetch; doubles per failure.",
				   NULL, &tiktrack_retry_base_delay_s, 30, 1, PGC_SIGHUP);
	define_seconds("tiktrack.retry_max_delay",
				   "Longest delay between retries of a failing video.",
				   NULL, &tiktrack_retry_max_delay_s, 3600, 1, PGC_SIGHUP);
	DefineCustomIntVariable("tiktrack.failing_after",
							"Consecutive failed fetches after which a video is marked failing.",
							"A failing video is still retried and recovers by itself.",
							&tiktrack_failing_after, 5, 1, 1000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.batch_size",
							"Most videos the worker claims per round.",
							NULL, &tiktrack_batch_size, 1000, 1, 100000,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	define_seconds("tiktrack.log_retention",
				   "How long rows are kept in tiktrack.fetch_log.",
				   NULL, &tiktrack_log_retention_s, 7 * 86400, 0, PGC_SIGHUP);
	DefineCustomIntVariable("tiktrack.display_requests_per_minute",
							"Requests per minute per Display API endpoint (0: no limit).",
							"TikTok allows 600 per endpoint in any one-minute window.",
							&tiktrack_display_requests_per_minute, 600, 0, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.business_requests_per_second",
							"Business API requests per second (0: no limit).",
							NULL, &tiktrack_business_requests_per_second, 10, 0, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.business_requests_per_minute",
							"Business API requests per minute (0: no limit).",
							NULL, &tiktrack_business_requests_per_minute, 600, 0, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.business_requests_per_day",
							"Business API requests per day (0: no limit).",
							NULL, &tiktrack_business_requests_per_day, 864000, 0, INT_MAX,
							PGC_SIGHUP, 0, NULL, NULL, NULL);
	define_seconds("tiktrack.rate_limit_wait",
				   "Pause after TikTok answered rate_limit_exceeded without a Retry-After header.",
				   NULL, &tiktrack_rate_limit_wait_s, 60, 0, PGC_SIGHUP);
	define_seconds("tiktrack.business_throttle_wait",
				   "Pause after the Business API throttled us (code 40100).",
				   "TikTok asks for 5 minutes after a per-minute throttle.",
				   &tiktrack_business_throttle_wait_s, 300, 0, PGC_SIGHUP);
}

ScheduleSettings
worker_schedule_settings(void)
{
	ScheduleSettings s;

	s.early_interval_us = (int64) tiktrack_early_interval_s * USECS_PER_SEC;
	s.early_window_us = (int64) tiktrack_early_window_s * USECS_PER_SEC;
	s.interval_us = (int64) tiktrack_interval_s * USECS_PER_SEC;
	s.retry_base_us = (int64) tiktrack_retry_base_delay_s * USECS_PER_SEC;
	s.retry_max_us = (int64) tiktrack_retry_max_delay_s * USECS_PER_SEC;
	s.failing_after = tiktrack_failing_after;
	return s;
}
