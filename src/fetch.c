/*-------------------------------------------------------------------------
 *
 * fetch.c
 *	  prepare and execute steps of a fetch (see fetch.h); store is in
 *	  snapshot_store.c.
 *
 * execute runs in phases, each phase's requests concurrently:
 *	 1. short links: one GET each, redirect not followed, Location checked;
 *	 2. token refresh for credentials expiring within 5 minutes (or that
 *	    the caller marked refresh_now);
 *	 3. data: Display /v2/video/query/ or Business /business/video/list/,
 *	    20 ids per request, grouped by creator; user info / account;
 *	 4. for requests refused with an invalid token (access_token_invalid,
 *	    Business 40105): refresh that creator's token once and retry once.
 * A refresh refused with invalid_grant (Business 40107) marks the creator
 * as needing re-authorization.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "utils/array.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "endpoints.h"
#include "fetch.h"
#include "http_client.h"
#include "provider_business.h"
#include "provider_display.h"
#include "token_seal.h"
#include "url_parse.h"

/* refresh a token this long before it expires */
#define REFRESH_MARGIN_US (5 * 60 * USECS_PER_SEC)

const char *
fetch_api_name(FetchApi api)
{
	switch (api)
	{
		case FETCH_API_DISPLAY:
			return "display";
		case FETCH_API_BUSINESS:
			return "business";
		default:
			return "none";
	}
}

FetchApi
fetch_api_from_name(const char *name)
{
	if (name == NULL)
		return FETCH_API_NONE;
	if (strcmp(name, "display") == 0)
		return FETCH_API_DISPLAY;
	if (strcmp(name, "business") == 0)
		return FETCH_API_BUSINESS;
	return FETCH_API_NONE;
}

bool
fetch_call_is_oauth(const FetchCall *call)
{
	return call->api != FETCH_API_NONE && call->endpoint != NULL &&
		(strncmp(call->endpoint, "/v2/oauth/", 10) == 0 ||
		 strncmp(call->endpoint, "/tt_user/", 9) == 0);
}

bool
fetch_throttled(FetchOutcome outcome, const FetchCall *call)
{
	return outcome == FETCH_ERROR && call != NULL && call->rate_limited;
}

static const char *
api_label(FetchApi api)
{
	switch (api)
	{
		case FETCH_API_DISPLAY:
			return "TikTok Display API";
		case FETCH_API_BUSINESS:
			return "TikTok Business API";
		default:
			return "TikTok";
	}
}

char *
fetch_call_describe(const FetchCall *c)
{
	StringInfoData buf;

	initStringInfo(&buf);
	appendStringInfo(&buf, "%s %s", api_label(c->api), c->endpoint);
	if (c->http_status > 0)
		appendStringInfo(&buf, " answered HTTP %ld", c->http_status);
	else
		appendStringInfoString(&buf, " failed");
	if (c->error_code)
		appendStringInfo(&buf, ", error code %s", c->error_code);
	if (c->log_id)
		appendStringInfo(&buf, ", log_id %s", c->log_id);
	if (c->message && c->message[0])
		appendStringInfo(&buf, ": %s", c->message);
	if (c->retry_after_s >= 0)
		appendStringInfo(&buf, " (Retry-After %d s)", c->retry_after_s);
	return buf.data;
}

static void
batch_add_call(FetchBatch *b, FetchCall *c)
{
	if (b->ncalls == b->maxcalls)
	{
		b->maxcalls = b->maxcalls ? b->maxcalls * 2 : 16;
		if (b->calls)
			b->calls = repalloc(b->calls, sizeof(FetchCall *) * b->maxcalls);
		else
			b->calls = palloc(sizeof(FetchCall *) * b->maxcalls);
	}
	b->calls[b->ncalls++] = c;
}

/* ------------------------------------------------------------------------
 * execute
 * ------------------------------------------------------------------------
 */

