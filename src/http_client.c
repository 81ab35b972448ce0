/*-------------------------------------------------------------------------
 *
 * http_client.c
 *	  Concurrent HTTPS requests through one long-lived libcurl multi handle.
 *
 * Lessons from pg_net and pgsql-http applied here: libcurl allocates with
 * malloc (never palloc: lifetimes differ), every transfer gets NOSIGNAL,
 * timeouts, a protocol allow-list and a response-size cap, TLS
 * verification stays on, and the multi handle (with its connection cache)
 * outlives a call so that a batch reuses the connections of the previous
 * one.  While waiting we wait at most 100 ms at a time and then
 * CHECK_FOR_INTERRUPTS(); should that throw, PG_FINALLY detaches and frees
 * every easy handle of the call, so nothing leaks and the multi handle
 * stays usable.
 *
 * On Linux the transfers are driven by libcurl's event API
 * (curl_multi_socket_action) over an epoll set: each wake-up handles only
 * the sockets that are ready.  curl_multi_poll() polls every connection
 * each time it waits, and curl_multi_perform() visits every transfer; with
 * 32 connections open that polling alone was 6 % of the worker's CPU in
 * the ingest benchmark.  Elsewhere the transfers are driven by
 * curl_multi_perform() and curl_multi_poll().
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>
#include <string.h>
#ifdef __linux__
#include <sys/epoll.h>
#define HTTP_EPOLL 1
#endif

#include "miscadmin.h"
#include "utils/guc.h"

#include "endpoints.h"
#include "http_client.h"

#define TIKTRACK_USER_AGENT "tiktrack/" TIKTRACK_VERSION " (PostgreSQL extension; TikTok stats collector)"

/* Per-transfer state, malloc'd: libcurl callbacks must not palloc. */
typedef struct Transfer
{
	HttpRequest *req;
	CURL	   *easy;
	struct curl_slist *headers;
	char	   *buf;
	size_t		len;
	size_t		cap;
	size_t		limit;
	bool		too_large;
	int			retry_after_s;
	char		errbuf[CURL_ERROR_SIZE];
} Transfer;

static CURLM *http_multi = NULL;
static bool curl_initialized = false;

#ifdef HTTP_EPOLL
static int	http_epoll = -1;	/* the sockets libcurl waits on */
static long http_timeout_ms = -1;	/* libcurl's timer; -1: none */

/* libcurl says which events of a socket it waits for. */
static int
socket_cb(CURL *easy, curl_socket_t s, int what, void *userp, void *socketp)
{
	struct epoll_event ev;

	if (what == CURL_POLL_REMOVE)
	{
		(void) epoll_ctl(http_epoll, EPOLL_CTL_DEL, s, NULL);
		return 0;
	}
	memset(&ev, 0, sizeof(ev));
	ev.events = ((what & CURL_POLL_IN) ? EPOLLIN : 0) | ((what & CURL_POLL_OUT) ? EPOLLOUT : 0);
	ev.data.fd = s;
	/* a socket closed without REMOVE left the set by itself */
	if (epoll_ctl(http_epoll, EPOLL_CTL_MOD, s, &ev) != 0 &&
		epoll_ctl(http_epoll, EPOLL_CTL_ADD, s, &ev) != 0)
		return -1;
	return 0;
}

/* libcurl says when it wants to act on its own (timeouts, new transfers). */
static int
timer_cb(CURLM *multi, long timeout_ms, void *userp)
{
	http_timeout_ms = timeout_ms;
	return 0;
}
#endif

static CURLM *
get_multi(void)
{
	if (!curl_initialized)
	{
		if (curl_global_init(CURL_GLOBAL_DEFAULT) != CURLE_OK)
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("could not initialize libcurl")));
		curl_initialized = true;
	}
	if (http_multi == NULL)
	{
#ifdef HTTP_EPOLL
		if (http_epoll < 0)
		{
			http_epoll = epoll_create1(EPOLL_CLOEXEC);
			if (http_epoll < 0)
				ereport(ERROR,
						(errcode_for_socket_access(),
						 errmsg("could not create an epoll set for HTTP: %m")));
		}
#endif
		http_multi = curl_multi_init();
		if (http_multi == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_OUT_OF_MEMORY),
					 errmsg("could not create a libcurl multi handle")));
