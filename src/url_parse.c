/*-------------------------------------------------------------------------
 *
 * url_parse.c
 *	  Pure parser for TikTok URLs (see url_parse.h for the accepted forms).
 *
 * The parser is deliberately narrower than a general URL parser: it only
 * has to recognise the handful of shapes TikTok links take, and anything
 * else is an error with a specific reason.  It never decodes the host or
 * the path (apart from "%40" for the "@" of a handle), so there is no
 * second interpretation of the input for an attacker to exploit: the host
 * is compared byte for byte against a fixed allow-list, and any userinfo,
 * backslash or control character is rejected rather than interpreted.
 *
 * ASCII-only character classes are written out by hand instead of using
 * <ctype.h>, whose answers depend on the locale.
 *
 *-------------------------------------------------------------------------
 */
#include "url_parse.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

/* Reasons, as shown in the DETAIL of the SQL error. */
#define R_EMPTY			"The URL is empty."
#define R_TOO_LONG		"The URL is longer than 2048 bytes."
#define R_CONTROL		"The URL contains a control character."
#define R_SPACE			"The URL contains a space."
#define R_SCHEME		"Only http:// and https:// URLs are supported."
#define R_SLASHES		"The scheme must be followed by \"//\"."
#define R_NO_HOST		"The URL has no host."
#define R_BACKSLASH		"The host part of the URL contains a backslash."
#define R_USERINFO		"The URL contains user information (\"user@\" or \"user:password@\") before the host."
#define R_HOST			"The host is not tiktok.com, www.tiktok.com, m.tiktok.com, vm.tiktok.com or vt.tiktok.com."
#define R_PORT			"Only the default port is allowed (443 for https, 80 for http)."
#define R_NO_PATH		"The URL has no path, so it names no video, photo, short link or profile."
#define R_PATH			"The path is not one of a TikTok video, photo, short link or profile."
#define R_HANDLE		"The handle must be 1 to 64 letters, digits, \"_\" or \".\"."
#define R_NO_ID			"The URL has no video id."
#define R_ID_DIGITS		"The video id must consist of digits only."
#define R_ID_ZERO		"The video id must not start with 0."
#define R_ID_RANGE		"The video id must be between 1 and 9223372036854775807."
#define R_NO_CODE		"The short link has no code."
#define R_CODE			"The short link code must be 1 to 32 letters or digits."

/* Parsed paths have at most three segments (/embed/v2/ID, /@h/video/ID). */
#define MAX_SEGMENTS	3

typedef struct Span
{
	const char *p;
	size_t		len;
} Span;

static const char *const tiktok_hosts[] = {
	"tiktok.com", "www.tiktok.com", "m.tiktok.com", "vm.tiktok.com", "vt.tiktok.com"
};

static bool
is_space(unsigned char c)
{
	return c == ' ' || c == '\t' || c == '\n' || c == '\r' || c == '\v' || c == '\f';
}

static bool
is_digit(unsigned char c)
{
	return c >= '0' && c <= '9';
}

static bool
is_alpha(unsigned char c)
{
	return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z');
}

static unsigned char
to_lower(unsigned char c)
{
	return (c >= 'A' && c <= 'Z') ? (unsigned char) (c - 'A' + 'a') : c;
}

/* Does s[0..len) equal the lower-case literal lit, ignoring ASCII case? */
static bool
eq_ci(const char *s, size_t len, const char *lit)
{
	size_t		i;

	if (len != strlen(lit))
		return false;
	for (i = 0; i < len; i++)
		if (to_lower((unsigned char) s[i]) != (unsigned char) lit[i])
			return false;
	return true;
}

static bool
span_eq_ci(Span s, const char *lit)
{
	return eq_ci(s.p, s.len, lit);
}

/* Index of the first byte of s[from..len) in set, or len if none. */
static size_t
find_any(const char *s, size_t len, size_t from, const char *set)
{
	size_t		i;

	for (i = from; i < len; i++)
		if (s[i] != '\0' && strchr(set, s[i]) != NULL)
			return i;
	return len;
}