/* Phase 1: short links. */
static void
resolve_short_links(FetchBatch *b)
{
	HttpRequest **reqs = palloc0(sizeof(HttpRequest *) * Max(b->nvideos, 1));
	FetchVideo **tasks = palloc0(sizeof(FetchVideo *) * Max(b->nvideos, 1));
	FetchCall **calls = palloc0(sizeof(FetchCall *) * Max(b->nvideos, 1));
	int			n = 0;
	int			i;

	for (i = 0; i < b->nvideos; i++)
	{
		FetchVideo *v = &b->videos[i];
		HttpRequest *r;

		if (v->video_id > 0 || v->short_url == NULL || v->outcome != FETCH_PENDING)
			continue;
		r = palloc0(sizeof(HttpRequest));
		r->method = "GET";
		r->url = v->short_url;
		reqs[n] = r;
		tasks[n] = v;
		calls[n] = fetch_call_new(FETCH_API_NONE, "short link");
		calls[n]->video_id = v->video_id;
		calls[n]->video_count = 1;
		n++;
	}
	if (n == 0)
		return;
	http_execute(reqs, n);
	for (i = 0; i < n; i++)
	{
		HttpRequest *r = reqs[i];
		FetchVideo *v = tasks[i];
		FetchCall  *c = calls[i];
		TtUrl		parsed;
		const char *why;

		fetch_call_transport(c, r);
		batch_add_call(b, c);
		v->call = c;
		if (!r->done)
		{
			v->outcome = FETCH_ERROR;
			v->error = psprintf("could not resolve short link %s: %s", v->short_url, fetch_call_describe(c));
			continue;
		}
		c->message = r->location ? pstrdup(r->location) : NULL;
		if (r->status < 300 || r->status >= 400 || r->location == NULL)
		{
			c->error_code = pstrdup(r->status == 404 ? "not_found" : "no_redirect");
			v->outcome = r->status == 404 ? FETCH_MISSING : FETCH_ERROR;
			v->error = psprintf("short link %s did not redirect to a video (HTTP %ld)",
								v->short_url, r->status);
			continue;
		}
		if (!endpoints_is_tiktok_web_url(r->location))
		{
			c->error_code = pstrdup("redirect_refused");
			v->outcome = FETCH_ERROR;
			v->error = psprintf("short link %s redirects to \"%s\", which is not a TikTok https URL; not followed",
								v->short_url, r->location);
			continue;
		}
		why = tt_parse_url(r->location, strlen(r->location), &parsed);
		if (why != NULL || (parsed.kind != TT_URL_VIDEO && parsed.kind != TT_URL_PHOTO))
		{
			c->error_code = pstrdup("redirect_unparsable");
			v->outcome = FETCH_ERROR;
			v->error = psprintf("short link %s redirects to \"%s\", which names no video%s%s",
								v->short_url, r->location, why ? ": " : "", why ? why : "");
			continue;
		}
		c->ok = true;
		c->error_code = pstrdup("ok");
		v->outcome = FETCH_RESOLVED;
		v->resolved_id = parsed.video_id;
		v->resolved_handle = parsed.handle[0] ? pstrdup(parsed.handle) : NULL;
		v->resolved_kind = pstrdup(tt_url_kind_name(parsed.kind));
		v->resolved_url = pstrdup(parsed.canonical);
	}
}

/* Phase 2 and 4: refresh the given credentials concurrently. */
static void
refresh_credentials(FetchBatch *b, FetchCredentials **creds, int n,
					FetchRotationCallback on_rotation, void *arg)
{
	HttpRequest **reqs;
	FetchCall **calls;
	int			i;

	if (n == 0)
		return;
	reqs = palloc0(sizeof(HttpRequest *) * n);
	calls = palloc0(sizeof(FetchCall *) * n);
	for (i = 0; i < n; i++)
	{
		FetchCredentials *c = creds[i];

		if (c->api == FETCH_API_BUSINESS)
		{
			reqs[i] = business_token_refresh_request(c->refresh_token);
			calls[i] = fetch_call_new(FETCH_API_BUSINESS, "/tt_user/oauth2/refresh_token/");
		}
		else
		{
			reqs[i] = display_token_refresh_request(c->refresh_token);
			calls[i] = fetch_call_new(FETCH_API_DISPLAY, "/v2/oauth/token/");
		}
		calls[i]->creator_id = c->creator_id;
		c->refreshed_this_batch = true;
	}
	http_execute(reqs, n);
	for (i = 0; i < n; i++)
	{
		FetchCredentials *c = creds[i];
		FetchCall  *call = calls[i];
		TtToken		tok;
		bool		invalid_grant;
		bool		ok;
		TimestampTz now = GetCurrentTimestamp();

		if (c->api == FETCH_API_BUSINESS)
			ok = business_decode_token(reqs[i], call, &tok, &invalid_grant);
		else
			ok = display_decode_token(reqs[i], call, &tok, &invalid_grant);
		http_request_wipe(reqs[i]);
		batch_add_call(b, call);
		c->refresh_call = call;
		if (!ok)
		{
			if (invalid_grant)
			{
				c->reauth_needed = true;
				c->reauth_reason = psprintf("TikTok refused to refresh the token of @%s: %s",
											c->handle, fetch_call_describe(call));
			}
			else
				c->refresh_failed = true;
			continue;
		}
		if (c->access_token)
			explicit_bzero(c->access_token, strlen(c->access_token));
		c->access_token = pstrdup(tok.access_token);
		if (tok.refresh_token && tok.refresh_token[0])
		{
			if (c->refresh_token)
				explicit_bzero(c->refresh_token, strlen(c->refresh_token));
			c->refresh_token = pstrdup(tok.refresh_token);
		}
		c->access_expires_at = now + (tok.expires_in >= 0 ? tok.expires_in : 86400) * USECS_PER_SEC;
		if (tok.refresh_expires_in >= 0)
			c->refresh_expires_at = now + tok.refresh_expires_in * USECS_PER_SEC;
		c->new_scope = tok.scope ? pstrdup(tok.scope) : NULL;
		c->rotated = true;
		c->rotation_stored = false;
		c->rotated_at = now;
		c->refresh_failed = false;
		if (on_rotation)
			on_rotation(c, arg);
	}
}