#ifdef HTTP_EPOLL
		curl_multi_setopt(http_multi, CURLMOPT_SOCKETFUNCTION, socket_cb);
		curl_multi_setopt(http_multi, CURLMOPT_TIMERFUNCTION, timer_cb);
#endif
	}
	curl_multi_setopt(http_multi, CURLMOPT_MAX_TOTAL_CONNECTIONS,
					  (long) tiktrack_http_max_parallel);
	curl_multi_setopt(http_multi, CURLMOPT_MAXCONNECTS,
					  (long) Max(tiktrack_http_max_parallel, 4));
	return http_multi;
}

static size_t
write_cb(char *data, size_t size, size_t nmemb, void *userp)
{
	Transfer   *t = (Transfer *) userp;
	size_t		n = size * nmemb;

	if (t->len + n > t->limit)
	{
		t->too_large = true;
		return 0;				/* makes curl fail with CURLE_WRITE_ERROR */
	}
	if (t->len + n + 1 > t->cap)
	{
		size_t		newcap = Max(t->cap * 2, t->len + n + 1);
		char	   *nb;

		newcap = Max(newcap, 4096);
		nb = realloc(t->buf, newcap);
		if (nb == NULL)
			return 0;
		t->buf = nb;
		t->cap = newcap;
	}
	memcpy(t->buf + t->len, data, n);
	t->len += n;
	t->buf[t->len] = '\0';
	return n;
}

static size_t
header_cb(char *data, size_t size, size_t nitems, void *userp)
{
	Transfer   *t = (Transfer *) userp;
	size_t		n = size * nitems;
	static const char name[] = "retry-after:";

	if (n > sizeof(name) - 1 && pg_strncasecmp(data, name, sizeof(name) - 1) == 0)
	{
		char		val[64];
		size_t		vlen = n - (sizeof(name) - 1);
		char	   *p;
		char	   *end;
		long		secs;

		if (vlen >= sizeof(val))
			vlen = sizeof(val) - 1;
		memcpy(val, data + sizeof(name) - 1, vlen);
		val[vlen] = '\0';
		for (p = val; *p == ' ' || *p == '\t'; p++)
			;
		end = p + strlen(p);
		while (end > p && (end[-1] == '\r' || end[-1] == '\n' || end[-1] == ' '))
			*--end = '\0';
		secs = strtol(p, &end, 10);
		if (end != p && *end == '\0' && secs >= 0)
			t->retry_after_s = (int) Min(secs, 86400L);
		else
		{
			/* an HTTP-date */
			time_t		when = curl_getdate(p, NULL);

			if (when > 0)
			{
				time_t		now = time(NULL);

				t->retry_after_s = when > now ? (int) Min(when - now, 86400) : 0;
			}
		}
	}
	return n;
}

static const char *
curl_error_name(CURLcode code, bool too_large)
{
	if (too_large)
		return "response_too_large";
	switch (code)
	{
		case CURLE_OPERATION_TIMEDOUT:
			return "timeout";
		case CURLE_COULDNT_RESOLVE_HOST:
			return "dns";
		case CURLE_COULDNT_CONNECT:
			return "connect";
		case CURLE_PEER_FAILED_VERIFICATION:
		case CURLE_SSL_CONNECT_ERROR:
		case CURLE_SSL_CACERT_BADFILE:
		case CURLE_SSL_CERTPROBLEM:
			return "tls";
		case CURLE_UNSUPPORTED_PROTOCOL:
			return "protocol_refused";
		case CURLE_GOT_NOTHING:
		case CURLE_RECV_ERROR:
		case CURLE_SEND_ERROR:
		case CURLE_PARTIAL_FILE:
			return "connection_dropped";
		default:
			return "transport";
	}
}

