/*-------------------------------------------------------------------------
 *
 * worker.h
 *	  The background worker that fetches scheduled snapshots, one per
 *	  database with the extension (started by the launcher, launcher.h).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_WORKER_H
#define TIKTRACK_WORKER_H

#include "fmgr.h"

/* Settings of the worker (seconds unless noted). */
extern char *tiktrack_database;	/* "": every database */
extern int	tiktrack_early_interval_s;
extern int	tiktrack_early_window_s;
extern int	tiktrack_interval_s;
extern int	tiktrack_creator_stats_interval_s;
extern int	tiktrack_token_refresh_ahead_s;
extern int	tiktrack_retry_base_delay_s;
extern int	tiktrack_retry_max_delay_s;
extern int	tiktrack_failing_after;
extern int	tiktrack_batch_size;
extern int	tiktrack_log_retention_s;
extern int	tiktrack_display_requests_per_minute;
extern int	tiktrack_business_requests_per_second;
extern int	tiktrack_business_requests_per_minute;
extern int	tiktrack_business_requests_per_day;
extern int	tiktrack_rate_limit_wait_s;
extern int	tiktrack_business_throttle_wait_s;

/* Called from _PG_init() (worker_settings.c). */
extern void worker_define_gucs(void);

extern PGDLLEXPORT void tiktrack_worker_main(Datum main_arg);

#endif							/* TIKTRACK_WORKER_H */
