/*-------------------------------------------------------------------------
 *
 * claim_direct.h
 *	  The worker's claim of due videos read directly by index
 *	  (claim_direct.c), where the claim's statement (CLAIM_DUE_VIDEOS in
 *	  worker_videos.c) is otherwise the path.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_CLAIM_DIRECT_H
#define TIKTRACK_CLAIM_DIRECT_H

#include "datatype/timestamp.h"

#include "fetch.h"

/* One claimed video: a row of CLAIM_DUE_VIDEOS. */
typedef struct DirectClaim
{
	int64		id;
	bool		has_creator;
	char	   *api;			/* the creator's authorized_via when
								 * authorized, else NULL */
	TimestampTz posted_at;		/* coalesce(posted_at, tracked_at) */
	TimestampTz track_until;
	int			fetch_failures;
	TimestampTz next_fetch_at;
	FetchKnownVideo known;		/* creator_id is 0 without a creator */
} DirectClaim;

/*
 * Up to max_videos due videos, oldest due first, and the videos of their
 * creators due within window after now(), as CLAIM_DUE_VIDEOS returns
 * them (in no particular order), in the current memory context; -1 when
 * the direct read does not apply (the caller runs the statement).
 */
extern int	claim_direct(int max_videos, const Interval *window, DirectClaim **out);

#endif							/* TIKTRACK_CLAIM_DIRECT_H */
