/*-------------------------------------------------------------------------
 *
 * due_queue.c
 *	  The worker's own queue of held videos (see due_queue.h): a binary
 *	  heap of all entries by (due, creator, video), one heap per creator by
 *	  (due, video) for the companions of a request, and an open-addressing
 *	  hash of video ids.  Each entry knows its place in both heaps, so a
 *	  reschedule or a removal is O(log n).
 *
 * Memory per held video is about 70 bytes (the entry, its places, a hash
 * slot at most half full, its slots in both heaps), so a million held
 * videos take about 70 MB.  Growth never changes what the queue holds:
 * every allocation a change needs is made before the change, so a failed
 * one leaves the queue as it was.
 *
 *-------------------------------------------------------------------------
 */
#include <string.h>

#include "due_queue.h"

#define EMPTY (-1)

typedef struct Node
{
	DueEntry	e;
	int32_t		gpos;			/* place in the global heap; -1: free */
	int32_t		cpos;			/* place in its creator's heap; free: next free */
	int32_t		creator;		/* index into creators */
} Node;

typedef struct Creator
{
	int64_t		id;
	int32_t    *heap;			/* its held videos by (due, video) */
	int32_t		n;
	int32_t		cap;
} Creator;

struct DueQueue
{
	DueQueueAllocator a;
	Node	   *nodes;
	int32_t		cap;			/* of nodes and heap */
	int32_t		high;			/* nodes ever used */
	int32_t		free_head;		/* a free node below high, or EMPTY */
	int32_t    *heap;			/* all held videos by (due, creator, video) */
	int32_t		nheap;
	int32_t    *vhash;			/* node by video id; EMPTY slots */
	uint32_t	vmask;
	Creator    *creators;
	int32_t		ncreators;
	int32_t		creators_cap;
	int32_t    *chash;			/* creator index by id; EMPTY slots */
	uint32_t	cmask;
};

/* ---- hashing ---- */

static uint32_t
hash_id(int64_t id)
{
	uint64_t	x = (uint64_t) id;

	x ^= x >> 33;
	x *= UINT64_C(0xff51afd7ed558ccd);
	x ^= x >> 33;
	x *= UINT64_C(0xc4ceb9fe1a85ec53);
	x ^= x >> 33;
	return (uint32_t) x;
}

/* The smallest power of two holding n at most half full (at least 16). */
static uint32_t
table_size(int32_t n)
{
	uint32_t	size = 16;

	while (size < (uint32_t) n * 2)
		size *= 2;
	return size;
}

static int32_t *
new_table(DueQueue *q, uint32_t size)
{
	int32_t    *t = q->a.alloc(q->a.ctx, sizeof(int32_t) * size);

	if (t != NULL)
		memset(t, 0xff, sizeof(int32_t) * size);	/* all EMPTY */
	return t;
}

/* The slot holding video id, or where it would go. */
static uint32_t
video_slot(const DueQueue *q, int64_t id)
{
	uint32_t	i = hash_id(id) & q->vmask;

	while (q->vhash[i] != EMPTY && q->nodes[q->vhash[i]].e.video_id != id)
		i = (i + 1) & q->vmask;
	return i;
}

static int32_t
find_video(const DueQueue *q, int64_t id)
{
	return q->vhash == NULL ? EMPTY : q->vhash[video_slot(q, id)];
}

/* Empties slot i of the video hash, moving later entries of its run back. */
static void
video_hash_delete(DueQueue *q, uint32_t i)
{
	uint32_t	j = i;

	for (;;)
	{
		uint32_t	home;

		j = (j + 1) & q->vmask;
		if (q->vhash[j] == EMPTY)
			break;
		home = hash_id(q->nodes[q->vhash[j]].e.video_id) & q->vmask;
		/* an entry whose home lies cyclically in (i, j] stays where it is */
		if (i <= j ? (i < home && home <= j) : (i < home || home <= j))
			continue;
		q->vhash[i] = q->vhash[j];
		i = j;
	}
	q->vhash[i] = EMPTY;
}

static int32_t
find_creator(const DueQueue *q, int64_t id)
{
	uint32_t	i;

	if (q->chash == NULL)
		return EMPTY;
	for (i = hash_id(id) & q->cmask; q->chash[i] != EMPTY; i = (i + 1) & q->cmask)
		if (q->creators[q->chash[i]].id == id)
			return q->chash[i];
	return EMPTY;
}

