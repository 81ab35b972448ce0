/*-------------------------------------------------------------------------
 *
 * worker_video_store.c
 *	  The end of a round over videos (worker_videos.c): decide every
 *	  fetched video's next fetch from its outcome, and store the batch in
 *	  one subtransaction, or, when that fails, in halves until the video
 *	  at fault is alone, so that one video's fault never costs the others
 *	  their snapshots.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "access/xact.h"
#include "utils/memutils.h"
#include "utils/resowner.h"
#include "utils/timestamp.h"

#include "fetch.h"
#include "fetch_budget.h"
#include "schedule.h"
#include "worker_internal.h"
#include "worker_videos.h"

/* A claim nobody completed is given back after this long. */
#define CLAIM_LEASE "10 minutes"

/* ---- writing a batch ---- */

/*
 * The claim of each video of the batch.  The batch holds the admitted
 * claims in claim order (fetch_prepare_known_videos keeps it), so one
 * forward walk finds them.
 */
static const ClaimedVideo *
next_claimed(const ClaimedVideo *v, int n, int *pos, int64 id, int *index)
{
	int			i;

	for (i = *pos; i < n; i++)
		if (v[i].id == id)
		{
			*pos = i + 1;
			*index = i;
			return &v[i];
		}
	return NULL;
}

/*
 * Decides a video's next fetch from its outcome, for fetch_store() to
 * write with the outcome in one row update (which also ends the claim):
 * the cadence after an answer, the backoff after a failure (and whether it
 * makes the video failing), the end of a throttle.
 */
static void
schedule_video(FetchVideo *fv, const ClaimedVideo *c, const ScheduleSettings *s,
			   TimestampTz now)
{
	TimestampTz posted_at = c ? c->posted_at : SCHEDULE_UNKNOWN_TIME;
	TimestampTz track_until = c ? c->track_until : DT_NOEND;
	TimestampTz next;
	int			failures;
	int64		at;

	switch (fv->outcome)
	{
		case FETCH_OK:
			if (fv->stats.has_create_time)
				posted_at = time_t_to_timestamptz((pg_time_t) fv->stats.create_time);
			next = schedule_next_fetch(s, now, posted_at, track_until, &at) ? at : DT_NOBEGIN;
			break;
		case FETCH_RESOLVED:
			/* The real id is known now; fetch its stats right away. */
			next = now;
			break;
		case FETCH_MISSING:
			/* Answered; fetch_store records what it means. */
			next = schedule_next_fetch(s, now, posted_at, track_until, &at) ? at : DT_NOBEGIN;
			break;
		case FETCH_NO_AUTH:
		case FETCH_REAUTH:

			/*
			 * Nothing to fetch until the creator authorizes, which makes
			 * the video due at once (store_tokens_spi): only its end is
			 * kept in view, to complete it.  A video whose creator is not
			 * known yet is looked at every interval.
			 */
			next = schedule_next_fetch(s, now, posted_at, track_until, &at) ? at : DT_NOBEGIN;
			if (next != DT_NOBEGIN)
				next = fv->creator_id != 0 ? track_until : Min(now + s->interval_us, track_until);
			break;
		case FETCH_ERROR:
			if (fetch_throttled(fv->outcome, fv->call))
			{
				/* Not the video's fault: back when the limiter opens. */
				next = now + fetch_budget_throttle_wait_us(fv->call);
				break;
			}
			/* fetch_store counts this failure: one more than claimed */
			failures = (c ? c->failures : 0) + 1;
			fv->becomes_failing = schedule_is_failing(s, failures);
			if (now >= track_until)
				next = DT_NOBEGIN;
			else
			{
				at = now + schedule_retry_delay(s, failures, worker_creator_jitter(fv->creator_id));
				next = Min(at, track_until);
			}
			break;
		case FETCH_PENDING:
		default:
			next = now;
			break;
	}
	/* A short link still resolving never "completes". */
	if (fv->video_id < 0 && fv->outcome != FETCH_RESOLVED && next == DT_NOBEGIN)
		next = now + s->interval_us;
	fv->scheduled = true;
	fv->next_fetch_at = next;
}

void
worker_schedule_videos(FetchBatch *batch, const ClaimedVideo *claimed, int nclaimed,
					   TimestampTz now)
{
	ScheduleSettings s = worker_schedule_settings();
	int			pos = 0;
	int			i;

	worker_new_jitter_seed();
	for (i = 0; i < batch->nvideos; i++)
	{
		FetchVideo *fv = &batch->videos[i];

		fv->claim_index = -1;
		schedule_video(fv, next_claimed(claimed, nclaimed, &pos, fv->video_id, &fv->claim_index),
					   &s, now);
	}
}

