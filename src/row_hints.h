/*-------------------------------------------------------------------------
 *
 * row_hints.h
 *	  Where the background worker last wrote each video's latest_snapshots
 *	  row, so that its next fetch looks there before it probes the index.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_ROW_HINTS_H
#define TIKTRACK_ROW_HINTS_H

#include "storage/itemptr.h"

/*
 * The row's last known place, or an invalid tid: none known, or not the
 * background worker (other processes keep no hints).  A hint is only a
 * place to look first: the caller checks that the row there is visible
 * and carries the video's id (direct_find_row_at).
 */
extern void latest_hint_get(int64 video_id, ItemPointer tid);
extern void latest_hint_set(int64 video_id, ItemPointer tid);

#endif							/* TIKTRACK_ROW_HINTS_H */