static void
creator_hash_add(DueQueue *q, int32_t c)
{
	uint32_t	i = hash_id(q->creators[c].id) & q->cmask;

	while (q->chash[i] != EMPTY)
		i = (i + 1) & q->cmask;
	q->chash[i] = c;
}

/* ---- heaps: the global one (by due, creator, video) and each creator's ---- */

static bool
node_less(const DueQueue *q, int32_t x, int32_t y, bool global)
{
	const DueEntry *a = &q->nodes[x].e;
	const DueEntry *b = &q->nodes[y].e;

	if (a->due != b->due)
		return a->due < b->due;
	if (global && a->creator_id != b->creator_id)
		return a->creator_id < b->creator_id;
	return a->video_id < b->video_id;
}

static void
place(DueQueue *q, int32_t *heap, int32_t pos, int32_t node, bool global)
{
	heap[pos] = node;
	if (global)
		q->nodes[node].gpos = pos;
	else
		q->nodes[node].cpos = pos;
}

static int32_t
pos_of(const DueQueue *q, int32_t node, bool global)
{
	return global ? q->nodes[node].gpos : q->nodes[node].cpos;
}

static void
sift_up(DueQueue *q, int32_t *heap, int32_t pos, bool global)
{
	int32_t		node = heap[pos];

	while (pos > 0)
	{
		int32_t		parent = (pos - 1) / 2;

		if (!node_less(q, node, heap[parent], global))
			break;
		place(q, heap, pos, heap[parent], global);
		pos = parent;
	}
	place(q, heap, pos, node, global);
}

static void
sift_down(DueQueue *q, int32_t *heap, int32_t n, int32_t pos, bool global)
{
	int32_t		node = heap[pos];

	for (;;)
	{
		int32_t		child = 2 * pos + 1;

		if (child >= n)
			break;
		if (child + 1 < n && node_less(q, heap[child + 1], heap[child], global))
			child++;
		if (!node_less(q, heap[child], node, global))
			break;
		place(q, heap, pos, heap[child], global);
		pos = child;
	}
	place(q, heap, pos, node, global);
}

/* Restores the heap's order around a node whose key changed. */
static void
reposition(DueQueue *q, int32_t *heap, int32_t n, int32_t node, bool global)
{
	sift_up(q, heap, pos_of(q, node, global), global);
	sift_down(q, heap, n, pos_of(q, node, global), global);
}

static void
heap_push(DueQueue *q, int32_t *heap, int32_t *n, int32_t node, bool global)
{
	place(q, heap, (*n)++, node, global);
	sift_up(q, heap, *n - 1, global);
}

static void
heap_remove(DueQueue *q, int32_t *heap, int32_t *n, int32_t node, bool global)
{
	int32_t		pos = pos_of(q, node, global);
	int32_t		last = heap[--(*n)];

	if (pos == *n)
		return;
	place(q, heap, pos, last, global);
	reposition(q, heap, *n, last, global);
}

/* ---- growth: every one keeps what the queue holds ---- */

/* Room for one more node; false without memory. */
static bool
ensure_node(DueQueue *q)
{
	int32_t		cap;
	Node	   *nodes;
	int32_t    *heap;
	int32_t    *vhash;
	uint32_t	size;
	int32_t		i;

	if (q->free_head != EMPTY || q->high < q->cap)
		return true;
	if (q->cap > INT32_MAX / 4)
		return false;			/* positions are int32_t; hash slots twice as many */
	cap = q->cap < 64 ? 64 : q->cap * 2;
	size = table_size(cap);
	nodes = q->a.alloc(q->a.ctx, sizeof(Node) * cap);
	heap = q->a.alloc(q->a.ctx, sizeof(int32_t) * cap);
	vhash = new_table(q, size);
	if (nodes == NULL || heap == NULL || vhash == NULL)
	{
		if (nodes)
			q->a.free(q->a.ctx, nodes);
		if (heap)
			q->a.free(q->a.ctx, heap);
		if (vhash)
			q->a.free(q->a.ctx, vhash);
		return false;
	}
	if (q->cap > 0)
	{
		memcpy(nodes, q->nodes, sizeof(Node) * q->high);
		memcpy(heap, q->heap, sizeof(int32_t) * q->nheap);
		q->a.free(q->a.ctx, q->nodes);
		q->a.free(q->a.ctx, q->heap);
		q->a.free(q->a.ctx, q->vhash);
	}
	q->nodes = nodes;
	q->heap = heap;
	q->vhash = vhash;
	q->vmask = size - 1;
	q->cap = cap;
	for (i = 0; i < q->high; i++)
		if (q->nodes[i].gpos != EMPTY)
			q->vhash[video_slot(q, q->nodes[i].e.video_id)] = i;
	return true;
}

