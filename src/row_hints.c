/*-------------------------------------------------------------------------
 *
 * row_hints.c
 *	  Where the background worker last wrote each video's latest_snapshots
 *	  row.
 *
 * Why: the store step updates every fetched video's latest_snapshots row,
 * and finding it by primary key was an index descent per snapshot, about
 * 5 % of the worker's CPU in the ingest benchmark.  The claim tells the
 * store step where the videos and video_schedule rows are; this is the
 * same for the one row the claim does not read.  The worker wrote the row
 * itself at the video's previous fetch (a HOT update keeps the new version
 * on its page), so the place it remembers is almost always right, and a
 * wrong one (the row updated by someone else, moved by VACUUM FULL, the
 * writing transaction rolled back) only costs the index probe it saves.
 *
 * A table keyed by video id with open addressing (simplehash): 16 bytes
 * per video.  It stops growing at MAX_HINTS videos, 32 MB at most; videos
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

typedef struct LatestHint
{
	int64		video_id;
	ItemPointerData tid;
	char		status;			/* simplehash's */
} LatestHint;

#define SH_PREFIX latest_hints
#define SH_ELEMENT_TYPE LatestHint
#define SH_KEY_TYPE int64
#define SH_KEY video_id
#define SH_HASH_KEY(tb, key) murmurhash32((uint32) ((uint64) (key) ^ ((uint64) (key) >> 32)))
#define SH_EQUAL(tb, a, b) ((a) == (b))
#define SH_SCOPE static inline
#define SH_DECLARE
#define SH_DEFINE
#include "lib/simplehash.h"

static latest_hints_hash *hints = NULL;

void
latest_hint_get(int64 video_id, ItemPointer tid)
{
	LatestHint *h;

	ItemPointerSetInvalid(tid);
	if (hints == NULL)
		return;
	h = latest_hints_lookup(hints, video_id);
	if (h != NULL)
		ItemPointerCopy(&h->tid, tid);
}

void
latest_hint_set(int64 video_id, ItemPointer tid)
{
	LatestHint *h;
	bool		found;

	/* only the worker fetches the same videos again and again */
	if (!IsBackgroundWorker || !ItemPointerIsValid(tid))
		return;
	if (hints == NULL)
		hints = latest_hints_create(AllocSetContextCreate(TopMemoryContext,
														  "tiktrack latest_snapshots hints",
														  ALLOCSET_DEFAULT_SIZES),
									1024, NULL);
	if (hints->members >= MAX_HINTS)
	{
		h = latest_hints_lookup(hints, video_id);
		if (h != NULL)
			ItemPointerCopy(tid, &h->tid);
		return;
	}
	h = latest_hints_insert(hints, video_id, &found);
	ItemPointerCopy(tid, &h->tid);
}
