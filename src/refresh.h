/*-------------------------------------------------------------------------
 *
 * refresh.h
 *	  The error rule of the synchronous fetch functions (refresh.c), shared
 *	  with the other SQL functions that fetch in the caller's transaction
 *	  (creator_videos.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_REFRESH_H
#define TIKTRACK_REFRESH_H

#include "fetch.h"

/*
 * Reports a failed fetch: an ERROR naming what failed (nothing is
 * written), with a hint for rate limits and TLS failures.  When TikTok
 * rotated the creator's tokens during the call, the batch is stored (the
 * new tokens must survive) and the failure is only a WARNING: the function
 * then returns and the caller returns an empty result.
 */
extern void refresh_raise_failure(FetchBatch *b, const char *error,
								  const FetchCall *call);

#endif							/* TIKTRACK_REFRESH_H */
