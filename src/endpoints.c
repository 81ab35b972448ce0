/*-------------------------------------------------------------------------
 *
 * endpoints.c
 *	  Settings that say where and how tiktrack talks to TikTok, and the
 *	  allow-list every request is checked against.
 *
 * Secrets (app keys) are PGC_SIGHUP and GUC_SUPERUSER_ONLY |
 * GUC_NO_SHOW_ALL: changeable with a reload, invisible to non-superusers.
 * Everything that changes where requests go (base URLs, CA file,
 * connect_to, plain http) is PGC_SUSET: only a superuser may redirect
 * tiktrack's traffic, and with it the tokens.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <ctype.h>

#include "utils/guc.h"

#include "endpoints.h"
#include "url_parse.h"

char	   *tiktrack_api_base_url = NULL;
char	   *tiktrack_business_api_base_url = NULL;
char	   *tiktrack_ca_file = NULL;
bool		tiktrack_allow_insecure_http = false;
char	   *tiktrack_connect_to = NULL;
char	   *tiktrack_client_key = NULL;
char	   *tiktrack_client_secret = NULL;
char	   *tiktrack_business_app_id = NULL;
char	   *tiktrack_business_app_secret = NULL;
int			tiktrack_http_timeout_ms = 30000;
int			tiktrack_http_connect_timeout_ms = 10000;
int			tiktrack_http_max_response_kb = 4096;
int			tiktrack_http_max_parallel = 16;

/* scheme://host[:port] of a URL, host lower-cased; false if malformed. */
typedef struct UrlOrigin
{
	char		scheme[8];
	char		host[256];
	int			port;
	const char *path;			/* rest of the URL, from the first '/' */
} UrlOrigin;

static bool
split_origin(const char *url, UrlOrigin *o)
{
	const char *p;
	const char *hstart;
	size_t		hlen = 0;

	if (url == NULL)
		return false;
	if (pg_strncasecmp(url, "https://", 8) == 0)
	{
		strcpy(o->scheme, "https");
		o->port = 443;
		p = url + 8;
	}
	else if (pg_strncasecmp(url, "http://", 7) == 0)
	{
		strcpy(o->scheme, "http");
		o->port = 80;
		p = url + 7;
	}
	else
		return false;
	hstart = p;
	while (*p && *p != '/' && *p != ':' && *p != '?' && *p != '#')
	{
		unsigned char c = (unsigned char) *p;

		/* no userinfo, no IPv6 literals, no odd bytes in a host */
		if (!(isalnum(c) || c == '.' || c == '-'))
			return false;
		if (hlen + 1 >= sizeof(o->host))
			return false;
		o->host[hlen++] = pg_tolower(c);
		p++;
	}
	o->host[hlen] = '\0';
	if (hlen == 0)
		return false;
	(void) hstart;
	if (*p == ':')
	{
		long		port = 0;
		int			digits = 0;

		p++;
		while (isdigit((unsigned char) *p) && digits < 6)
		{
			port = port * 10 + (*p - '0');
			p++;
			digits++;
		}
		if (digits == 0 || port < 1 || port > 65535)
			return false;
		o->port = (int) port;
	}
	if (*p != '\0' && *p != '/' && *p != '?')
		return false;
	o->path = p;
	return true;
}

static bool
check_base_url(char **newval, void **extra, GucSource source)
{
	UrlOrigin	o;
	size_t		len;

	if (*newval == NULL || !split_origin(*newval, &o))
	{
		GUC_check_errdetail("The value must be an http:// or https:// URL such as https://open.tiktokapis.com.");
		return false;
	}
	if (strchr(o.path, '?') || strchr(o.path, '#'))
	{
		GUC_check_errdetail("A base URL has no query string or fragment.");
		return false;
	}
	/* keep it without a trailing slash so that base + "/path" works */
	len = strlen(*newval);
	while (len > 0 && (*newval)[len - 1] == '/')
		(*newval)[--len] = '\0';
	return true;
}

