/*-------------------------------------------------------------------------
 *
 * provider_display.c
 *	  Display API v2 and Login Kit OAuth: what we send, how we read the
 *	  answer (tiktok-api.md sections 1 and 2).
 *
 * Every decoder fills the FetchCall that becomes the fetch_log row and
 * that the worker's rate limiter reads: HTTP status, TikTok's error code,
 * log_id, Retry-After, and whether the failure is a rate limit, transient
 * (worth a later retry) or an invalid token (refresh and retry once).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <curl/curl.h>

#include "lib/stringinfo.h"
#include "utils/timestamp.h"

#include "endpoints.h"
#include "provider_display.h"
#include "token_check.h"

#define VIDEO_FIELDS "id,create_time,view_count,like_count,comment_count,share_count,duration,title,video_description"
#define USER_FIELDS "open_id,union_id,avatar_url,avatar_large_url,display_name,bio_description,is_verified,username,follower_count,following_count,likes_count,video_count"

/* "host[:port]" of a URL, for messages (palloc'd). */
static char *
url_authority(const char *url)
{
	const char *p = strstr(url, "://");
	size_t		len;

	p = p ? p + 3 : url;
	len = strcspn(p, "/?#");
	return pnstrdup(p, len);
}

FetchCall *
fetch_call_new(FetchApi api, const char *endpoint)
{
	FetchCall  *c = palloc0(sizeof(FetchCall));

	c->requested_at = GetCurrentTimestamp();
	c->api = api;
	c->endpoint = endpoint;
	c->business_code = -1;
	c->retry_after_s = -1;
	return c;
}

bool
fetch_call_malformed(FetchCall *call, char *message)
{
	call->ok = false;
	call->error_code = pstrdup("malformed_response");
	call->message = message;
	call->transient = true;
	return false;
}

void
fetch_call_transport(FetchCall *call, const HttpRequest *r)
{
	call->http_status = r->status;
	call->duration_ms = r->duration_ms;
	call->retry_after_s = r->retry_after_s;
	if (r->status == 429)
		call->rate_limited = true;
	if (r->status >= 500)
		call->transient = true;
	if (!r->done)
	{
		call->error_code = pstrdup(r->error_name ? r->error_name : "transport");
		call->message = pstrdup(r->error ? r->error : "request failed");
		/* say in plain words what a certificate failure means */
		if (r->curl_code == CURLE_PEER_FAILED_VERIFICATION)
			call->message = psprintf("the TLS certificate of %s could not be verified (%s)",
									 url_authority(r->url), call->message);
		else if (r->curl_code == CURLE_SSL_CACERT_BADFILE)
			call->message = psprintf("could not load the CA certificates of tiktrack.ca_file (%s)",
									 call->message);
		/* a refused request (configuration) will not get better by itself */
		call->transient = (r->curl_code != -1);
	}
}

const char *
fetch_call_hint(const FetchCall *call)
{
	if (call == NULL || call->error_code == NULL)
		return NULL;
	if (strcmp(call->error_code, "tls") == 0)
		return "Certificates are verified against the system CAs and tiktrack.ca_file; "
			"verification cannot be turned off.  If TikTok is reached through a TLS-inspecting "
			"proxy or a local test double, a superuser can set tiktrack.ca_file to its CA bundle.";
	return NULL;
}

/*
 * A token TikTok sent is checked like one a user gives (token_check.h):
 * one that could not go into a header fails this answer, as malformed,
 * and so only the request of that creator.
 */
bool
token_answer_usable(FetchCall *call, const TtToken *tok)
{
	char	   *problem = token_problem_text(tok->access_token);
	const char *which = "access_token";

	if (problem == NULL && tok->refresh_token && tok->refresh_token[0])
	{
		problem = token_problem_text(tok->refresh_token);
		which = "refresh_token";
	}
	if (problem == NULL)
		return true;
	return fetch_call_malformed(call, psprintf("the token answer's %s %s", which, problem));
}

/*
 * Only a valid token goes into a header.  Tokens are checked where they
 * enter; one that fails here (stored before that check existed) is left
 * out, so TikTok refuses the request as unauthenticated instead of
 * receiving what the token would inject.
 */
static void
add_bearer(HttpRequest *r, const char *token)
{
	char	   *h;

	if (token_problem_text(token) != NULL)
		return;
	h = psprintf("Authorization: Bearer %s", token);
	http_request_add_header(r, h);
	explicit_bzero(h, strlen(h));
	pfree(h);
}

