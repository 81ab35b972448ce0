/*-------------------------------------------------------------------------
 *
 * creator_videos.h
 *	  Listing an authorized creator's recent videos: paging through
 *	  Display POST /v2/video/list/ or Business GET /business/video/list/
 *	  (src/video_pager.c decides when to stop), and the SQL function
 *	  tiktrack.creator_videos().
 *
 * The execute step below follows fetch.h: no transaction and no SPI, the
 * requests and any token refresh join the batch, so a caller (the SQL
 * function, or the background worker discovering new posts) stores them
 * with fetch_store().
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_CREATOR_VIDEOS_H
#define TIKTRACK_CREATOR_VIDEOS_H

#include "fetch.h"
#include "video_pager.h"

typedef struct FetchListedVideo
{
	int64		video_id;
	FetchVideoStats stats;		/* counters and metadata as listed */
} FetchListedVideo;

typedef struct FetchCreatorVideos
{
	/* input */
	FetchCredentials *cred;		/* NULL: the creator authorized no API */
	int			max_videos;		/* 1..VP_MAX_VIDEOS */
	bool		has_since;
	int64		since;			/* epoch seconds: only videos posted since */

	/* results */
	FetchOutcome outcome;		/* FETCH_OK, _NO_AUTH, _REAUTH or _ERROR */
	int			nvideos;
	FetchListedVideo *videos;	/* newest first, as TikTok listed them */
	int			pages;			/* pages answered */
	VpState		stop;			/* why paging ended (FETCH_OK) */
	FetchCall  *call;			/* the request that failed, if any */
	char	   *error;			/* message for FETCH_ERROR / FETCH_REAUTH */
	int			budget_limiter; /* the bucket that ran dry, or -1 */
	int64		budget_wait_us; /* > 0: paging stopped for the request budget
								 * (FETCH_OK with the pages listed before) */
} FetchCreatorVideos;

extern void fetch_execute_creator_videos(FetchBatch *batch, FetchCreatorVideos *cv,
										 FetchRotationCallback on_rotation,
										 void *arg);

#endif							/* TIKTRACK_CREATOR_VIDEOS_H */
