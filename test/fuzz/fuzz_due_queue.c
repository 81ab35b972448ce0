/*
 * libFuzzer target for the worker's queue of held videos (src/due_queue.c),
 * differential against a naive model (an array searched and sorted on every
 * operation).  The input is a script of operations on few videos, creators
 * and due times, so that replacements, ties and creator changes are
 * frequent; allocations fail where the script says.  After every
 * operation the queue must answer exactly as the model:
 *	- take_due: the same entries in the same order, (due, creator, video);
 *	- take_creator: the same, (due, video), only due in (after, upto];
 *	- put, remove, get, earliest and size alike;
 *	- a put or take_creator that fails for memory changes nothing.
 *
 * FUZZ_SOURCES: src/due_queue.c
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "due_queue.h"

#include "fuzz_check.h"

#define NVIDEOS 200
#define MAXTAKE 16

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* ---- an allocator that fails on request ---- */

static int	fail_in = -1;		/* allocations left before one fails; -1: none */
static long live;

static void *
test_alloc(void *ctx, size_t size)
{
	void	   *p;

	if (fail_in == 0)
	{
		fail_in = -1;
		return NULL;
	}
	if (fail_in > 0)
		fail_in--;
	p = malloc(size + 16);
	if (p == NULL)
		abort();
	memset(p, 0xa5, size + 16);	/* no reliance on zeroed memory */
	live++;
	return p;
}

static void
test_free(void *ctx, void *p)
{
	live--;
	free(p);
}

/* ---- the model ---- */

static DueEntry model[NVIDEOS];
static int	nmodel;

static int
model_find(int64_t video)
{
	int			i;

	for (i = 0; i < nmodel; i++)
		if (model[i].video_id == video)
			return i;
	return -1;
}

static void
model_drop(int i)
{
	model[i] = model[--nmodel];
}

static int
cmp_global(const void *a, const void *b)
{
	const DueEntry *x = a;
	const DueEntry *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	if (x->creator_id != y->creator_id)
		return x->creator_id < y->creator_id ? -1 : 1;
	return x->video_id < y->video_id ? -1 : (x->video_id > y->video_id);
}

static int
cmp_creator(const void *a, const void *b)
{
	const DueEntry *x = a;
	const DueEntry *y = b;

	if (x->due != y->due)
		return x->due < y->due ? -1 : 1;
	return x->video_id < y->video_id ? -1 : (x->video_id > y->video_id);
}

/* The model's take: the matching entries in order, the first max removed. */
static int
model_take(bool by_creator, int64_t creator, int64_t after, int64_t upto, int max, DueEntry *out)
{
	DueEntry	match[NVIDEOS];
	int			n = 0;
	int			i;

	for (i = 0; i < nmodel; i++)
		if (by_creator ? (model[i].creator_id == creator && model[i].due > after &&
						  model[i].due <= upto)
			: model[i].due <= upto)
			match[n++] = model[i];
	qsort(match, n, sizeof(DueEntry), by_creator ? cmp_creator : cmp_global);
	if (n > max)
		n = max;
	for (i = 0; i < n; i++)
	{
		out[i] = match[i];
		model_drop(model_find(match[i].video_id));
	}
	return n;
}

static bool
same_entry(const DueEntry *a, const DueEntry *b)
{
	return a->video_id == b->video_id && a->creator_id == b->creator_id &&
		a->due == b->due && a->tag == b->tag;
}

/* The queue holds exactly the model. */
static void
check_all(DueQueue *q)
{
	int64_t		v;
	int64_t		earliest;
	int64_t		want = INT64_MAX;
	int			i;

	CHECK(due_queue_size(q) == (size_t) nmodel);
	for (v = 0; v < NVIDEOS; v++)
	{
		DueEntry	got;
		int			m = model_find(v);

		CHECK(due_queue_get(q, v, &got) == (m >= 0));
		if (m >= 0)
			CHECK(same_entry(&got, &model[m]));
	}
	for (i = 0; i < nmodel; i++)
		if (model[i].due < want)
			want = model[i].due;
	CHECK(due_queue_earliest(q, &earliest) == (nmodel > 0));
	if (nmodel > 0)
		CHECK(earliest == want);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	DueQueueAllocator a = {test_alloc, test_free, NULL};
	DueQueue   *q;
	uint64_t	tag = 0;
	size_t		i;

	fail_in = -1;
	live = 0;
	nmodel = 0;
	q = due_queue_create(&a);
	CHECK(q != NULL);
	for (i = 0; i + 3 < size; i += 4)
	{
		int			op = data[i] & 7;
		bool		fail = (data[i] & 0x80) != 0;
		int64_t		video = data[i + 1] % NVIDEOS;
		int64_t		creator = data[i + 2] % 24 - 1;	/* -1..22 */
		int64_t		due = (data[i + 3] % 24) - 4;	/* -4..19 */
		int			max = data[i + 2] % MAXTAKE;
		DueEntry	got[MAXTAKE];
		DueEntry	want[MAXTAKE];
		int			ngot;
		int			nwant;
		int			k;

		fail_in = fail ? (data[i] >> 3) & 3 : -1;
		switch (op)
		{
			case 0:
			case 1:
			case 2:
				{
					DueEntry	e = {video, creator, due, ++tag};
					int			m = model_find(video);

					if (due_queue_put(q, &e))
					{
						if (m >= 0)
							model[m] = e;
						else
							model[nmodel++] = e;
					}
					else
						CHECK(fail);
					break;
				}
			case 3:
				{
					DueEntry	old;
					int			m = model_find(video);

					CHECK(due_queue_remove(q, video, &old) == (m >= 0));
					if (m >= 0)
					{
						CHECK(same_entry(&old, &model[m]));
						model_drop(m);
					}
					break;
				}
			case 4:
			case 5:
				ngot = due_queue_take_due(q, due, max, got);
				nwant = model_take(false, 0, 0, due, max, want);
				CHECK(ngot == nwant);
				for (k = 0; k < ngot; k++)
					CHECK(same_entry(&got[k], &want[k]));
				break;
			case 6:
				{
					int64_t		after = (data[i + 1] % 24) - 6;

					ngot = due_queue_take_creator(q, creator, after, due, max, got);
					if (ngot < 0)
					{
						CHECK(fail);
						break;
					}
					nwant = model_take(true, creator, after, due, max, want);
					CHECK(ngot == nwant);
					for (k = 0; k < ngot; k++)
						CHECK(same_entry(&got[k], &want[k]));
					break;
				}
			case 7:
				check_all(q);
				break;
		}
		fail_in = -1;
		CHECK(due_queue_size(q) == (size_t) nmodel);
	}
	check_all(q);
	due_queue_destroy(q);
	CHECK(live == 0);
	return 0;
}