static bool
cred_usable(FetchCredentials *c)
{
	return c != NULL && !c->reauth_needed && !c->refresh_failed && c->access_token != NULL;
}

/* Outcome for a task whose credentials cannot be used. */
static void
fail_for_cred(FetchCredentials *c, FetchOutcome *outcome, FetchCall **call, char **error,
			  const char *what)
{
	if (c == NULL)
	{
		*outcome = FETCH_NO_AUTH;
		return;
	}
	if (c->reauth_needed)
	{
		*outcome = FETCH_REAUTH;
		*call = c->refresh_call;
		*error = c->reauth_reason;
		return;
	}
	*outcome = FETCH_ERROR;
	*call = c->refresh_call;
	*error = psprintf("could not refresh the token of @%s before fetching %s: %s",
					  c->handle, what,
					  c->refresh_call ? fetch_call_describe(c->refresh_call) : "no token");
}

/* A data request covering up to 20 videos of one creator. */
typedef struct Chunk
{
	FetchCredentials *cred;
	int			n;
	int64		ids[Max(DISPLAY_MAX_IDS_PER_QUERY, BUSINESS_MAX_IDS_PER_QUERY)];
	FetchVideo *tasks[Max(DISPLAY_MAX_IDS_PER_QUERY, BUSINESS_MAX_IDS_PER_QUERY)];
	HttpRequest *req;
	FetchCall  *call;
} Chunk;

static void
copy_stats(FetchVideoStats *s, const TtVideo *v, FetchApi api)
{
	memset(s, 0, sizeof(*s));
	s->has_views = v->has_views;
	s->views = v->views;
	s->has_likes = v->has_likes;
	s->likes = v->likes;
	s->has_comments = v->has_comments;
	s->comments = v->comments;
	s->has_shares = v->has_shares;
	s->shares = v->shares;
	s->has_saves = v->has_saves;
	s->saves = v->saves;
	s->has_reach = v->has_reach;
	s->reach = v->reach;
	s->has_completion_rate = v->has_completion_rate;
	s->completion_rate = v->completion_rate;
	s->has_avg_watch_time = v->has_avg_watch_time;
	s->avg_watch_time_s = v->avg_watch_time_s;
	s->has_total_watch_time = v->has_total_watch_time;
	s->total_watch_time_s = v->total_watch_time_s;
	s->caption = v->caption;
	s->has_create_time = v->has_create_time;
	s->create_time = v->create_time;
	s->has_duration = v->has_duration;
	s->duration_s = v->duration_s;
	if (v->media_type)
		s->kind = pg_strcasecmp(v->media_type, "PHOTO") == 0 ? "photo" : "video";
}

/*
 * A call that succeeded, described as the malformed answer it was for one
 * of its videos (the same words as when the whole answer is refused).
 */
