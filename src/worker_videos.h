/*-------------------------------------------------------------------------
 *
 * worker_videos.h
 *	  One round of the background worker over videos (worker_videos.c),
 *	  and the storing of its batch (worker_video_store.c).  Internal to the
 *	  worker.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_WORKER_VIDEOS_H
#define TIKTRACK_WORKER_VIDEOS_H

#include "datatype/timestamp.h"

#include "fetch.h"

/* One claimed video, as the claim returned it. */
typedef struct ClaimedVideo
{
	int64		id;
	int64		creator_id;
	FetchApi	api;
	TimestampTz posted_at;		/* or SCHEDULE_UNKNOWN_TIME */
	TimestampTz track_until;
	int			failures;
	TimestampTz due_at;			/* its place in line: when it fell due */
	TimestampTz group_due;		/* the oldest due_at of its (API, creator) */
	bool		held;			/* a suspect beyond this round's group */
	bool		admitted;
	TimestampTz postponed_until;
	FetchKnownVideo known;		/* its row, for the fetch */
} ClaimedVideo;

/* worker_videos.c */
extern void worker_release_failed_claims(const char *error);
extern int	worker_run_video_round(TimestampTz *next_due);
extern void worker_video_round_aborted(void);

/* worker_video_store.c */
extern void worker_schedule_videos(FetchBatch *batch, const ClaimedVideo *claimed,
								   int nclaimed, TimestampTz now);
extern void worker_store_batch(FetchBatch *b, const ClaimedVideo *claimed, TimestampTz now);

#endif							/* TIKTRACK_WORKER_VIDEOS_H */
