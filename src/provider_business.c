/*-------------------------------------------------------------------------
 *
 * provider_business.c
 *	  TikTok API for Business v1.3 (tiktok-api.md section 4): Access-Token
 *	  header, GET with JSON-encoded fields/filters in the query string, and
 *	  the {code, message, request_id, data} envelope where a non-zero code
 *	  (often inside HTTP 200) is the error: 40100 throttled, 40105 token
 *	  invalid, 40107 refresh token refused.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "lib/stringinfo.h"

#include "endpoints.h"
#include "provider_business.h"
#include "provider_display.h"
#include "token_check.h"

#define BIZ_VIDEO_FIELDS "[\"item_id\",\"media_type\",\"caption\",\"create_time\",\"video_duration\",\"likes\",\"comments\",\"shares\",\"favorites\",\"reach\",\"video_views\",\"total_time_watched\",\"average_time_watched\",\"full_video_watched_rate\"]"
#define BIZ_ACCOUNT_FIELDS "[\"username\",\"display_name\",\"profile_image\",\"bio_description\",\"is_verified\",\"followers_count\",\"following_count\",\"total_likes\",\"videos_count\",\"audience_countries\",\"audience_genders\",\"audience_ages\"]"

/* Only a valid token goes into a header (see add_bearer()). */
static void
add_access_token(HttpRequest *r, const char *token)
{
	char	   *h;

	if (token_problem_text(token) != NULL)
		return;
	h = psprintf("Access-Token: %s", token);
	http_request_add_header(r, h);
	explicit_bzero(h, strlen(h));
	pfree(h);
}

static HttpRequest *
biz_get(const char *token, char *url)
{
	HttpRequest *r = palloc0(sizeof(HttpRequest));

	r->method = "GET";
	r->url = url;
	add_access_token(r, token);
	return r;
}

HttpRequest *
business_video_list_request(const char *access_token, const char *business_id,
							const int64 *ids, int n)
{
	StringInfoData filters;
	StringInfoData path;
	int			i;

	initStringInfo(&filters);
	appendStringInfoString(&filters, "{\"video_ids\":[");
	for (i = 0; i < n; i++)
		appendStringInfo(&filters, "%s\"" INT64_FORMAT "\"", i ? "," : "", ids[i]);
	appendStringInfoString(&filters, "]}");

	initStringInfo(&path);
	appendStringInfo(&path, "/business/video/list/?business_id=%s&fields=%s&filters=%s&max_count=%d",
					 http_urlencode(business_id), http_urlencode(BIZ_VIDEO_FIELDS),
					 http_urlencode(filters.data), Max(n, 1));
	return biz_get(access_token, endpoints_business_url(path.data));
}

HttpRequest *
business_video_page_request(const char *access_token, const char *business_id,
							int64 cursor, int max_count)
{
	StringInfoData path;

	initStringInfo(&path);
	appendStringInfo(&path, "/business/video/list/?business_id=%s&fields=%s&max_count=%d",
					 http_urlencode(business_id), http_urlencode(BIZ_VIDEO_FIELDS),
					 max_count);
	if (cursor > 0)
		appendStringInfo(&path, "&cursor=" INT64_FORMAT, cursor);
	return biz_get(access_token, endpoints_business_url(path.data));
}

HttpRequest *
business_get_request(const char *access_token, const char *business_id)
{
	char	   *path = psprintf("/business/get/?business_id=%s&fields=%s",
								http_urlencode(business_id),
								http_urlencode(BIZ_ACCOUNT_FIELDS));

	return biz_get(access_token, endpoints_business_url(path));
}

static void
check_business_settings(void)
{
	if (tiktrack_business_app_id[0] == '\0' || tiktrack_business_app_secret[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tiktrack.business_app_id and tiktrack.business_app_secret are not set"),
				 errhint("Set them to the Business app's credentials in postgresql.conf and reload.")));
}

/* A JSON string literal (escapes only what a token or id could hold). */
static void
append_json_string(StringInfo buf, const char *s)
{
	appendStringInfoChar(buf, '"');
	for (; *s; s++)
	{
		if (*s == '"' || *s == '\\')
			appendStringInfoChar(buf, '\\');
		if ((unsigned char) *s < 0x20)
			appendStringInfo(buf, "\\u%04x", (unsigned char) *s);
		else
			appendStringInfoChar(buf, *s);
	}
	appendStringInfoChar(buf, '"');
}

static HttpRequest *
biz_json_post(const char *path, StringInfo body)
{
	HttpRequest *r = palloc0(sizeof(HttpRequest));

	r->method = "POST";
	r->url = endpoints_business_url(path);
	http_request_add_header(r, "Content-Type: application/json");
	r->body = body->data;
	r->body_len = body->len;
	return r;
}