static char *
describe_video_error(const FetchCall *call, const char *error)
{
	FetchCall	c = *call;

	c.error_code = "malformed_response";
	c.message = (char *) error;
	c.retry_after_s = -1;
	return fetch_call_describe(&c);
}

/* Posting times a timestamptz stores and prints: 1970-01-01 .. 9999-12-31. */
#define CREATE_TIME_MIN INT64CONST(0)
#define CREATE_TIME_MAX INT64CONST(253402300799)

/* The longest duration taken as a video's: a week (TikTok allows an hour). */
#define DURATION_MAX_S (7.0 * 86400.0)

bool
fetch_create_time_valid(int64 create_time)
{
	return create_time >= CREATE_TIME_MIN && create_time <= CREATE_TIME_MAX;
}

/*
 * Metadata fields of a video's answer that cannot be stored as they are:
 * each is dropped (the stored value is kept) or repaired, and the note
 * returned (NULL: none) becomes the video's last_error.  The snapshot's
 * counters were checked by the decoder (non-negative 64-bit integers,
 * finite reals).
 */
static char *
check_video_stats(FetchVideoStats *s, const TtVideo *tv, int64 video_id)
{
	StringInfoData buf;

	initStringInfo(&buf);
	if (s->has_create_time && !fetch_create_time_valid(s->create_time))
	{
		appendStringInfo(&buf, "TikTok sent create_time " INT64_FORMAT " for video " INT64_FORMAT
						 ", which is not a time between 1970 and 9999; posted_at was not updated",
						 s->create_time, video_id);
		s->has_create_time = false;
	}
	if (s->has_duration && !(s->duration_s >= 0 && s->duration_s <= DURATION_MAX_S))
	{
		appendStringInfo(&buf, "%sTikTok sent a duration of %g s for video " INT64_FORMAT
						 "; duration_s was not updated",
						 buf.len ? "; " : "", s->duration_s, video_id);
		s->has_duration = false;
	}
	if (tv->caption_repaired && s->caption)
		appendStringInfo(&buf, "%sTikTok sent a caption for video " INT64_FORMAT
						 " that is not valid UTF-8; the invalid bytes were stored as U+FFFD",
						 buf.len ? "; " : "", video_id);
	if (buf.len == 0)
	{
		pfree(buf.data);
		return NULL;
	}
	return buf.data;
}