/* The creator's index, added (with no videos) if new; EMPTY without memory. */
static int32_t
creator_index(DueQueue *q, int64_t id)
{
	int32_t		c = find_creator(q, id);

	if (c != EMPTY)
		return c;
	if (q->ncreators == q->creators_cap)
	{
		int32_t		cap;
		uint32_t	size;
		Creator    *creators;
		int32_t    *chash;

		if (q->creators_cap > INT32_MAX / 4)
			return EMPTY;
		cap = q->creators_cap < 16 ? 16 : q->creators_cap * 2;
		size = table_size(cap);
		creators = q->a.alloc(q->a.ctx, sizeof(Creator) * cap);
		chash = new_table(q, size);
		if (creators == NULL || chash == NULL)
		{
			if (creators)
				q->a.free(q->a.ctx, creators);
			if (chash)
				q->a.free(q->a.ctx, chash);
			return EMPTY;
		}
		if (q->creators_cap > 0)
		{
			memcpy(creators, q->creators, sizeof(Creator) * q->ncreators);
			q->a.free(q->a.ctx, q->creators);
			q->a.free(q->a.ctx, q->chash);
		}
		q->creators = creators;
		q->creators_cap = cap;
		q->chash = chash;
		q->cmask = size - 1;
		for (c = 0; c < q->ncreators; c++)
			creator_hash_add(q, c);
	}
	c = q->ncreators++;
	q->creators[c].id = id;
	q->creators[c].heap = NULL;
	q->creators[c].n = 0;
	q->creators[c].cap = 0;
	creator_hash_add(q, c);
	return c;
}

/* Room for one more video in creator c's heap; false without memory. */
static bool
ensure_creator_slot(DueQueue *q, int32_t c)
{
	Creator    *cr = &q->creators[c];
	int32_t		cap;
	int32_t    *heap;

	if (cr->n < cr->cap)
		return true;
	if (cr->cap > INT32_MAX / 4)
		return false;
	cap = cr->cap < 4 ? 4 : cr->cap * 2;
	heap = q->a.alloc(q->a.ctx, sizeof(int32_t) * cap);
	if (heap == NULL)
		return false;
	if (cr->heap != NULL)
	{
		memcpy(heap, cr->heap, sizeof(int32_t) * cr->n);
		q->a.free(q->a.ctx, cr->heap);
	}
	cr->heap = heap;
	cr->cap = cap;
	return true;
}

/* ---- the interface ---- */

DueQueue *
due_queue_create(const DueQueueAllocator *a)
{
	DueQueue   *q = a->alloc(a->ctx, sizeof(DueQueue));

	if (q == NULL)
		return NULL;
	memset(q, 0, sizeof(*q));
	q->a = *a;
	q->free_head = EMPTY;
	return q;
}

void
due_queue_destroy(DueQueue *q)
{
	int32_t		c;

	if (q == NULL)
		return;
	for (c = 0; c < q->ncreators; c++)
		if (q->creators[c].heap)
			q->a.free(q->a.ctx, q->creators[c].heap);
	if (q->cap > 0)
	{
		q->a.free(q->a.ctx, q->nodes);
		q->a.free(q->a.ctx, q->heap);
		q->a.free(q->a.ctx, q->vhash);
	}
	if (q->creators_cap > 0)
	{
		q->a.free(q->a.ctx, q->creators);
		q->a.free(q->a.ctx, q->chash);
	}
	q->a.free(q->a.ctx, q);
}

/* Drops a held node from both heaps and the hash. */
static void
drop_node(DueQueue *q, int32_t node)
{
	Creator    *cr = &q->creators[q->nodes[node].creator];

	heap_remove(q, q->heap, &q->nheap, node, true);
	heap_remove(q, cr->heap, &cr->n, node, false);
	video_hash_delete(q, video_slot(q, q->nodes[node].e.video_id));
	q->nodes[node].gpos = EMPTY;
	q->nodes[node].cpos = q->free_head;
	q->free_head = node;
}

