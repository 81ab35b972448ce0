/*
 * libFuzzer target for the TikTok URL parser.
 *
 * FUZZ_SOURCES: src/url_parse.c
 *
 * Beyond "never crashes" (ASan/UBSan catch out-of-bounds reads of the
 * unterminated input, overflow in the id arithmetic), it checks the
 * parser's contract:
 *	- on error: a non-empty reason and an all-zero result;
 *	- on success: NUL-terminated strings within their buffers, a handle of
 *	  1..64 of [a-z0-9._] (or none), fields consistent with the kind;
 *	- the canonical URL re-parses to the same kind, handle, id and
 *	  canonical URL, and a handle-less video re-parses from its embed form;
 *	- surrounding whitespace changes nothing (same result or same reason);
 *	- tt_host_is_tiktok(x) holds exactly when "https://x/@a/video/1" parses.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "url_parse.h"

#include "fuzz_check.h"

static int
is_zero(const void *p, size_t n)
{
	const unsigned char *b = p;
	size_t		i;

	for (i = 0; i < n; i++)
		if (b[i] != 0)
			return 0;
	return 1;
}

static void
check_string(const char *buf, size_t size)
{
	CHECK(memchr(buf, '\0', size) != NULL);
}

static void
check_handle(const char *h)
{
	size_t		n = strlen(h);
	size_t		i;

	CHECK(n <= TT_URL_MAX_HANDLE);
	for (i = 0; i < n; i++)
		CHECK((h[i] >= 'a' && h[i] <= 'z') || (h[i] >= '0' && h[i] <= '9') ||
			  h[i] == '_' || h[i] == '.');
}

static void
check_same(const TtUrl *a, const TtUrl *b)
{
	CHECK(a->kind == b->kind);
	CHECK(strcmp(a->handle, b->handle) == 0);
	CHECK(a->video_id == b->video_id);
	CHECK(strcmp(a->canonical, b->canonical) == 0);
}

static void
check_success(const TtUrl *u)
{
	check_string(u->handle, sizeof(u->handle));
	check_string(u->canonical, sizeof(u->canonical));
	check_handle(u->handle);
	CHECK(tt_url_kind_name(u->kind) != NULL);
	CHECK(strncmp(u->canonical, "https://", 8) == 0 || u->canonical[0] == '\0');

	switch (u->kind)
	{
		case TT_URL_VIDEO:
		case TT_URL_PHOTO:
			CHECK(u->video_id > 0);
			/* canonical exactly when the creator is named */
			CHECK((u->handle[0] == '\0') == (u->canonical[0] == '\0'));
			CHECK(u->kind == TT_URL_VIDEO || u->handle[0] != '\0');
			break;
		case TT_URL_SHORT:
			CHECK(u->video_id == 0);
			CHECK(u->handle[0] == '\0');
			CHECK(u->canonical[0] != '\0');
			CHECK(u->canonical[strlen(u->canonical) - 1] == '/');
			break;
		case TT_URL_PROFILE:
			CHECK(u->video_id == 0);
			CHECK(u->handle[0] != '\0');
			CHECK(u->canonical[0] != '\0');
			break;
	}
}

static void
check_reparse(const TtUrl *u)
{
	TtUrl		again;

	if (u->canonical[0] != '\0')
	{
		CHECK(tt_parse_url(u->canonical, strlen(u->canonical), &again) == NULL);
		check_same(u, &again);
	}
	else
	{
		char		embed[64];

		snprintf(embed, sizeof(embed), "https://www.tiktok.com/embed/v2/%lld",
				 (long long) u->video_id);
		CHECK(tt_parse_url(embed, strlen(embed), &again) == NULL);
		check_same(u, &again);
	}
}

static void
check_whitespace_invariance(const uint8_t *data, size_t size,
							const char *reason, const TtUrl *u)
{
	char	   *padded = malloc(size + 4);
	TtUrl		w;
	const char *wreason;

	CHECK(padded != NULL);
	padded[0] = ' ';
	padded[1] = '\t';
	if (size > 0)
		memcpy(padded + 2, data, size);
	padded[size + 2] = '\n';
	padded[size + 3] = '\r';
	wreason = tt_parse_url(padded, size + 4, &w);
	CHECK(wreason == reason);
	check_same(u, &w);
	free(padded);
}

/* Does "https://" + host + path parse? */
static int
parses_with_host(const uint8_t *host, size_t size, const char *path)
{
	static const char prefix[] = "https://";
	size_t		n = strlen(prefix) + size + strlen(path);
	char	   *url = malloc(n);
	TtUrl		u;
	int			ok;

	CHECK(url != NULL);
	memcpy(url, prefix, strlen(prefix));
	if (size > 0)
		memcpy(url + strlen(prefix), host, size);
	memcpy(url + strlen(prefix) + size, path, strlen(path));
	ok = tt_parse_url(url, n, &u) == NULL;
	free(url);
	return ok;
}

static void
check_host_agreement(const uint8_t *data, size_t size)
{
	int			plain;
	int			parses;

	if (size > 64)
		return;

	/*
	 * When data contains no delimiter, it is all of the host, and a
	 * TikTok host accepts a post path (main hosts) or a short code (vm./vt.).
	 */
	plain = memchr(data, '/', size) == NULL && memchr(data, '?', size) == NULL &&
		memchr(data, '#', size) == NULL && memchr(data, ':', size) == NULL;
	parses = parses_with_host(data, size, "/@a/video/1") ||
		parses_with_host(data, size, "/ZMabc123/");
	if (plain)
		CHECK(parses == tt_host_is_tiktok((const char *) data, size));
	else
		CHECK(!tt_host_is_tiktok((const char *) data, size));
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	/* A copy of exactly size bytes, so ASan sees any read past the end. */
	char	   *input = malloc(size ? size : 1);
	TtUrl		u;
	const char *reason;

	CHECK(input != NULL);
	if (size > 0)
		memcpy(input, data, size);

	reason = tt_parse_url(input, size, &u);
	if (reason != NULL)
	{
		CHECK(reason[0] != '\0');
		CHECK(is_zero(&u, sizeof(u)));
	}
	else
	{
		check_success(&u);
		check_reparse(&u);
	}
	check_whitespace_invariance(data, size, reason, &u);
	check_host_agreement(data, size);

	free(input);
	return 0;
}