static HttpRequest *
json_post(const char *url, const char *token, char *body)
{
	HttpRequest *r = palloc0(sizeof(HttpRequest));

	r->method = "POST";
	r->url = (char *) url;
	add_bearer(r, token);
	http_request_add_header(r, "Content-Type: application/json");
	r->body = body;
	r->body_len = strlen(body);
	return r;
}

HttpRequest *
display_video_query_request(const char *access_token, const int64 *ids, int n)
{
	StringInfoData body;
	int			i;

	initStringInfo(&body);
	appendStringInfoString(&body, "{\"filters\":{\"video_ids\":[");
	for (i = 0; i < n; i++)
		appendStringInfo(&body, "%s\"" INT64_FORMAT "\"", i ? "," : "", ids[i]);
	appendStringInfoString(&body, "]}}");
	return json_post(endpoints_display_url("/v2/video/query/?fields=" VIDEO_FIELDS),
					 access_token, body.data);
}

HttpRequest *
display_video_list_request(const char *access_token, int64 cursor, int max_count)
{
	char	   *body;

	if (cursor > 0)
		body = psprintf("{\"max_count\":%d,\"cursor\":" INT64_FORMAT "}", max_count, cursor);
	else
		body = psprintf("{\"max_count\":%d}", max_count);
	return json_post(endpoints_display_url("/v2/video/list/?fields=" VIDEO_FIELDS),
					 access_token, body);
}

HttpRequest *
display_user_info_request(const char *access_token)
{
	HttpRequest *r = palloc0(sizeof(HttpRequest));

	r->method = "GET";
	r->url = endpoints_display_url("/v2/user/info/?fields=" USER_FIELDS);
	add_bearer(r, access_token);
	return r;
}

/* Parse and classify a v2 envelope; returns the data node or NULL. */
static JsonNode *
display_envelope(const HttpRequest *r, FetchCall *call)
{
	JsonNode   *root;
	TtEnvelope	env;
	char	   *err;

	fetch_call_transport(call, r);
	if (!r->done)
		return NULL;
	err = json_decode_parse(r->response, r->response_len, &root);
	if (err == NULL)
		err = json_decode_display_envelope(root, &env);
	if (err)
	{
		fetch_call_malformed(call, psprintf("unreadable answer (HTTP %ld): %s", r->status, err));
		return NULL;
	}
	call->error_code = env.error_code;
	call->log_id = env.log_id;
	call->message = env.message;
	if (!env.ok)
	{
		if (strcmp(env.error_code, "rate_limit_exceeded") == 0)
			call->rate_limited = true;
		if (strcmp(env.error_code, "access_token_invalid") == 0)
			call->auth_failed = true;
		if (strcmp(env.error_code, "internal_error") == 0 || call->rate_limited)
			call->transient = true;
		return NULL;
	}
	call->ok = true;
	return env.data;
}

bool
display_decode_videos(const HttpRequest *r, FetchCall *call, TtVideoList *list,
					  bool per_video_errors)
{
	JsonNode   *data = display_envelope(r, call);
	char	   *err;

	memset(list, 0, sizeof(*list));
	if (data == NULL)
		return false;
	err = json_decode_display_videos(data, list);
	if (err == NULL && !per_video_errors)
		err = json_video_list_error(list);
	if (err)
		return fetch_call_malformed(call, err);
	return true;
}

bool
display_decode_user(const HttpRequest *r, FetchCall *call, TtUser *user)
{
	JsonNode   *data = display_envelope(r, call);
	char	   *err;

	memset(user, 0, sizeof(*user));
	if (data == NULL)
		return false;
	err = json_decode_display_user(data, user);
	if (err)
		return fetch_call_malformed(call, err);
	return true;
}

/* ---- OAuth ---- */

static HttpRequest *
form_post(const char *path, StringInfo body)
{
	HttpRequest *r = palloc0(sizeof(HttpRequest));

	r->method = "POST";
	r->url = endpoints_display_url(path);
	http_request_add_header(r, "Content-Type: application/x-www-form-urlencoded");
	http_request_add_header(r, "Cache-Control: no-cache");
	r->body = body->data;
	r->body_len = body->len;
	return r;
}

