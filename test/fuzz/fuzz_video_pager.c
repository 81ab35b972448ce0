/*
 * libFuzzer target for the video list pager (src/video_pager.c): the input
 * is a script of TikTok answers, and whatever they say the pager must
 *	- stop after at most max_pages answered pages (no endless paging),
 *	- never send the same cursor twice,
 *	- ask for 1..20 videos per request and never collect more than
 *	  max_videos, nor a video twice, nor one older than the cut-off,
 *	- accept exactly the ids it lists, in order.
 *
 * FUZZ_SOURCES: src/video_pager.c
 *
 * Input layout: 2 bytes max_videos, 1 byte flags (bit 0: cut-off), 8 bytes
 * cut-off (3 used); then per page: 1 byte header (bits 0-4 item count, bit 5
 * has_more, bit 6 has_cursor), 2 bytes cursor selector, and per item 2 bytes
 * (id selector, create_time selector).  Small selectors make repeats and
 * collisions likely, which is what the guards are for.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "video_pager.h"

#include "fuzz_check.h"

int			LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static VideoPager pager;

static int
take(const uint8_t **p, const uint8_t *end)
{
	if (*p >= end)
		return -1;
	return *(*p)++;
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	const uint8_t *p = data;
	const uint8_t *end = data + size;
	int			max_videos;
	bool		has_since;
	int64_t		since = 0;
	int64_t		sent[VP_MAX_PAGES + 2];
	int			nsent = 0;
	int			collected = 0;
	int			requests = 0;
	int64_t		cursor;
	int			max_count;
	int			i;

	if (size < 11)
		return 0;
	max_videos = (p[0] << 8 | p[1]) % (VP_MAX_VIDEOS + 50) - 20;	/* also out of range */
	has_since = p[2] & 1;
	since = (int64_t) ((p[3] << 8 | p[4]) * 60) - (int64_t) p[5] * 3600;
	(void) p[10];
	p += 11;
	vp_init(&pager, max_videos, has_since, since);
	CHECK(pager.max_videos >= 1 && pager.max_videos <= VP_MAX_VIDEOS);
	CHECK(pager.max_pages >= VP_MIN_PAGES && pager.max_pages <= VP_MAX_PAGES);

	while (vp_next_request(&pager, &cursor, &max_count))
	{
		VpItem		items[32];
		bool		accepted[32];
		int			hdr = take(&p, end);
		int			n;
		int			c1,
					c2;
		int64_t		next;
		int			k;
		int64_t		c_again;
		int			m_again;

		CHECK(max_count >= 1 && max_count <= VP_PAGE_MAX);
		CHECK(max_count <= pager.max_videos - collected);
		for (i = 0; i < nsent; i++)
			CHECK(sent[i] != cursor);
		CHECK(nsent < VP_MAX_PAGES + 2);
		sent[nsent++] = cursor;
		requests++;
		CHECK(requests <= pager.max_pages);

		/* a retry of the same page must not count as a new request */
		CHECK(vp_next_request(&pager, &c_again, &m_again));
		CHECK(c_again == cursor && m_again == max_count);

		if (hdr < 0)
			break;				/* script over: stop asking */
		n = hdr & 31;
		c1 = take(&p, end);
		c2 = take(&p, end);
		next = (c1 < 0 || c2 < 0) ? 0 : ((int64_t) (c1 << 8 | c2) - 256) * 1000;
		for (k = 0; k < n; k++)
		{
			int			a = take(&p, end);
			int			b = take(&p, end);

			if (a < 0 || b < 0)
				break;
			items[k].id = (int64_t) a * 7919 - 3;
			items[k].has_create_time = (b & 1) != 0;
			items[k].create_time = (int64_t) b * 60 * 257;
		}
		n = k;
		vp_add_page(&pager, items, n, (hdr & 32) != 0, (hdr & 64) != 0, next, accepted);
		for (k = 0; k < n; k++)
		{
			if (!accepted[k])
				continue;
			CHECK(collected < pager.max_videos);
			CHECK(pager.ids[collected] == items[k].id);
			CHECK(!has_since || !items[k].has_create_time || items[k].create_time >= since);
			collected++;
		}
		CHECK(pager.nids == collected);
		/* an answer without a request outstanding is ignored */
		if (pager.state != VP_CONTINUE)
		{
			VpState		s = pager.state;

			CHECK(vp_add_page(&pager, items, n, true, true, 123456789, accepted) == s);
			for (k = 0; k < n; k++)
				CHECK(!accepted[k]);
			CHECK(pager.nids == collected);
		}
	}
	for (i = 0; i < pager.nids; i++)
	{
		int			j;

		for (j = 0; j < i; j++)
			CHECK(pager.ids[i] != pager.ids[j]);
	}
	CHECK(vp_state_describe(pager.state) != NULL);
	return 0;
}