bool
due_queue_put(DueQueue *q, const DueEntry *e)
{
	int32_t		node = find_video(q, e->video_id);
	int32_t		c;

	if (node == EMPTY)
	{
		if (!ensure_node(q) || (c = creator_index(q, e->creator_id)) == EMPTY ||
			!ensure_creator_slot(q, c))
			return false;
		if (q->free_head != EMPTY)
		{
			node = q->free_head;
			q->free_head = q->nodes[node].cpos;
		}
		else
			node = q->high++;
		q->nodes[node].e = *e;
		q->nodes[node].creator = c;
		q->vhash[video_slot(q, e->video_id)] = node;
		heap_push(q, q->heap, &q->nheap, node, true);
		heap_push(q, q->creators[c].heap, &q->creators[c].n, node, false);
		return true;
	}
	if (q->nodes[node].e.creator_id != e->creator_id)
	{
		Creator    *old;

		if ((c = creator_index(q, e->creator_id)) == EMPTY || !ensure_creator_slot(q, c))
			return false;
		old = &q->creators[q->nodes[node].creator];
		heap_remove(q, old->heap, &old->n, node, false);
		q->nodes[node].e = *e;
		q->nodes[node].creator = c;
		heap_push(q, q->creators[c].heap, &q->creators[c].n, node, false);
	}
	else
	{
		Creator    *cr = &q->creators[q->nodes[node].creator];

		q->nodes[node].e = *e;
		reposition(q, cr->heap, cr->n, node, false);
	}
	reposition(q, q->heap, q->nheap, node, true);
	return true;
}

bool
due_queue_remove(DueQueue *q, int64_t video_id, DueEntry *old)
{
	int32_t		node = find_video(q, video_id);

	if (node == EMPTY)
		return false;
	if (old)
		*old = q->nodes[node].e;
	drop_node(q, node);
	return true;
}

bool
due_queue_get(const DueQueue *q, int64_t video_id, DueEntry *out)
{
	int32_t		node = find_video(q, video_id);

	if (node == EMPTY)
		return false;
	*out = q->nodes[node].e;
	return true;
}

int
due_queue_take_due(DueQueue *q, int64_t now, int max, DueEntry *out)
{
	int			n = 0;

	while (n < max && q->nheap > 0 && q->nodes[q->heap[0]].e.due <= now)
	{
		int32_t		node = q->heap[0];

		out[n++] = q->nodes[node].e;
		drop_node(q, node);
	}
	return n;
}

int
due_queue_take_creator(DueQueue *q, int64_t creator_id, int64_t after, int64_t upto,
					   int max, DueEntry *out)
{
	int32_t		c = find_creator(q, creator_id);
	Creator    *cr;
	int32_t    *aside = NULL;
	int32_t		naside = 0;
	int			n = 0;
	int32_t		i;

	if (c == EMPTY || max <= 0)
		return 0;
	cr = &q->creators[c];
	/* the ones due by `after` leave the creator's heap for a moment */
	if (cr->n > 0 && q->nodes[cr->heap[0]].e.due <= after)
	{
		aside = q->a.alloc(q->a.ctx, sizeof(int32_t) * cr->n);
		if (aside == NULL)
			return -1;
		while (cr->n > 0 && q->nodes[cr->heap[0]].e.due <= after)
		{
			aside[naside++] = cr->heap[0];
			heap_remove(q, cr->heap, &cr->n, cr->heap[0], false);
		}
	}
	while (n < max && cr->n > 0 && q->nodes[cr->heap[0]].e.due <= upto)
	{
		int32_t		node = cr->heap[0];

		out[n++] = q->nodes[node].e;
		drop_node(q, node);
	}
	/* they came out of this heap, which lost more since: room enough */
	for (i = 0; i < naside; i++)
		heap_push(q, cr->heap, &cr->n, aside[i], false);
	if (aside)
		q->a.free(q->a.ctx, aside);
	return n;
}

bool
due_queue_earliest(const DueQueue *q, int64_t *due)
{
	if (q->nheap == 0)
		return false;
	*due = q->nodes[q->heap[0]].e.due;
	return true;
}

size_t
due_queue_size(const DueQueue *q)
{
	return (size_t) q->nheap;
}
