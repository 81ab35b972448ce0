/*-------------------------------------------------------------------------
 *
 * url_parse.h
 *	  Pure parser for TikTok URLs as people paste them.
 *
 * Plain C99 and libc only (no PostgreSQL headers) so that the fuzzer and
 * other modules (the HTTP client checks redirect targets with
 * tt_host_is_tiktok) can link it standalone.  No allocation, no global
 * state: every function is thread-safe and reentrant.
 *
 * Accepted forms (scheme http or https, case-insensitive; scheme-less input
 * is taken as https):
 *
 *	 tiktok.com, www.tiktok.com, m.tiktok.com
 *		/@handle						profile
 *		/@handle/video/ID				video
 *		/@handle/photo/ID				photo
 *		/embed/ID, /embed/v2/ID			video, no handle
 *		/v/ID.html						video, no handle
 *		/t/CODE							short
 *	 vm.tiktok.com, vt.tiktok.com
 *		/CODE							short
 *
 * Around that: surrounding whitespace, any query string and fragment, and
 * trailing slashes are ignored; "%40" may stand for the "@" of a handle;
 * the only port allowed is the scheme's default (:443 for https and for
 * scheme-less input, :80 for http).  Everything else is rejected, notably
 * any other host (also with a trailing dot), any userinfo, a backslash in
 * the authority, whitespace or control characters inside the URL, and
 * input longer than TT_URL_MAX_INPUT bytes after trimming.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_URL_PARSE_H
#define TIKTRACK_URL_PARSE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* Longest input accepted, in bytes, after trimming surrounding whitespace. */
#define TT_URL_MAX_INPUT		2048
/* A handle is 1..64 of [a-z0-9._] (same rule as tiktrack.creators.handle). */
#define TT_URL_MAX_HANDLE		64
/* A short-link code is 1..32 ASCII letters and digits, case preserved. */
#define TT_URL_MAX_SHORT_CODE	32
/* "https://www.tiktok.com/@" + 64 + "/photo/" + 19 digits = 114 bytes. */
#define TT_URL_MAX_CANONICAL	127

typedef enum TtUrlKind
{
	TT_URL_VIDEO,
	TT_URL_PHOTO,
	TT_URL_SHORT,
	TT_URL_PROFILE
} TtUrlKind;

typedef struct TtUrl
{
	TtUrlKind	kind;
	/* Lower case, without "@"; "" when the URL names none. */
	char		handle[TT_URL_MAX_HANDLE + 1];
	/* 1..INT64_MAX for video and photo; 0 for short and profile. */
	int64_t		video_id;

	/*
	 * https://www.tiktok.com/@handle/video/ID (or /photo/ID) for posts,
	 * https://www.tiktok.com/@handle for profiles, the normalised short link
	 * (https://vm.tiktok.com/CODE/, https://vt.tiktok.com/CODE/ or
	 * https://www.tiktok.com/t/CODE/) for short links; "" for a post whose
	 * URL names no handle (embed and /v/ID.html links).
	 */
	char		canonical[TT_URL_MAX_CANONICAL + 1];
} TtUrl;

/*
 * Parses input[0..len) (need not be NUL-terminated; a NUL byte inside is a
 * control character and rejected).  Returns NULL on success with *out
 * filled in, else a static, human-readable reason (one sentence, ending
 * with a period) and *out zeroed.
 */
extern const char *tt_parse_url(const char *input, size_t len, TtUrl *out);

/*
 * True if host[0..len) is exactly one of tiktok.com, www.tiktok.com,
 * m.tiktok.com, vm.tiktok.com, vt.tiktok.com, compared case-insensitively.
 * No port, no trailing dot, no userinfo.
 */
extern bool tt_host_is_tiktok(const char *host, size_t len);

/* "video", "photo", "short" or "profile"; NULL for an invalid kind. */
extern const char *tt_url_kind_name(TtUrlKind kind);

/*
 * Narrows *s / *len to exclude leading and trailing ASCII whitespace
 * (space, tab, newline, carriage return, vertical tab, form feed), as
 * tt_parse_url does before parsing.
 */
extern void tt_url_trim(const char **s, size_t *len);

#endif							/* TIKTRACK_URL_PARSE_H */
