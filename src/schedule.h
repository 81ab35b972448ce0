/*-------------------------------------------------------------------------
 *
 * schedule.h
 *	  When a tracked video is fetched next: the cadence of healthy videos
 *	  and the exponential backoff, with jitter, of failing ones.
 *
 * Pure arithmetic on microsecond timestamps (the same epoch as
 * TimestampTz): no backend state, so it is unit-tested standalone and the
 * worker, SQL and benchmarks all agree on one definition.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_SCHEDULE_H
#define TIKTRACK_SCHEDULE_H

#include <stdbool.h>
#include <stdint.h>

/* A timestamp that is not known (posted_at of a never-fetched video). */
#define SCHEDULE_UNKNOWN_TIME INT64_MIN

typedef struct ScheduleSettings
{
	int64_t		early_interval_us;	/* cadence during the early window */
	int64_t		early_window_us;	/* length of the window after posting */
	int64_t		interval_us;	/* cadence afterwards */
	int64_t		retry_base_us;	/* first retry delay after a failure */
	int64_t		retry_max_us;	/* cap of the retry delay */
	int			failing_after;	/* consecutive failures that make a video
								 * 'failing' */
} ScheduleSettings;

/*
 * After a successful fetch at "now": the time of the next fetch, or false
 * when the video is complete (now >= track_until).  The last fetch is
 * pulled forward to track_until so a video's final snapshot is taken at
 * the end of its tracking period, not up to one interval late.
 */
extern bool schedule_next_fetch(const ScheduleSettings *s, int64_t now,
								int64_t posted_at, int64_t track_until,
								int64_t *next);

/*
 * Delay before retrying a video that has now failed "failures" times in a
 * row (1 = first failure): retry_base * 2^(failures-1), capped at
 * retry_max, with "equal jitter": the delay is drawn uniformly from
 * [d/2, d] using jitter in [0, 1), so retries of a batch that failed
 * together spread out instead of hammering the API in lockstep.
 */
extern int64_t schedule_retry_delay(const ScheduleSettings *s, int failures,
									double jitter);

/* Whether "failures" consecutive failures make the video 'failing'. */
extern bool schedule_is_failing(const ScheduleSettings *s, int failures);

#endif							/* TIKTRACK_SCHEDULE_H */