static bool
span_contains(Span s, char c)
{
	return s.len > 0 && memchr(s.p, c, s.len) != NULL;
}

void
tt_url_trim(const char **s, size_t *len)
{
	const char *p = *s;
	size_t		n = *len;

	while (n > 0 && is_space((unsigned char) p[0]))
	{
		p++;
		n--;
	}
	while (n > 0 && is_space((unsigned char) p[n - 1]))
		n--;
	*s = p;
	*len = n;
}

bool
tt_host_is_tiktok(const char *host, size_t len)
{
	size_t		i;

	if (host == NULL)
		return false;
	for (i = 0; i < sizeof(tiktok_hosts) / sizeof(tiktok_hosts[0]); i++)
		if (eq_ci(host, len, tiktok_hosts[i]))
			return true;
	return false;
}

const char *
tt_url_kind_name(TtUrlKind kind)
{
	switch (kind)
	{
		case TT_URL_VIDEO:
			return "video";
		case TT_URL_PHOTO:
			return "photo";
		case TT_URL_SHORT:
			return "short";
		case TT_URL_PROFILE:
			return "profile";
	}
	return NULL;
}

/* RFC 3986 scheme: ALPHA *( ALPHA / DIGIT / "+" / "-" / "." ) */
static bool
is_scheme_name(const char *s, size_t len)
{
	size_t		i;

	if (len == 0 || !is_alpha((unsigned char) s[0]))
		return false;
	for (i = 1; i < len; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (!is_alpha(c) && !is_digit(c) && c != '+' && c != '-' && c != '.')
			return false;
	}
	return true;
}

/*
 * Is s[from..len) a port number followed by the end of the authority?  Tells
 * scheme-less "tiktok.com:443/..." apart from a scheme such as "ftp:".
 */
static bool
is_port_then_end(const char *s, size_t len, size_t from)
{
	size_t		i = from;

	while (i < len && is_digit((unsigned char) s[i]))
		i++;
	return i > from && (i == len || s[i] == '/' || s[i] == '?' || s[i] == '#');
}

/*
 * Splits the path (which starts with "/" unless empty) into segments,
 * ignoring trailing slashes.  Empty segments in the middle ("//") and more
 * than MAX_SEGMENTS segments are rejected.
 */
static const char *
split_path(Span path, Span *seg, int *nseg)
{
	size_t		end = path.len;
	size_t		pos;

	*nseg = 0;
	while (end > 0 && path.p[end - 1] == '/')
		end--;
	if (end == 0)
		return NULL;
	pos = 1;					/* skip the leading "/" */
	for (;;)
	{
		size_t		next = find_any(path.p, end, pos, "/");

		if (next == pos || *nseg == MAX_SEGMENTS)
			return R_PATH;
		seg[*nseg].p = path.p + pos;
		seg[*nseg].len = next - pos;
		(*nseg)++;
		if (next == end)
			return NULL;
		pos = next + 1;
	}
}

/* Parses a positive decimal bigint without sign or leading zeros. */
static const char *
parse_id(Span s, int64_t *id)
{
	int64_t		v = 0;
	size_t		i;

	if (s.len == 0)
		return R_NO_ID;
	for (i = 0; i < s.len; i++)
		if (!is_digit((unsigned char) s.p[i]))
			return R_ID_DIGITS;
	if (s.p[0] == '0')
		return s.len == 1 ? R_ID_RANGE : R_ID_ZERO;
	for (i = 0; i < s.len; i++)
	{
		int			d = s.p[i] - '0';

		if (v > (INT64_MAX - d) / 10)
			return R_ID_RANGE;
		v = v * 10 + d;
	}
	*id = v;
	return NULL;
}