/* Phase 3 for videos; returns the number of tasks refused for an invalid token. */
static int
run_video_requests(FetchBatch *b, bool retry)
{
	Chunk	   *chunks = palloc0(sizeof(Chunk) * Max(b->nvideos, 1));
	HttpRequest **reqs;
	int			nchunks = 0;
	int			auth_failures = 0;
	int			i;
	int			j;

	for (i = 0; i < b->nvideos; i++)
	{
		FetchVideo *v = &b->videos[i];
		Chunk	   *ch = NULL;

		if (v->outcome != FETCH_PENDING || v->video_id <= 0)
			continue;
		if (!cred_usable(v->cred))
		{
			fail_for_cred(v->cred, &v->outcome, &v->call, &v->error, "the video");
			continue;
		}
		/* the last open chunk of this creator, if any */
		for (j = nchunks - 1; j >= 0; j--)
			if (chunks[j].cred == v->cred)
			{
				if (chunks[j].n < DISPLAY_MAX_IDS_PER_QUERY)
					ch = &chunks[j];
				break;
			}
		if (ch == NULL)
		{
			ch = &chunks[nchunks++];
			ch->cred = v->cred;
		}
		ch->ids[ch->n] = v->video_id;
		ch->tasks[ch->n++] = v;
	}
	if (nchunks == 0)
		return 0;

	reqs = palloc(sizeof(HttpRequest *) * nchunks);
	for (i = 0; i < nchunks; i++)
	{
		Chunk	   *ch = &chunks[i];

		if (ch->cred->api == FETCH_API_BUSINESS)
		{
			ch->req = business_video_list_request(ch->cred->access_token,
												  ch->cred->business_id ? ch->cred->business_id : "",
												  ch->ids, ch->n);
			ch->call = fetch_call_new(FETCH_API_BUSINESS, "/business/video/list/");
		}
		else
		{
			ch->req = display_video_query_request(ch->cred->access_token, ch->ids, ch->n);
			ch->call = fetch_call_new(FETCH_API_DISPLAY, "/v2/video/query/");
		}
		ch->call->video_count = ch->n;
		ch->call->video_id = ch->n == 1 ? ch->ids[0] : 0;
		ch->call->creator_id = ch->cred->creator_id;
		reqs[i] = ch->req;
	}
	http_execute(reqs, nchunks);

	for (i = 0; i < nchunks; i++)
	{
		Chunk	   *ch = &chunks[i];
		TtVideoList list;
		bool		ok;

		if (ch->cred->api == FETCH_API_BUSINESS)
			ok = business_decode_videos(ch->req, ch->call, &list, true);
		else
			ok = display_decode_videos(ch->req, ch->call, &list, true);
		http_request_wipe(ch->req);
		batch_add_call(b, ch->call);

		for (j = 0; j < ch->n; j++)
		{
			FetchVideo *v = ch->tasks[j];
			int			k;

			v->call = ch->call;
			if (!ok)
			{
				/* refresh the token and retry once */
				if (ch->call->auth_failed && !retry && ch->cred->refresh_token &&
					!ch->cred->refreshed_this_batch)
				{
					v->outcome = FETCH_PENDING;
					auth_failures++;
					continue;
				}
				v->outcome = FETCH_ERROR;
				v->error = psprintf("could not fetch video " INT64_FORMAT ": %s",
									v->video_id, fetch_call_describe(ch->call));
				continue;
			}
			v->outcome = FETCH_MISSING;
			for (k = 0; k < list.nvideos; k++)
				if (list.videos[k].id == v->video_id)
				{
					if (list.videos[k].error)
					{
						/* this video's answer is unusable; its neighbours' are fine */
						v->outcome = FETCH_ERROR;
						v->error = psprintf("could not fetch video " INT64_FORMAT ": %s",
											v->video_id,
											describe_video_error(ch->call, list.videos[k].error));
						break;
					}
					v->outcome = FETCH_OK;
					copy_stats(&v->stats, &list.videos[k], ch->cred->api);
					v->note = check_video_stats(&v->stats, &list.videos[k], v->video_id);
					break;
				}
			if (v->outcome == FETCH_MISSING)
				v->error = psprintf("%s did not return video " INT64_FORMAT " (deleted, private or not @%s's)",
									api_label(ch->cred->api), v->video_id, ch->cred->handle);
		}
	}
	return auth_failures;
}

/* Phase 3 for creators. */
static int
run_creator_requests(FetchBatch *b, bool retry)
{
	HttpRequest **reqs = palloc0(sizeof(HttpRequest *) * Max(b->ncreators, 1));
	FetchCreator **tasks = palloc0(sizeof(FetchCreator *) * Max(b->ncreators, 1));
	int			n = 0;
	int			auth_failures = 0;
	int			i;

	for (i = 0; i < b->ncreators; i++)
	{
		FetchCreator *c = &b->creators[i];

		if (c->outcome != FETCH_PENDING)
			continue;
		if (!cred_usable(c->cred))
		{
			fail_for_cred(c->cred, &c->outcome, &c->call, &c->error, "the creator's stats");
			continue;
		}
		if (c->cred->api == FETCH_API_BUSINESS)
		{
			reqs[n] = business_get_request(c->cred->access_token,
										   c->cred->business_id ? c->cred->business_id : "");
			c->call = fetch_call_new(FETCH_API_BUSINESS, "/business/get/");
		}
		else
		{
			reqs[n] = display_user_info_request(c->cred->access_token);
			c->call = fetch_call_new(FETCH_API_DISPLAY, "/v2/user/info/");
		}
		c->call->creator_id = c->creator_id;
		tasks[n++] = c;
	}
	if (n == 0)
		return 0;
	http_execute(reqs, n);
	for (i = 0; i < n; i++)
	{
		FetchCreator *c = tasks[i];
		TtUser		u;
		bool		ok;

		if (c->cred->api == FETCH_API_BUSINESS)
			ok = business_decode_account(reqs[i], c->call, &u);
		else
			ok = display_decode_user(reqs[i], c->call, &u);
		http_request_wipe(reqs[i]);
		batch_add_call(b, c->call);
		if (!ok)
		{
			if (c->call->auth_failed && !retry && c->cred->refresh_token &&
				!c->cred->refreshed_this_batch)
			{
				c->outcome = FETCH_PENDING;
				auth_failures++;
				continue;
			}
			c->outcome = FETCH_ERROR;
			c->error = psprintf("could not fetch the stats of @%s: %s",
								c->cred->handle, fetch_call_describe(c->call));
			continue;
		}
		c->outcome = FETCH_OK;
		c->has_followers = u.has_followers;
		c->followers = u.followers;
		c->has_following = u.has_following;
		c->following = u.following;
		c->has_likes = u.has_likes;
		c->likes = u.likes;
		c->has_videos = u.has_videos;
		c->videos = u.videos;
		c->audience_json = u.audience_json;
		c->display_name = u.display_name;
		c->avatar_url = u.avatar_url;
		c->bio = u.bio;
		c->has_is_verified = u.has_is_verified;
		c->is_verified = u.is_verified;
		c->username = u.username;
	}
	return auth_failures;
}

