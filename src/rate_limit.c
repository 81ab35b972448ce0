/*-------------------------------------------------------------------------
 *
 * rate_limit.c
 *	  Token-bucket arithmetic for TikTok's request limits.
 *
 * TikTok publishes sliding-window limits (Display: 600 requests per minute
 * per endpoint; Business: 10 per second, 600 per minute and 864,000 per
 * day per app).  A plain token bucket with capacity = limit would allow
 * twice the limit in one window (a full bucket plus a window's refill), so
 * each bucket keeps a tenth of the limit (at least two) as burst and
 * refills the rest evenly over the window.  A throttle answer from TikTok blocks the
 * limiter for the wait TikTok asked for, empties it and halves its speed;
 * successful requests bring the speed back (additive increase,
 * multiplicative decrease), one window's worth of them restoring it fully.
 *
 *-------------------------------------------------------------------------
 */
#include "rate_limit.h"

static double
window_refill(const RateWindow *w, double speed)
{
	return w->refill_per_us * speed;
}

static void
refill(RateLimiter *rl, int64_t now)
{
	int			i;
	int64_t		elapsed = now - rl->updated_at;

	if (elapsed <= 0)
		return;
	for (i = 0; i < rl->nwindows; i++)
	{
		RateWindow *w = &rl->windows[i];

		if (w->limit <= 0)
			continue;
		w->tokens += (double) elapsed * window_refill(w, rl->speed);
		if (w->tokens > w->burst)
			w->tokens = w->burst;
	}
	rl->updated_at = now;
}

void
rate_limiter_configure(RateLimiter *rl, int nwindows, const int64_t *limits,
					   const int64_t *windows_us, int64_t now)
{
	int			i;
	bool		fresh = (rl->speed <= 0.0);
	int64_t		recovery = 0;

	if (nwindows > RATE_MAX_WINDOWS)
		nwindows = RATE_MAX_WINDOWS;
	if (!fresh)
		refill(rl, now);
	rl->nwindows = nwindows;
	for (i = 0; i < nwindows; i++)
	{
		RateWindow *w = &rl->windows[i];
		int64_t		limit = limits[i];
		int64_t		window = windows_us[i] > 0 ? windows_us[i] : 1;
		double		burst;

		w->limit = limit;
		w->window_us = window;
		if (limit <= 0)
		{
			w->burst = w->tokens = w->refill_per_us = 0.0;
			continue;
		}
		/*
		 * A tenth of the limit, but at least two (or the limit itself):
		 * a one-token bucket would waste refill whenever the caller looks
		 * a little late.
		 */
		burst = (double) (limit / 10);
		if (burst < 2.0)
			burst = limit < 2 ? (double) limit : 2.0;
		w->burst = burst;
		/* A limit of 1 cannot keep a burst; refill it over the window. */
		w->refill_per_us = (limit > burst ? (double) limit - burst : (double) limit) / (double) window;
		if (fresh || w->tokens > burst)
			w->tokens = burst;
		/* The speed comes back after one minute's worth of requests. */
		if (window <= INT64_C(60000000) && limit > recovery)
			recovery = limit;
	}
	if (recovery == 0)
		recovery = 600;
	rl->recovery_step = 1.0 / (double) recovery;
	if (fresh)
	{
		rl->speed = 1.0;
		rl->updated_at = now;
		rl->blocked_until = 0;
	}
}

int64_t
rate_limiter_acquire(RateLimiter *rl, int64_t now, int n)
{
	int64_t		wait = 0;
	int			i;

	if (n < 1)
		n = 1;
	refill(rl, now);
	if (rl->blocked_until > now)
		wait = rl->blocked_until - now;

	for (i = 0; i < rl->nwindows; i++)
	{
		RateWindow *w = &rl->windows[i];
		/* More than a burst is granted once the bucket is full (a debt). */
		double		need = (double) n > w->burst ? w->burst : (double) n;
		double		rate;
		int64_t		w_wait;

		if (w->limit <= 0 || w->tokens >= need)
			continue;
		rate = window_refill(w, rl->speed);
		w_wait = rate > 0.0 ? (int64_t) ((need - w->tokens) / rate) + 1 : w->window_us;
		if (w_wait > wait)
			wait = w_wait;
	}
	if (wait > 0)
		return wait;

	for (i = 0; i < rl->nwindows; i++)
		if (rl->windows[i].limit > 0)
			rl->windows[i].tokens -= (double) n;
	return 0;
}

int
rate_limiter_available(RateLimiter *rl, int64_t now, int max)
{
	int			avail = max;
	int			i;

	refill(rl, now);
	if (rl->blocked_until > now)
		return 0;
	for (i = 0; i < rl->nwindows; i++)
	{
		RateWindow *w = &rl->windows[i];

		if (w->limit <= 0)
			continue;
		if (w->tokens < (double) avail)
			avail = w->tokens < 0.0 ? 0 : (int) w->tokens;
	}
	return avail;
}

void
rate_limiter_throttled(RateLimiter *rl, int64_t now, int64_t wait_us)
{
	int			i;

	refill(rl, now);
	if (wait_us < 0)
		wait_us = 0;
	if (now + wait_us > rl->blocked_until)
		rl->blocked_until = now + wait_us;
	for (i = 0; i < rl->nwindows; i++)
		rl->windows[i].tokens = 0.0;
	rl->speed /= 2.0;
	if (rl->speed < RATE_MIN_SPEED)
		rl->speed = RATE_MIN_SPEED;
	rl->throttles++;
}

void
rate_limiter_succeeded(RateLimiter *rl)
{
	rl->speed += rl->recovery_step;
	if (rl->speed > 1.0)
		rl->speed = 1.0;
}

void
rate_limiter_note_wait(RateLimiter *rl, int64_t wait_us)
{
	rl->waits++;
	if (wait_us > 0)
		rl->waited_us += wait_us;
}