HttpRequest *
business_token_info_request(const char *access_token)
{
	StringInfoData body;

	check_business_settings();
	initStringInfo(&body);
	appendStringInfoString(&body, "{\"app_id\":");
	append_json_string(&body, tiktrack_business_app_id);
	appendStringInfoString(&body, ",\"access_token\":");
	append_json_string(&body, access_token);
	appendStringInfoChar(&body, '}');
	return biz_json_post("/tt_user/token_info/get/", &body);
}

HttpRequest *
business_token_refresh_request(const char *refresh_token)
{
	StringInfoData body;

	check_business_settings();
	initStringInfo(&body);
	appendStringInfoString(&body, "{\"client_id\":");
	append_json_string(&body, tiktrack_business_app_id);
	appendStringInfoString(&body, ",\"client_secret\":");
	append_json_string(&body, tiktrack_business_app_secret);
	appendStringInfoString(&body, ",\"grant_type\":\"refresh_token\",\"refresh_token\":");
	append_json_string(&body, refresh_token);
	appendStringInfoChar(&body, '}');
	return biz_json_post("/tt_user/oauth2/refresh_token/", &body);
}

HttpRequest *
business_revoke_request(const char *access_token)
{
	StringInfoData body;

	check_business_settings();
	initStringInfo(&body);
	appendStringInfoString(&body, "{\"client_id\":");
	append_json_string(&body, tiktrack_business_app_id);
	appendStringInfoString(&body, ",\"client_secret\":");
	append_json_string(&body, tiktrack_business_app_secret);
	appendStringInfoString(&body, ",\"access_token\":");
	append_json_string(&body, access_token);
	appendStringInfoChar(&body, '}');
	return biz_json_post("/tt_user/oauth2/revoke/", &body);
}

/* Parse and classify a Business envelope; the data node (maybe NULL) on success. */
static bool
biz_envelope(const HttpRequest *r, FetchCall *call, JsonNode **data)
{
	JsonNode   *root;
	TtEnvelope	env;
	char	   *err;

	*data = NULL;
	fetch_call_transport(call, r);
	if (!r->done)
		return false;
	err = json_decode_parse(r->response, r->response_len, &root);
	if (err == NULL)
		err = json_decode_business_envelope(root, &env);
	if (err)
		return fetch_call_malformed(call, psprintf("unreadable answer (HTTP %ld): %s",
												   r->status, err));
	call->business_code = env.business_code;
	call->error_code = env.error_code;
	call->log_id = env.log_id;
	call->message = env.message;
	if (!env.ok)
	{
		if (env.business_code == BUSINESS_CODE_THROTTLED)
			call->rate_limited = call->transient = true;
		if (env.business_code == BUSINESS_CODE_TOKEN_INVALID)
			call->auth_failed = true;
		if (env.business_code >= 50000)
			call->transient = true;
		return false;
	}
	call->ok = true;
	*data = env.data;
	return true;
}

static bool
decoded(FetchCall *call, char *err)
{
	return err == NULL || fetch_call_malformed(call, err);
}

bool
business_decode_videos(const HttpRequest *r, FetchCall *call, TtVideoList *list,
					   bool per_video_errors)
{
	JsonNode   *data;
	char	   *err;

	memset(list, 0, sizeof(*list));
	if (!biz_envelope(r, call, &data))
		return false;
	err = json_decode_business_videos(data, list);
	if (err == NULL && !per_video_errors)
		err = json_video_list_error(list);
	return decoded(call, err);
}

bool
business_decode_account(const HttpRequest *r, FetchCall *call, TtUser *user)
{
	JsonNode   *data;

	memset(user, 0, sizeof(*user));
	if (!biz_envelope(r, call, &data))
		return false;
	return decoded(call, json_decode_business_account(data, user));
}

bool
business_decode_token_info(const HttpRequest *r, FetchCall *call, TtUser *user)
{
	JsonNode   *data;

	memset(user, 0, sizeof(*user));
	if (!biz_envelope(r, call, &data))
		return false;
	return decoded(call, json_decode_business_token_info(data, user));
}

bool
business_decode_token(const HttpRequest *r, FetchCall *call, TtToken *tok,
					  bool *invalid_grant)
{
	JsonNode   *data;

	*invalid_grant = false;
	memset(tok, 0, sizeof(*tok));
	if (!biz_envelope(r, call, &data))
	{
		if (call->business_code == BUSINESS_CODE_REFRESH_INVALID)
			*invalid_grant = true;
		return false;
	}
	if (!decoded(call, json_decode_business_token(data, tok)))
		return false;
	return token_answer_usable(call, tok);
}

bool
business_decode_revoke(const HttpRequest *r, FetchCall *call)
{
	JsonNode   *data;

	return biz_envelope(r, call, &data);
}