static struct curl_slist *
connect_to_list(void)
{
	struct curl_slist *list = NULL;
	char	   *copy;
	char	   *tok;
	char	   *save = NULL;

	if (tiktrack_connect_to == NULL || tiktrack_connect_to[0] == '\0')
		return NULL;
	copy = pstrdup(tiktrack_connect_to);
	for (tok = strtok_r(copy, ", ", &save); tok; tok = strtok_r(NULL, ", ", &save))
	{
		struct curl_slist *n = curl_slist_append(list, tok);

		if (n == NULL)
		{
			curl_slist_free_all(list);
			return NULL;
		}
		list = n;
	}
	pfree(copy);
	return list;
}

static void
free_slist_wiped(struct curl_slist *list)
{
	struct curl_slist *l;

	for (l = list; l; l = l->next)
		if (l->data)
			explicit_bzero(l->data, strlen(l->data));
	curl_slist_free_all(list);
}

static void
transfer_free(CURLM *multi, Transfer *t)
{
	if (t == NULL)
		return;
	if (t->easy)
	{
		curl_multi_remove_handle(multi, t->easy);
		curl_easy_cleanup(t->easy);
	}
	free_slist_wiped(t->headers);
	if (t->buf)
	{
		explicit_bzero(t->buf, t->len);
		free(t->buf);
	}
	free(t);
}

/* Fails the request without sending it. */
static void
refuse(HttpRequest *r, const char *why)
{
	r->done = false;
	r->status = 0;
	r->curl_code = -1;
	r->error = pstrdup(why);
	r->error_name = "refused";
	r->response = pstrdup("");
	r->response_len = 0;
}

static Transfer *
transfer_setup(HttpRequest *r, struct curl_slist *connect_to)
{
	Transfer   *t = calloc(1, sizeof(Transfer));
	CURL	   *e;
	int			i;
	bool		insecure = tiktrack_allow_insecure_http;

	if (t == NULL)
		return NULL;
	t->req = r;
	t->retry_after_s = -1;
	t->limit = (size_t) tiktrack_http_max_response_kb * 1024;
	t->easy = e = curl_easy_init();
	if (e == NULL)
		return t;

	curl_easy_setopt(e, CURLOPT_URL, r->url);
	curl_easy_setopt(e, CURLOPT_NOSIGNAL, 1L);
	curl_easy_setopt(e, CURLOPT_PROTOCOLS_STR, insecure ? "http,https" : "https");
	curl_easy_setopt(e, CURLOPT_REDIR_PROTOCOLS_STR, "https");
	curl_easy_setopt(e, CURLOPT_FOLLOWLOCATION, 0L);
	curl_easy_setopt(e, CURLOPT_TIMEOUT_MS, (long) tiktrack_http_timeout_ms);
	curl_easy_setopt(e, CURLOPT_CONNECTTIMEOUT_MS, (long) tiktrack_http_connect_timeout_ms);
	curl_easy_setopt(e, CURLOPT_USERAGENT, TIKTRACK_USER_AGENT);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYPEER, 1L);
	curl_easy_setopt(e, CURLOPT_SSL_VERIFYHOST, 2L);
	/* CURLOPT_CAINFO replaces the bundle file; the system CA directory
	 * (CAPATH) stays in use, so the file adds trust anchors. */
	if (tiktrack_ca_file && tiktrack_ca_file[0] != '\0')
		curl_easy_setopt(e, CURLOPT_CAINFO, tiktrack_ca_file);
	if (connect_to)
		curl_easy_setopt(e, CURLOPT_CONNECT_TO, connect_to);
	curl_easy_setopt(e, CURLOPT_ACCEPT_ENCODING, "");
	curl_easy_setopt(e, CURLOPT_WRITEFUNCTION, write_cb);
	curl_easy_setopt(e, CURLOPT_WRITEDATA, t);
	curl_easy_setopt(e, CURLOPT_HEADERFUNCTION, header_cb);
	curl_easy_setopt(e, CURLOPT_HEADERDATA, t);
	curl_easy_setopt(e, CURLOPT_ERRORBUFFER, t->errbuf);
	curl_easy_setopt(e, CURLOPT_PRIVATE, t);

	for (i = 0; i < r->nheaders; i++)
	{
		struct curl_slist *n = curl_slist_append(t->headers, r->headers[i]);

		if (n == NULL)
			return t;
		t->headers = n;
	}
	{
		/* no "Expect: 100-continue" round trip for our small bodies */
		struct curl_slist *n = curl_slist_append(t->headers, "Expect:");

		if (n)
			t->headers = n;
	}
	curl_easy_setopt(e, CURLOPT_HTTPHEADER, t->headers);

	if (strcmp(r->method, "POST") == 0)
	{
		curl_easy_setopt(e, CURLOPT_POST, 1L);
		curl_easy_setopt(e, CURLOPT_POSTFIELDS, r->body ? r->body : "");
		curl_easy_setopt(e, CURLOPT_POSTFIELDSIZE_LARGE,
						 (curl_off_t) (r->body ? r->body_len : 0));
	}
	else
		curl_easy_setopt(e, CURLOPT_HTTPGET, 1L);
	return t;
}