static void
form_add(StringInfo body, const char *name, const char *value)
{
	char	   *enc = http_urlencode(value ? value : "");

	appendStringInfo(body, "%s%s=%s", body->len ? "&" : "", name, enc);
	explicit_bzero(enc, strlen(enc));
	pfree(enc);
}

static void
check_client_settings(void)
{
	if (tiktrack_client_key[0] == '\0' || tiktrack_client_secret[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tiktrack.client_key and tiktrack.client_secret are not set"),
				 errhint("Set them to the Login Kit app's credentials in postgresql.conf and reload.")));
}

HttpRequest *
display_token_code_request(const char *code, const char *redirect_uri,
						   const char *code_verifier)
{
	StringInfoData body;

	check_client_settings();
	initStringInfo(&body);
	form_add(&body, "client_key", tiktrack_client_key);
	form_add(&body, "client_secret", tiktrack_client_secret);
	form_add(&body, "code", code);
	form_add(&body, "grant_type", "authorization_code");
	form_add(&body, "redirect_uri", redirect_uri);
	if (code_verifier)
		form_add(&body, "code_verifier", code_verifier);
	return form_post("/v2/oauth/token/", &body);
}

HttpRequest *
display_token_refresh_request(const char *refresh_token)
{
	StringInfoData body;

	check_client_settings();
	initStringInfo(&body);
	form_add(&body, "client_key", tiktrack_client_key);
	form_add(&body, "client_secret", tiktrack_client_secret);
	form_add(&body, "grant_type", "refresh_token");
	form_add(&body, "refresh_token", refresh_token);
	return form_post("/v2/oauth/token/", &body);
}

HttpRequest *
display_revoke_request(const char *access_token)
{
	StringInfoData body;

	check_client_settings();
	initStringInfo(&body);
	form_add(&body, "client_key", tiktrack_client_key);
	form_add(&body, "client_secret", tiktrack_client_secret);
	form_add(&body, "token", access_token);
	return form_post("/v2/oauth/revoke/", &body);
}

bool
display_decode_token(const HttpRequest *r, FetchCall *call, TtToken *tok,
					 bool *invalid_grant)
{
	char	   *err;

	*invalid_grant = false;
	memset(tok, 0, sizeof(*tok));
	fetch_call_transport(call, r);
	if (!r->done)
		return false;
	err = json_decode_oauth_token(r->response, r->response_len, tok);
	if (err)
		return fetch_call_malformed(call, psprintf("unreadable token answer (HTTP %ld): %s",
												   r->status, err));
	call->log_id = tok->log_id;
	if (tok->is_error)
	{
		call->error_code = tok->error;
		call->message = tok->error_description;
		if (strcmp(tok->error, "invalid_grant") == 0)
			*invalid_grant = true;
		if (strcmp(tok->error, "server_error") == 0 ||
			strcmp(tok->error, "temporarily_unavailable") == 0 ||
			strcmp(tok->error, "rate_limit_exceeded") == 0)
			call->transient = true;
		if (strcmp(tok->error, "rate_limit_exceeded") == 0)
			call->rate_limited = true;
		return false;
	}
	if (r->status != 200)
	{
		call->error_code = pstrdup("unexpected_status");
		call->message = psprintf("token endpoint answered HTTP %ld", r->status);
		return false;
	}
	if (!token_answer_usable(call, tok))
		return false;
	call->error_code = pstrdup("ok");
	call->ok = true;
	return true;
}

bool
display_decode_revoke(const HttpRequest *r, FetchCall *call)
{
	TtToken		tok;
	bool		invalid_grant;

	fetch_call_transport(call, r);
	if (!r->done)
		return false;
	/* success is an empty body with HTTP 200 */
	if (r->status == 200 && r->response_len == 0)
	{
		call->error_code = pstrdup("ok");
		call->ok = true;
		return true;
	}
	if (json_decode_oauth_token(r->response, r->response_len, &tok) == NULL && tok.is_error)
	{
		(void) invalid_grant;
		call->error_code = tok.error;
		call->message = tok.error_description;
		call->log_id = tok.log_id;
		return false;
	}
	if (r->status == 200)
	{
		call->error_code = pstrdup("ok");
		call->ok = true;
		return true;
	}
	call->error_code = pstrdup("unexpected_status");
	call->message = psprintf("revoke endpoint answered HTTP %ld", r->status);
	return false;
}