/* Parses "@handle" or "%40handle" into out (lower case, NUL-terminated). */
static const char *
parse_handle(Span s, char *out)
{
	size_t		skip = (s.len > 0 && s.p[0] == '@') ? 1 : 3;
	size_t		n = s.len - skip;
	size_t		i;

	if (n < 1 || n > TT_URL_MAX_HANDLE)
		return R_HANDLE;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s.p[skip + i];

		if (!is_alpha(c) && !is_digit(c) && c != '_' && c != '.')
			return R_HANDLE;
		out[i] = (char) to_lower(c);
	}
	out[n] = '\0';
	return NULL;
}

static bool
is_handle_segment(Span s)
{
	return (s.len >= 1 && s.p[0] == '@') || (s.len >= 3 && eq_ci(s.p, 3, "%40"));
}

static const char *
check_short_code(Span s)
{
	size_t		i;

	if (s.len < 1 || s.len > TT_URL_MAX_SHORT_CODE)
		return R_CODE;
	for (i = 0; i < s.len; i++)
		if (!is_alpha((unsigned char) s.p[i]) && !is_digit((unsigned char) s.p[i]))
			return R_CODE;
	return NULL;
}

/* snprintf into the fixed canonical buffer; the sizes make overflow impossible. */
#define SET_CANONICAL(u, ...) \
	((void) snprintf((u)->canonical, sizeof((u)->canonical), __VA_ARGS__))

/* vm.tiktok.com and vt.tiktok.com: only /CODE. */
static const char *
parse_short_host_path(Span host, const Span *seg, int nseg, TtUrl *u)
{
	const char *err;

	if (nseg == 0)
		return R_NO_CODE;
	if (nseg > 1)
		return R_PATH;
	if ((err = check_short_code(seg[0])) != NULL)
		return err;
	u->kind = TT_URL_SHORT;
	SET_CANONICAL(u, "https://%s.tiktok.com/%.*s/",
				  to_lower((unsigned char) host.p[1]) == 'm' ? "vm" : "vt",
				  (int) seg[0].len, seg[0].p);
	return NULL;
}

/* /@handle, /@handle/video/ID, /@handle/photo/ID */
static const char *
parse_handle_path(const Span *seg, int nseg, TtUrl *u)
{
	const char *err;

	if ((err = parse_handle(seg[0], u->handle)) != NULL)
		return err;
	if (nseg == 1)
	{
		u->kind = TT_URL_PROFILE;
		SET_CANONICAL(u, "https://www.tiktok.com/@%s", u->handle);
		return NULL;
	}
	if (span_eq_ci(seg[1], "video"))
		u->kind = TT_URL_VIDEO;
	else if (span_eq_ci(seg[1], "photo"))
		u->kind = TT_URL_PHOTO;
	else
		return R_PATH;
	if (nseg == 2)
		return R_NO_ID;
	if ((err = parse_id(seg[2], &u->video_id)) != NULL)
		return err;
	SET_CANONICAL(u, "https://www.tiktok.com/@%s/%s/%" PRId64,
				  u->handle, tt_url_kind_name(u->kind), u->video_id);
	return NULL;
}

/* tiktok.com, www.tiktok.com and m.tiktok.com. */
static const char *
parse_main_host_path(const Span *seg, int nseg, TtUrl *u)
{
	const char *err;

	if (nseg == 0)
		return R_NO_PATH;
	if (is_handle_segment(seg[0]))
		return parse_handle_path(seg, nseg, u);

	if (span_eq_ci(seg[0], "embed"))
	{
		/* /embed/ID or /embed/v2/ID: a video whose creator is not named */
		u->kind = TT_URL_VIDEO;
		if (nseg == 2 && !span_eq_ci(seg[1], "v2"))
			return parse_id(seg[1], &u->video_id);
		if (nseg == 3 && span_eq_ci(seg[1], "v2"))
			return parse_id(seg[2], &u->video_id);
		return nseg <= 2 ? R_NO_ID : R_PATH;
	}
	if (span_eq_ci(seg[0], "v"))
	{
		/* /v/ID.html, the old mobile share link */
		Span		id;

		if (nseg == 1)
			return R_NO_ID;
		if (nseg > 2 || seg[1].len < 5 ||
			!eq_ci(seg[1].p + seg[1].len - 5, 5, ".html"))
			return R_PATH;
		id.p = seg[1].p;
		id.len = seg[1].len - 5;
		u->kind = TT_URL_VIDEO;
		return parse_id(id, &u->video_id);
	}
	if (span_eq_ci(seg[0], "t"))
	{
		if (nseg == 1)
			return R_NO_CODE;
		if (nseg > 2)
			return R_PATH;
		if ((err = check_short_code(seg[1])) != NULL)
			return err;
		u->kind = TT_URL_SHORT;
		SET_CANONICAL(u, "https://www.tiktok.com/t/%.*s/",
					  (int) seg[1].len, seg[1].p);
		return NULL;
	}
	return R_PATH;
}