static void
transfer_finish(Transfer *t, CURLcode code)
{
	HttpRequest *r = t->req;
	long		status = 0;
	curl_off_t	total_us = 0;
	char	   *loc = NULL;

	curl_easy_getinfo(t->easy, CURLINFO_RESPONSE_CODE, &status);
	curl_easy_getinfo(t->easy, CURLINFO_TOTAL_TIME_T, &total_us);
	r->duration_ms = (double) total_us / 1000.0;
	r->retry_after_s = t->retry_after_s;
	r->curl_code = (int) code;
	r->response = palloc(t->len + 1);
	if (t->len)
		memcpy(r->response, t->buf, t->len);
	r->response[t->len] = '\0';
	r->response_len = t->len;

	if (code == CURLE_OK)
	{
		r->done = true;
		r->status = status;
		if (status >= 300 && status < 400 &&
			curl_easy_getinfo(t->easy, CURLINFO_REDIRECT_URL, &loc) == CURLE_OK && loc)
			r->location = pstrdup(loc);
	}
	else
	{
		r->done = false;
		r->status = status;
		r->error_name = curl_error_name(code, t->too_large);
		if (t->too_large)
			r->error = psprintf("response larger than tiktrack.http_max_response_size (%d kB)",
								tiktrack_http_max_response_kb);
		else
			r->error = pstrdup(t->errbuf[0] ? t->errbuf : curl_easy_strerror(code));
	}
}

static void
check_multi(CURLMcode mc)
{
	if (mc != CURLM_OK)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("libcurl multi error: %s", curl_multi_strerror(mc))));
}

/* Finishes the transfers libcurl has completed; returns how many. */
static int
finish_done_transfers(CURLM *multi)
{
	CURLMsg    *msg;
	int			left;
	int			done = 0;

	while ((msg = curl_multi_info_read(multi, &left)) != NULL)
	{
		Transfer   *t = NULL;

		if (msg->msg != CURLMSG_DONE)
			continue;
		curl_easy_getinfo(msg->easy_handle, CURLINFO_PRIVATE, (char **) &t);
		if (t == NULL || t->req->done || t->req->error)
			continue;
		transfer_finish(t, msg->data.result);
		curl_multi_remove_handle(multi, t->easy);
		done++;
	}
	return done;
}

