/*-------------------------------------------------------------------------
 *
 * video_pager.h
 *	  Deterministic paging through a creator's video list
 *	  (Display POST /v2/video/list/, Business GET /business/video/list/).
 *
 * Both endpoints answer a page of videos, newest first, with a cursor to
 * send back and has_more.  TikTok documents that a page may hold fewer
 * than max_count videos (even none) while has_more is still true, so a
 * short page is no reason to stop; but a misbehaving answer must not make
 * us loop.  The pager decides, from the answers alone:
 *
 *	 stop, done:   has_more is false; enough videos were collected; with a
 *				   posted_since cut-off, a page holds only older videos;
 *	 stop, guard:  has_more without a cursor; a cursor that was already
 *				   sent (no progress); VP_MAX_EMPTY_PAGES pages in a row
 *				   without a new video; more than max_pages pages.
 *
 * Videos seen twice are dropped.  Plain C99, no allocation and no global
 * state (the struct is the whole state), so the fuzzer links it alone.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_VIDEO_PAGER_H
#define TIKTRACK_VIDEO_PAGER_H

#include <stdbool.h>
#include <stdint.h>

#define VP_PAGE_MAX 20			/* max_count TikTok accepts on both endpoints */
#define VP_MAX_VIDEOS 1000		/* most videos one listing collects */
#define VP_MAX_EMPTY_PAGES 3	/* pages in a row without a new video */
#define VP_VIDEOS_PER_PAGE_FLOOR 5	/* max_pages = max(10, ceil(max_videos/5)) */
#define VP_MIN_PAGES 10
#define VP_MAX_PAGES (VP_MAX_VIDEOS / VP_VIDEOS_PER_PAGE_FLOOR)

typedef enum VpState
{
	VP_CONTINUE = 0,			/* ask for the next page */
	VP_DONE_NO_MORE,			/* has_more was false */
	VP_DONE_ENOUGH,				/* max_videos collected */
	VP_DONE_OLDER,				/* a page held only videos older than the
								 * cut-off */
	VP_STOP_NO_CURSOR,			/* has_more, but no cursor to continue with */
	VP_STOP_CURSOR_REPEATED,	/* the next cursor was already sent */
	VP_STOP_EMPTY_PAGES,		/* VP_MAX_EMPTY_PAGES pages without a new video */
	VP_STOP_MAX_PAGES			/* max_pages pages answered */
} VpState;

/* One video of an answered page, as far as the pager cares. */
typedef struct VpItem
{
	int64_t		id;
	bool		has_create_time;
	int64_t		create_time;	/* epoch seconds */
} VpItem;

typedef struct VideoPager
{
	int			max_videos;
	int			max_pages;
	bool		has_since;
	int64_t		since;			/* epoch seconds: keep videos posted at or
								 * after */
	int			pages;			/* pages answered so far */
	int			empty_run;		/* trailing pages without a new video */
	VpState		state;
	int64_t		cursor;			/* cursor of the next request; 0 = none */
	int			nsent;
	int64_t		sent[VP_MAX_PAGES + 1]; /* cursors sent (0 = none) */
	int			nids;
	int64_t		ids[VP_MAX_VIDEOS]; /* accepted video ids, in order */
} VideoPager;

/* max_videos is clamped to 1..VP_MAX_VIDEOS. */
extern void vp_init(VideoPager *p, int max_videos, bool has_since, int64_t since);

/*
 * Parameters of the next request; false once the pager has stopped.
 * *cursor is 0 for "no cursor" (the first page).
 */
extern bool vp_next_request(VideoPager *p, int64_t *cursor, int *max_count);

/*
 * Feed the answer to the request vp_next_request() described: its n items
 * in the order received, has_more, and the cursor (has_cursor false when
 * the answer had none).  accepted[i] (n entries, caller-provided) tells
 * which items to keep: new, wanted and within max_videos.  Returns the
 * new state.
 */
extern VpState vp_add_page(VideoPager *p, const VpItem *items, int n,
						   bool has_more, bool has_cursor, int64_t cursor,
						   bool *accepted);

/* Whether the pager stopped because TikTok's answers made no progress. */
extern bool vp_state_is_guard(VpState s);

/* Why the pager stopped, for a message ("TikTok answered has_more ..."). */
extern const char *vp_state_describe(VpState s);

#endif							/* TIKTRACK_VIDEO_PAGER_H */