/*
 * Credentials of pending tasks that need a refresh: before the requests,
 * those expiring (or that the caller wants refreshed now); after them,
 * those refused as invalid.
 */
static int
collect_refresh(FetchBatch *b, FetchCredentials **out, bool only_expiring)
{
	int			n = 0;
	int			i;
	int			j;

	for (i = 0; i < b->ncreds; i++)
	{
		FetchCredentials *c = b->creds[i];
		bool		wanted = false;

		if (c->api == FETCH_API_NONE || c->refresh_token == NULL ||
			c->reauth_needed || c->refreshed_this_batch)
			continue;
		if (only_expiring && !fetch_credentials_expiring(c))
			continue;
		/* only when a pending task uses it */
		for (j = 0; j < b->nvideos && !wanted; j++)
			wanted = b->videos[j].cred == c && b->videos[j].outcome == FETCH_PENDING &&
				b->videos[j].video_id > 0;
		for (j = 0; j < b->ncreators && !wanted; j++)
			wanted = b->creators[j].cred == c && b->creators[j].outcome == FETCH_PENDING;
		if (wanted)
			out[n++] = c;
	}
	return n;
}

void
fetch_execute(FetchBatch *b, FetchRotationCallback on_rotation, void *arg)
{
	FetchCredentials **todo = palloc0(sizeof(FetchCredentials *) * Max(b->ncreds, 1));
	int			n;

	b->captured_at = GetCurrentTimestamp();

	resolve_short_links(b);

	n = collect_refresh(b, todo, true);
	refresh_credentials(b, todo, n, on_rotation, arg);

	if (run_video_requests(b, false) + run_creator_requests(b, false) > 0)
	{
		n = collect_refresh(b, todo, false);
		refresh_credentials(b, todo, n, on_rotation, arg);
		run_video_requests(b, true);
		run_creator_requests(b, true);
	}
	/* a snapshot is stamped when its answer arrived */
	b->captured_at = GetCurrentTimestamp();
}

void
fetch_batch_wipe(FetchBatch *b)
{
	int			i;

	for (i = 0; i < b->ncreds; i++)
	{
		FetchCredentials *c = b->creds[i];

		if (c->access_token)
			explicit_bzero(c->access_token, strlen(c->access_token));
		if (c->refresh_token)
			explicit_bzero(c->refresh_token, strlen(c->refresh_token));
	}
}

bool
fetch_batch_rotated(const FetchBatch *b)
{
	int			i;

	for (i = 0; i < b->ncreds; i++)
		if (b->creds[i]->rotated)
			return true;
	return false;
}

/* ------------------------------------------------------------------------
 * building blocks for other execute steps (fetch.h)
 * ------------------------------------------------------------------------
 */

void
fetch_batch_add_call(FetchBatch *b, FetchCall *c)
{
	batch_add_call(b, c);
}

bool
fetch_credentials_expiring(const FetchCredentials *c)
{
	return c->refresh_now ||
		c->access_expires_at <= GetCurrentTimestamp() + REFRESH_MARGIN_US;
}

bool
fetch_credentials_usable(const FetchCredentials *c)
{
	return cred_usable((FetchCredentials *) c);
}

void
fetch_refresh_credentials(FetchBatch *b, FetchCredentials **creds, int n,
						  FetchRotationCallback on_rotation, void *arg)
{
	refresh_credentials(b, creds, n, on_rotation, arg);
}

void
fetch_video_stats_from(FetchVideoStats *s, const struct TtVideo *v)
{
	copy_stats(s, v, FETCH_API_NONE);
}
