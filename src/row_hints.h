/*-------------------------------------------------------------------------
 *
 * row_hints.h
 *	  Where the background worker last saw each video's rows, so that its
 *	  next fetch looks there before it probes an index.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_ROW_HINTS_H
#define TIKTRACK_ROW_HINTS_H

#include "storage/itemptr.h"

typedef enum RowHintKind
{
	HINT_VIDEO,					/* its videos row, as the store step locked
								 * or wrote it */
	HINT_LATEST					/* its latest_snapshots row, as written */
} RowHintKind;

/*
 * The row's last known place, or an invalid tid: none known, or not the
 * background worker (other processes keep no hints).  A hint is only a
 * place to look first: the caller checks that the row there is visible
 * and carries the video's id.
 */
extern void row_hint_get(int64 video_id, RowHintKind kind, ItemPointer tid);
/* Both places by one lookup, indexed by RowHintKind. */
extern void row_hint_get_both(int64 video_id, ItemPointerData tids[2]);
extern void row_hint_set(int64 video_id, RowHintKind kind, ItemPointer tid);

#endif							/* TIKTRACK_ROW_HINTS_H */
