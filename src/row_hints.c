/*-------------------------------------------------------------------------
 *
 * row_hints.c
 *	  Where the background worker last saw each video's videos and
 *	  latest_snapshots rows.
 *
 * Why: finding a row by primary key is an index descent.  The store step
 * updates every fetched video's latest_snapshots row (that probe was about
 * 5 % of the worker's CPU in the ingest benchmark), and the claim reads
 * every due video's videos row.  The worker itself wrote or locked both
 * rows at the video's previous fetch (a HOT update keeps the new version
 * on its page), so the place it remembers is almost always right, and a
 * wrong one (the row updated by someone else, moved by VACUUM FULL, the
 * writing transaction rolled back) only costs the probe it saves.  The
 * claim tells the store step where the schedule row is.
 *
 * A table keyed by video id with open addressing (simplehash): 24 bytes
 * per video.  It stops growing at MAX_HINTS videos, 48 MB at most; videos
 * beyond that are found by index as before.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "common/hashfn.h"
#include "miscadmin.h"
#include "utils/memutils.h"

#include "row_hints.h"

#define MAX_HINTS (1 << 20)

typedef struct RowHint
{
	int64		video_id;
	ItemPointerData tid[2];		/* by RowHintKind */
	char		status;			/* simplehash's */
} RowHint;

#define SH_PREFIX row_hints
#define SH_ELEMENT_TYPE RowHint
#define SH_KEY_TYPE int64
#define SH_KEY video_id
#define SH_HASH_KEY(tb, key) murmurhash32((uint32) ((uint64) (key) ^ ((uint64) (key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static row_hints_hash *hints = NULL;

void
row_hint_get(int64 video_id, RowHintKind kind, ItemPointer tid)
{
	RowHint    *h;

	ItemPointerSetInvalid(tid);
	if (hints == NULL)
		return;
	h = row_hints_lookup(hints, video_id);
	if (h != NULL)
		ItemPointerCopy(&h->tid[kind], tid);
}

void
row_hint_get_both(int64 video_id, ItemPointerData tids[2])
{
	RowHint    *h;

	ItemPointerSetInvalid(&tids[HINT_VIDEO]);
	ItemPointerSetInvalid(&tids[HINT_LATEST]);
	if (hints == NULL)
		return;
	h = row_hints_lookup(hints, video_id);
	if (h != NULL)
	{
		ItemPointerCopy(&h->tid[HINT_VIDEO], &tids[HINT_VIDEO]);
		ItemPointerCopy(&h->tid[HINT_LATEST], &tids[HINT_LATEST]);
	}
}

void
row_hint_set(int64 video_id, RowHintKind kind, ItemPointer tid)
{
	RowHint    *h;
	bool		found;

	/* only the worker fetches the same videos again and again */
	if (!IsBackgroundWorker || !ItemPointerIsValid(tid))
		return;
	if (hints == NULL)
		hints = row_hints_create(AllocSetContextCreate(TopMemoryContext,
													   "tiktrack row hints",
													   ALLOCSET_DEFAULT_SIZES),
								 1024, NULL);
	if (hints->members >= MAX_HINTS)
	{
		h = row_hints_lookup(hints, video_id);
		if (h != NULL)
			ItemPointerCopy(tid, &h->tid[kind]);
		return;
	}
	h = row_hints_insert(hints, video_id, &found);
	if (!found)
	{
		ItemPointerSetInvalid(&h->tid[HINT_VIDEO]);
		ItemPointerSetInvalid(&h->tid[HINT_LATEST]);
	}
	ItemPointerCopy(tid, &h->tid[kind]);
}
