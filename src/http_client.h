/*-------------------------------------------------------------------------
 *
 * http_client.h
 *	  The one module that talks to libcurl.
 *
 * Requests run concurrently on a multi handle that lives as long as the
 * backend, so connections to TikTok are reused across calls.  Execution
 * needs no transaction and touches no catalog; it checks for interrupts at
 * least every 100 ms, and an ERROR thrown from there (cancel, shutdown)
 * releases every curl handle on its way out.
 *
 * Only URLs accepted by endpoints_url_allowed() are requested; redirects
 * are never followed (the caller reads .location and decides).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_HTTP_CLIENT_H
#define TIKTRACK_HTTP_CLIENT_H

typedef struct HttpRequest
{
	/* input */
	const char *method;			/* "GET" or "POST" */
	char	   *url;
	int			nheaders;
	char	   *headers[4];		/* "Name: value"; may hold a token */
	char	   *body;			/* request body or NULL */
	size_t		body_len;

	/* output (palloc'd in the caller's context) */
	bool		done;			/* a response (any status) was received */
	long		status;			/* HTTP status, 0 without a response */
	char	   *response;		/* NUL-terminated body, never NULL */
	size_t		response_len;
	char	   *location;		/* Location header of a 3xx, or NULL */
	int			retry_after_s;	/* Retry-After in seconds, -1 if absent */
	double		duration_ms;
	int			curl_code;		/* CURLcode; -1 when refused before curl */
	char	   *error;			/* transport error message, or NULL */
	const char *error_name;		/* short name: "timeout", "tls", ... */
} HttpRequest;

/* Runs every request to completion (or failure); never throws for a
 * transport error, only for interrupts and out-of-memory. */
extern void http_execute(HttpRequest **requests, int n);

/* Convenience: one request. */
extern void http_execute_one(HttpRequest *request);

extern void http_request_add_header(HttpRequest *r, const char *header);

/* Percent-encode for a query string or form body (palloc'd). */
extern char *http_urlencode(const char *s);

/* Wipe secrets (headers, body) of a finished request. */
extern void http_request_wipe(HttpRequest *r);

#endif							/* TIKTRACK_HTTP_CLIENT_H */
