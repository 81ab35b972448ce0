/*
 * Standalone checks of the worker's pure arithmetic: cadence and backoff
 * (src/schedule.c) and the token buckets (src/rate_limit.c).  Built and
 * run by test/t/045_worker_arithmetic.pl; prints each failed check and a
 * summary line.
 */
#include <stdio.h>
#include <inttypes.h>

#include "schedule.h"
#include "rate_limit.h"

#define S INT64_C(1000000)
static int checks, failures;

static void
check_i64(const char *what, int64_t got, int64_t want)
{
	checks++;
	if (got != want)
	{
		failures++;
		printf("FAIL %s: got %" PRId64 ", want %" PRId64 "\n", what, got, want);
	}
}

int
main(void)
{
	ScheduleSettings s = {15 * 60 * S, 6 * 3600 * S, 3600 * S, 30 * S, 3600 * S, 5};
	int64_t		now = 1000000 * S;
	int64_t		next = 0;
	RateLimiter rl = {0};
	int64_t		limits[3] = {10, 600, 864000};
	int64_t		windows[3] = {S, 60 * S, 86400 * S};
	int64_t		one[1] = {600};
	int64_t		minute[1] = {60 * S};
	int			i,
				sent;

	/* cadence: early interval in the first 6 hours, then hourly */
	check_i64("young video", schedule_next_fetch(&s, now, now - 3600 * S, now + 7 * 86400 * S, &next), 1);
	check_i64("young video next", next - now, 15 * 60 * S);
	schedule_next_fetch(&s, now, now - 6 * 3600 * S, now + 7 * 86400 * S, &next);
	check_i64("video at 6 h", next - now, 3600 * S);
	schedule_next_fetch(&s, now, SCHEDULE_UNKNOWN_TIME, now + 86400 * S, &next);
	check_i64("unknown age is young", next - now, 15 * 60 * S);
	schedule_next_fetch(&s, now, now - 86400 * S, now + 600 * S, &next);
	check_i64("last fetch pulled to track_until", next - now, 600 * S);
	check_i64("complete at track_until", schedule_next_fetch(&s, now, now - 86400 * S, now, &next), 0);

	/* backoff: 30 s doubling to the 1 h cap; equal jitter in [d/2, d] */
	check_i64("1st retry, jitter 0", schedule_retry_delay(&s, 1, 0.0), 15 * S);
	check_i64("1st retry, jitter ~1", schedule_retry_delay(&s, 1, 0.999999), 30 * S - 15);
	check_i64("3rd retry, jitter .5", schedule_retry_delay(&s, 3, 0.5), 90 * S);
	check_i64("20th retry capped", schedule_retry_delay(&s, 20, 0.0), 1800 * S);
	check_i64("1000th retry capped", schedule_retry_delay(&s, 1000, 0.999999), 3600 * S - 1800);
	check_i64("failing after 5", schedule_is_failing(&s, 4) * 10 + schedule_is_failing(&s, 5), 1);

	/* Display bucket, 600/min: a burst of 60, then 9 per second */
	rate_limiter_configure(&rl, 1, one, minute, now);
	for (sent = 0; rate_limiter_acquire(&rl, now, 1) == 0; sent++)
		;
	check_i64("display burst", sent, 60);
	for (i = 1; i <= 60; i++)
		while (rate_limiter_acquire(&rl, now + i * S, 1) == 0)
			sent++;
	check_i64("display: at most 600 in any minute", sent, 600);
	check_i64("display wait for the next token", rate_limiter_acquire(&rl, now + 60 * S, 1), 111112);

	/* a throttle: blocked for Retry-After, emptied, half speed */
	rate_limiter_throttled(&rl, now + 60 * S, 5 * S);
	check_i64("blocked by Retry-After", rate_limiter_acquire(&rl, now + 61 * S, 1), 4 * S);
	check_i64("throttles counted", rl.throttles, 1);
	check_i64("half speed: 1 token after 5 s", rate_limiter_available(&rl, now + 65 * S, 100), 22);
	for (i = 0; i < 600; i++)
		rate_limiter_succeeded(&rl);
	check_i64("speed recovers after a window of successes", (int64_t) (rl.speed * 1000), 1000);

	/* Business: 10/s, 600/min, 864000/day: the per-second window binds */
	RateLimiter b = {0};

	rate_limiter_configure(&b, 3, limits, windows, now);
	for (sent = 0; rate_limiter_acquire(&b, now, 1) == 0; sent++)
		;
	check_i64("business burst", sent, 2);
	for (i = 1; i <= 10; i++)
		while (rate_limiter_acquire(&b, now + i * S / 10 + 1, 1) == 0)
			sent++;
	check_i64("business: 10 in the first second", sent, 10);
	for (i = 11; i <= 20; i++)
		while (rate_limiter_acquire(&b, now + i * S / 10 + 1, 1) == 0)
			sent++;
	check_i64("business: 8 per second sustained (burst 2 kept back)", sent, 18);

	/* a reload keeps the state: a lower limit clamps the tokens */
	int64_t		lower[1] = {60};

	rate_limiter_configure(&rl, 1, lower, minute, now + 100 * S);
	check_i64("reconfigured burst", rate_limiter_available(&rl, now + 100 * S, 100), 6);

	printf("%d checks, %d failed\n", checks, failures);
	return failures != 0;
}