/* ---- storing a batch, a failure isolated to the video that caused it ---- */

typedef void (*StoreStep) (FetchBatch *batch, int lo, int hi);

static void
store_whole_batch(FetchBatch *b, int lo, int hi)
{
	fetch_store(b);
}

static void
store_all_but_videos(FetchBatch *b, int lo, int hi)
{
	fetch_store_all_but_videos(b);
}

/*
 * Runs a store step in a subtransaction; NULL when it succeeded, else its
 * error message (everything it wrote is rolled back).
 */
static char *
try_store(StoreStep step, FetchBatch *b, int lo, int hi)
{
	MemoryContext oldcxt = CurrentMemoryContext;
	ResourceOwner oldowner = CurrentResourceOwner;
	char	   *volatile error = NULL;

	BeginInternalSubTransaction(NULL);
	MemoryContextSwitchTo(oldcxt);
	PG_TRY();
	{
		step(b, lo, hi);
		ReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
	}
	PG_CATCH();
	{
		ErrorData  *edata;

		MemoryContextSwitchTo(oldcxt);
		edata = CopyErrorData();
		FlushErrorState();
		RollbackAndReleaseCurrentSubTransaction();
		MemoryContextSwitchTo(oldcxt);
		CurrentResourceOwner = oldowner;
		error = pstrdup(edata->message ? edata->message : "unknown error");
		FreeErrorData(edata);
	}
	PG_END_TRY();
	return error;
}

/*
 * Stores videos [lo, hi), halving the range on failure until the video
 * that cannot be stored is alone: then that video's fetch failed (with the
 * reason as its last_error, a failure counted) and its neighbours are
 * stored as usual.
 */
static void
store_videos_isolating(FetchBatch *b, int lo, int hi, const ClaimedVideo *claimed,
					   TimestampTz now)
{
	FetchVideo *fv;
	ScheduleSettings s;
	char	   *error;

	if (lo >= hi)
		return;
	error = try_store(fetch_store_videos, b, lo, hi);
	if (error == NULL)
		return;
	if (hi - lo > 1)
	{
		int			mid = lo + (hi - lo) / 2;

		store_videos_isolating(b, lo, mid, claimed, now);
		store_videos_isolating(b, mid, hi, claimed, now);
		return;
	}
	fv = &b->videos[lo];
	ereport(WARNING,
			(errmsg("tiktrack worker: could not store video " INT64_FORMAT ": %s",
					fv->video_id, error),
			 errdetail("The other videos of the batch are stored; this one counts a failed fetch.")));
	fv->outcome = FETCH_ERROR;
	fv->note = NULL;
	fv->error = psprintf("could not store what TikTok answered for video " INT64_FORMAT ": %s",
						 fv->video_id, error);
	s = worker_schedule_settings();
	schedule_video(fv, fv->claim_index >= 0 ? &claimed[fv->claim_index] : NULL, &s, now);
	error = try_store(fetch_store_videos, b, lo, hi);
	if (error != NULL)
		ereport(WARNING,
				(errmsg("tiktrack worker: could not record the failure of video " INT64_FORMAT ": %s",
						fv->video_id, error),
				 errdetail("Its claim lapses after " CLAIM_LEASE ".")));
}

/*
 * The store step of a round: the whole batch at once (the common case,
 * one subtransaction), or, when that fails, its parts, so that one video's
 * fault never costs the others their snapshots.
 */
void
worker_store_batch(FetchBatch *b, const ClaimedVideo *claimed, TimestampTz now)
{
	char	   *error = try_store(store_whole_batch, b, 0, 0);

	if (error == NULL)
		return;
	ereport(WARNING,
			(errmsg("tiktrack worker: storing a batch of %d videos failed: %s", b->nvideos, error),
			 errdetail("Storing its videos in smaller groups to find the one at fault.")));
	error = try_store(store_all_but_videos, b, 0, 0);
	if (error != NULL)
		ereport(WARNING,
				(errmsg("tiktrack worker: could not store the batch's tokens, creator stats and fetch_log rows: %s",
						error)));
	store_videos_isolating(b, 0, b->nvideos, claimed, now);
}
