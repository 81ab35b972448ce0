/*-------------------------------------------------------------------------
 *
 * video_store.h
 *	  The store step's writes per video (video_store.c), for
 *	  snapshot_store.c, which runs them in the store step's transaction
 *	  with SPI connected.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_VIDEO_STORE_H
#define TIKTRACK_VIDEO_STORE_H

#include "fetch.h"
#include "store_direct.h"

/* Short links whose redirect named the video take their real ids. */
extern void store_resolutions_spi(FetchBatch *b, int lo, int hi);

/*
 * Whether a good answer leaves the video's row as it was read when the
 * batch was prepared (then nothing writes it).
 */
extern bool video_row_unchanged(const FetchVideo *fv);

/* Outcomes, changed metadata, state events and the schedule of [lo, hi). */
extern void store_videos_spi(FetchBatch *b, int lo, int hi, DirectStore *ds);

/* Early traction of the young posts among [lo, hi)'s new snapshots. */
extern void store_traction_checks_spi(FetchBatch *b, int lo, int hi);

#endif							/* TIKTRACK_VIDEO_STORE_H */