#ifdef HTTP_EPOLL
/* Runs the added transfers until pending of them are done. */
static void
run_transfers(CURLM *multi, int pending)
{
	int			running = 0;

	while (pending > 0)
	{
		struct epoll_event events[64];
		long		wait_ms = http_timeout_ms;
		int			nready;
		int			i;

		if (wait_ms < 0 || wait_ms > 100)
			wait_ms = 100;
		nready = epoll_wait(http_epoll, events, lengthof(events), (int) wait_ms);
		if (nready < 0 && errno != EINTR)
			ereport(ERROR,
					(errcode_for_socket_access(),
					 errmsg("could not wait for HTTP sockets: %m")));
		if (nready <= 0)
			check_multi(curl_multi_socket_action(multi, CURL_SOCKET_TIMEOUT, 0, &running));
		for (i = 0; i < nready; i++)
		{
			int			flags = 0;

			if (events[i].events & EPOLLIN)
				flags |= CURL_CSELECT_IN;
			if (events[i].events & EPOLLOUT)
				flags |= CURL_CSELECT_OUT;
			if (events[i].events & (EPOLLERR | EPOLLHUP))
				flags |= CURL_CSELECT_ERR;
			check_multi(curl_multi_socket_action(multi, events[i].data.fd, flags, &running));
		}
		pending -= finish_done_transfers(multi);
		CHECK_FOR_INTERRUPTS();
	}
}
#else
/* Runs the added transfers until pending of them are done. */
static void
run_transfers(CURLM *multi, int pending)
{
	int			running = 0;

	while (pending > 0)
	{
		int			numfds;

		check_multi(curl_multi_perform(multi, &running));
		pending -= finish_done_transfers(multi);
		if (pending == 0)
			break;
		check_multi(curl_multi_poll(multi, NULL, 0, 100, &numfds));
		CHECK_FOR_INTERRUPTS();
	}
}
#endif

void
http_execute(HttpRequest **requests, int n)
{
	CURLM	   *multi = get_multi();
	Transfer  **transfers;
	struct curl_slist *volatile connect_to = NULL;
	int			i;

	if (n <= 0)
		return;
	transfers = palloc0(sizeof(Transfer *) * n);

	PG_TRY();
	{
		int			pending = 0;

		connect_to = connect_to_list();
		for (i = 0; i < n; i++)
		{
			HttpRequest *r = requests[i];
			const char *why = NULL;

			r->retry_after_s = -1;
			r->location = NULL;
			r->error = NULL;
			r->error_name = NULL;
			if (!endpoints_url_allowed(r->url, &why))
			{
				refuse(r, why);
				continue;
			}
			transfers[i] = transfer_setup(r, connect_to);
			if (transfers[i] == NULL || transfers[i]->easy == NULL ||
				curl_multi_add_handle(multi, transfers[i]->easy) != CURLM_OK)
				ereport(ERROR,
						(errcode(ERRCODE_OUT_OF_MEMORY),
						 errmsg("could not set up an HTTP request")));
			pending++;
		}

		run_transfers(multi, pending);
	}
	PG_FINALLY();
	{
		for (i = 0; i < n; i++)
			transfer_free(multi, transfers[i]);
		curl_slist_free_all(connect_to);
	}
	PG_END_TRY();
	pfree(transfers);
}

void
http_execute_one(HttpRequest *request)
{
	http_execute(&request, 1);
}

void
http_request_add_header(HttpRequest *r, const char *header)
{
	if (r->nheaders >= (int) lengthof(r->headers))
		elog(ERROR, "too many HTTP headers");
	r->headers[r->nheaders++] = pstrdup(header);
}

char *
http_urlencode(const char *s)
{
	static const char hex[] = "0123456789ABCDEF";
	size_t		len = strlen(s);
	char	   *out = palloc(len * 3 + 1);
	char	   *o = out;

	for (; *s; s++)
	{
		unsigned char c = (unsigned char) *s;

		if ((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') ||
			(c >= '0' && c <= '9') || c == '-' || c == '.' || c == '_' || c == '~')
			*o++ = c;
		else
		{
			*o++ = '%';
			*o++ = hex[c >> 4];
			*o++ = hex[c & 15];
		}
	}
	*o = '\0';
	return out;
}

void
http_request_wipe(HttpRequest *r)
{
	int			i;

	for (i = 0; i < r->nheaders; i++)
		if (r->headers[i])
			explicit_bzero(r->headers[i], strlen(r->headers[i]));
	if (r->body)
		explicit_bzero(r->body, r->body_len);
	if (r->response)
		explicit_bzero(r->response, r->response_len);
}
