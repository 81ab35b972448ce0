/*-------------------------------------------------------------------------
 *
 * video_pager.c
 *	  When to ask TikTok for another page of a creator's videos, and when
 *	  to stop (see video_pager.h).
 *
 * The rules only look at what TikTok answered, never at the clock, so the
 * same answers always give the same requests: a test can replay them, and
 * the fuzzer checks that no sequence of answers makes the pager ask more
 * than max_pages times, send a cursor twice or keep a video twice.
 *
 *-------------------------------------------------------------------------
 */
#include "video_pager.h"

#include <string.h>

#define VP_STR2(x) #x
#define VP_STR(x) VP_STR2(x)

void
vp_init(VideoPager *p, int max_videos, bool has_since, int64_t since)
{
	memset(p, 0, sizeof(*p));
	if (max_videos < 1)
		max_videos = 1;
	if (max_videos > VP_MAX_VIDEOS)
		max_videos = VP_MAX_VIDEOS;
	p->max_videos = max_videos;
	p->max_pages = (max_videos + VP_VIDEOS_PER_PAGE_FLOOR - 1) / VP_VIDEOS_PER_PAGE_FLOOR;
	if (p->max_pages < VP_MIN_PAGES)
		p->max_pages = VP_MIN_PAGES;
	p->has_since = has_since;
	p->since = since;
	p->state = VP_CONTINUE;
	p->cursor = 0;
}

/* Whether cursor was sent already (0 stands for the first, cursor-less request). */
static bool
cursor_sent(const VideoPager *p, int64_t cursor)
{
	int			i;

	for (i = 0; i < p->nsent; i++)
		if (p->sent[i] == cursor)
			return true;
	return false;
}

static bool
id_seen(const VideoPager *p, int64_t id)
{
	int			i;

	for (i = 0; i < p->nids; i++)
		if (p->ids[i] == id)
			return true;
	return false;
}

bool
vp_next_request(VideoPager *p, int64_t *cursor, int *max_count)
{
	int			want;

	if (p->state != VP_CONTINUE)
		return false;
	want = p->max_videos - p->nids;
	*cursor = p->cursor;
	*max_count = want < VP_PAGE_MAX ? want : VP_PAGE_MAX;
	/* asking again for the same page (a retry) records nothing new */
	if (p->nsent == p->pages && p->nsent < VP_MAX_PAGES + 1)
		p->sent[p->nsent++] = p->cursor;
	return true;
}

VpState
vp_add_page(VideoPager *p, const VpItem *items, int n, bool has_more,
			bool has_cursor, int64_t cursor, bool *accepted)
{
	bool		only_older = n > 0;
	int			added = 0;
	int			i;

	for (i = 0; i < n; i++)
		accepted[i] = false;
	if (p->state != VP_CONTINUE || p->nsent != p->pages + 1)
		return p->state;		/* no request outstanding: ignore */
	p->pages++;

	for (i = 0; i < n; i++)
	{
		const VpItem *it = &items[i];

		if (p->has_since && it->has_create_time && it->create_time < p->since)
			continue;
		only_older = false;
		if (p->nids >= p->max_videos || id_seen(p, it->id))
			continue;
		p->ids[p->nids++] = it->id;
		accepted[i] = true;
		added++;
	}
	p->empty_run = added > 0 ? 0 : p->empty_run + 1;

	/* a cursor TikTok could not mean as a position restarts from the top */
	if (has_cursor && cursor <= 0)
		cursor = 0;

	if (!has_more)
		p->state = VP_DONE_NO_MORE;
	else if (p->nids >= p->max_videos)
		p->state = VP_DONE_ENOUGH;
	else if (only_older)
		p->state = VP_DONE_OLDER;
	else if (!has_cursor)
		p->state = VP_STOP_NO_CURSOR;
	else if (cursor_sent(p, cursor))
		p->state = VP_STOP_CURSOR_REPEATED;
	else if (p->empty_run >= VP_MAX_EMPTY_PAGES)
		p->state = VP_STOP_EMPTY_PAGES;
	else if (p->pages >= p->max_pages)
		p->state = VP_STOP_MAX_PAGES;
	else
		p->cursor = cursor;
	return p->state;
}

bool
vp_state_is_guard(VpState s)
{
	return s == VP_STOP_NO_CURSOR || s == VP_STOP_CURSOR_REPEATED ||
		s == VP_STOP_EMPTY_PAGES || s == VP_STOP_MAX_PAGES;
}

const char *
vp_state_describe(VpState s)
{
	switch (s)
	{
		case VP_CONTINUE:
			return "more pages to fetch";
		case VP_DONE_NO_MORE:
			return "TikTok answered has_more = false";
		case VP_DONE_ENOUGH:
			return "the requested number of videos was reached";
		case VP_DONE_OLDER:
			return "a page held only videos posted before the cut-off";
		case VP_STOP_NO_CURSOR:
			return "TikTok answered has_more = true without a cursor to continue from";
		case VP_STOP_CURSOR_REPEATED:
			return "TikTok answered has_more = true with a cursor that was already used, which would loop";
		case VP_STOP_EMPTY_PAGES:
			return "TikTok answered has_more = true but no new video in "
				VP_STR(VP_MAX_EMPTY_PAGES) " pages in a row";
		case VP_STOP_MAX_PAGES:
			return "the page limit was reached although TikTok answered has_more = true";
	}
	return "unknown";
}
