/*-------------------------------------------------------------------------
 *
 * schedule.c
 *	  Cadence and retry backoff of tracked videos (pure arithmetic).
 *
 * Videos are fetched every early_interval during the first early_window
 * after they were posted, when their traction is decided, and every
 * interval after that until track_until.  A failed fetch is retried after
 * an exponentially growing, jittered delay.
 *
 *-------------------------------------------------------------------------
 */
#include "schedule.h"

bool
schedule_next_fetch(const ScheduleSettings *s, int64_t now,
					int64_t posted_at, int64_t track_until, int64_t *next)
{
	int64_t		step = s->interval_us;

	if (now >= track_until)
		return false;

	/* Early cadence while the post is young (unknown age counts as young). */
	if (posted_at == SCHEDULE_UNKNOWN_TIME || now - posted_at < s->early_window_us)
		step = s->early_interval_us;
	if (step < 1)
		step = 1;

	if (now > track_until - step)
		*next = track_until;
	else
		*next = now + step;
	return true;
}

int64_t
schedule_retry_delay(const ScheduleSettings *s, int failures, double jitter)
{
	int64_t		delay = s->retry_base_us;
	int64_t		cap = s->retry_max_us;
	int			i;

	if (cap < 1)
		cap = 1;
	if (delay < 1)
		delay = 1;
	if (delay > cap)
		delay = cap;
	/* Doubling stops at the cap, so this cannot overflow. */
	for (i = 1; i < failures && delay < cap; i++)
		delay = (delay > cap / 2) ? cap : delay * 2;

	if (jitter < 0.0 || jitter != jitter)
		jitter = 0.0;
	if (jitter >= 1.0)
		jitter = 0.999999;
	return delay / 2 + (int64_t) ((double) (delay - delay / 2) * jitter);
}

bool
schedule_is_failing(const ScheduleSettings *s, int failures)
{
	return failures >= (s->failing_after < 1 ? 1 : s->failing_after);
}