/*
 * Scheme and authority: checks them and sets *host and *path (which ends
 * before any query string or fragment), or returns the reason the URL is
 * rejected.
 */
static const char *
parse_authority(const char *s, size_t n, Span *host, Span *path)
{
	bool		https = true;
	size_t		start = 0;
	size_t		delim = find_any(s, n, 0, ":/?#");
	size_t		auth_end;
	size_t		path_end;
	size_t		colon;
	Span		auth;

	if (delim < n && s[delim] == ':' && is_scheme_name(s, delim))
	{
		bool		is_http = eq_ci(s, delim, "http");

		if (is_http || eq_ci(s, delim, "https"))
		{
			https = !is_http;
			if (n - delim < 3 || s[delim + 1] != '/' || s[delim + 2] != '/')
				return R_SLASHES;
			start = delim + 3;
		}
		else if (!is_port_then_end(s, n, delim + 1))
			return R_SCHEME;
		/* else scheme-less "host:port/...", taken as https */
	}

	/* A backslash is not a delimiter here: it stays in and is rejected. */
	auth_end = find_any(s, n, start, "/?#");
	auth.p = s + start;
	auth.len = auth_end - start;
	if (span_contains(auth, '\\'))
		return R_BACKSLASH;
	if (span_contains(auth, '@'))
		return R_USERINFO;

	colon = find_any(auth.p, auth.len, 0, ":");
	host->p = auth.p;
	host->len = colon;
	if (host->len == 0)
		return R_NO_HOST;
	if (!tt_host_is_tiktok(host->p, host->len))
		return R_HOST;
	if (colon < auth.len &&
		!eq_ci(auth.p + colon + 1, auth.len - colon - 1, https ? "443" : "80"))
		return R_PORT;

	path_end = find_any(s, n, auth_end, "?#");
	path->p = s + auth_end;
	path->len = path_end - auth_end;
	return NULL;
}

static const char *
parse_trimmed(const char *s, size_t n, TtUrl *u)
{
	Span		host;
	Span		path;
	Span		seg[MAX_SEGMENTS];
	int			nseg;
	size_t		i;
	const char *err;

	if (n == 0)
		return R_EMPTY;
	if (n > TT_URL_MAX_INPUT)
		return R_TOO_LONG;
	for (i = 0; i < n; i++)
	{
		unsigned char c = (unsigned char) s[i];

		if (c < 0x20 || c == 0x7f)
			return R_CONTROL;
		if (c == ' ')
			return R_SPACE;
	}

	if ((err = parse_authority(s, n, &host, &path)) != NULL)
		return err;
	if ((err = split_path(path, seg, &nseg)) != NULL)
		return err;

	if (span_eq_ci(host, "vm.tiktok.com") || span_eq_ci(host, "vt.tiktok.com"))
		return parse_short_host_path(host, seg, nseg, u);
	return parse_main_host_path(seg, nseg, u);
}

const char *
tt_parse_url(const char *input, size_t len, TtUrl *out)
{
	TtUrl		u;
	const char *err;

	memset(&u, 0, sizeof(u));
	if (input == NULL)
		len = 0;
	tt_url_trim(&input, &len);
	err = parse_trimmed(input, len, &u);
	if (err != NULL)
		memset(&u, 0, sizeof(u));
	memcpy(out, &u, sizeof(u));
	return err;
}