void
endpoints_define_gucs(void)
{
	DefineCustomStringVariable("tiktrack.api_base_url",
							   "Base URL of TikTok's Display API and OAuth endpoints.",
							   "Only change it to point at a test double such as the local simulator.",
							   &tiktrack_api_base_url,
							   "https://open.tiktokapis.com",
							   PGC_SUSET, 0,
							   check_base_url, NULL, NULL);
	DefineCustomStringVariable("tiktrack.business_api_base_url",
							   "Base URL of the TikTok API for Business (without /open_api/v1.3).",
							   NULL,
							   &tiktrack_business_api_base_url,
							   "https://business-api.tiktok.com",
							   PGC_SUSET, 0,
							   check_base_url, NULL, NULL);
	DefineCustomStringVariable("tiktrack.ca_file",
							   "Extra CA certificates (PEM bundle) trusted for TikTok connections.",
							   "The file is used in place of libcurl's default bundle file; "
							   "the system CA directory stays trusted.",
							   &tiktrack_ca_file,
							   "",
							   PGC_SUSET, 0,
							   NULL, NULL, NULL);
	DefineCustomBoolVariable("tiktrack.allow_insecure_http",
							 "Allows plain http:// base URLs (local simulators only).",
							 NULL,
							 &tiktrack_allow_insecure_http,
							 false,
							 PGC_SUSET, 0,
							 NULL, NULL, NULL);
	DefineCustomStringVariable("tiktrack.connect_to",
							   "Connects to another address for a host, like curl's --connect-to (tests).",
							   "Comma-separated HOST:PORT:CONNECT-TO-HOST:CONNECT-TO-PORT entries; "
							   "the URL's host name is still used for TLS verification.",
							   &tiktrack_connect_to,
							   "",
							   PGC_SUSET, GUC_SUPERUSER_ONLY,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("tiktrack.client_key",
							   "Client key of the TikTok Login Kit app (Display API).",
							   NULL,
							   &tiktrack_client_key,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("tiktrack.client_secret",
							   "Client secret of the TikTok Login Kit app (Display API).",
							   NULL,
							   &tiktrack_client_secret,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("tiktrack.business_app_id",
							   "App id of the TikTok API for Business app.",
							   NULL,
							   &tiktrack_business_app_id,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);
	DefineCustomStringVariable("tiktrack.business_app_secret",
							   "Secret of the TikTok API for Business app.",
							   NULL,
							   &tiktrack_business_app_secret,
							   "",
							   PGC_SIGHUP, GUC_SUPERUSER_ONLY | GUC_NO_SHOW_ALL,
							   NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.http_timeout",
							"Total time limit of one HTTP request.",
							NULL,
							&tiktrack_http_timeout_ms,
							30000, 100, 600000,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.http_connect_timeout",
							"Time limit for connecting (TCP and TLS) to TikTok.",
							NULL,
							&tiktrack_http_connect_timeout_ms,
							10000, 100, 600000,
							PGC_SUSET, GUC_UNIT_MS,
							NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.http_max_response_size",
							"Largest response body accepted from TikTok.",
							NULL,
							&tiktrack_http_max_response_kb,
							4096, 16, 1048576,
							PGC_SUSET, GUC_UNIT_KB,
							NULL, NULL, NULL);
	DefineCustomIntVariable("tiktrack.http_max_parallel",
							"Most HTTP connections open at once in one backend or the worker.",
							NULL,
							&tiktrack_http_max_parallel,
							16, 1, 1024,
							PGC_SUSET, 0,
							NULL, NULL, NULL);
}

char *
endpoints_display_url(const char *path)
{
	return psprintf("%s%s", tiktrack_api_base_url, path);
}

char *
endpoints_business_url(const char *path)
{
	return psprintf("%s/open_api/v1.3%s", tiktrack_business_api_base_url, path);
}

static bool
same_origin(const UrlOrigin *a, const UrlOrigin *b)
{
	return strcmp(a->scheme, b->scheme) == 0 &&
		strcmp(a->host, b->host) == 0 &&
		a->port == b->port;
}

bool
endpoints_is_tiktok_web_url(const char *url)
{
	UrlOrigin	o;

	if (!split_origin(url, &o) || strcmp(o.scheme, "https") != 0 || o.port != 443)
		return false;
	return tt_host_is_tiktok(o.host, strlen(o.host));
}

bool
endpoints_url_allowed(const char *url, const char **why)
{
	UrlOrigin	o;
	UrlOrigin	base;

	*why = NULL;
	if (!split_origin(url, &o))
	{
		*why = "the URL is not a well-formed http(s) URL";
		return false;
	}
	if (strcmp(o.scheme, "http") == 0 && !tiktrack_allow_insecure_http)
	{
		*why = psprintf("plain http to \"%s\" is refused; a superuser can allow it with tiktrack.allow_insecure_http (local simulators only)",
						o.host);
		return false;
	}
	if (split_origin(tiktrack_api_base_url, &base) && same_origin(&o, &base))
		return true;
	if (split_origin(tiktrack_business_api_base_url, &base) && same_origin(&o, &base))
		return true;
	if (strcmp(o.scheme, "https") == 0 && o.port == 443 && tt_host_is_tiktok(o.host, strlen(o.host)))
		return true;
	*why = psprintf("host \"%s\" (port %d) is neither a configured TikTok API base URL nor a TikTok web host",
					o.host, o.port);
	return false;
}
