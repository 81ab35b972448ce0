/*-------------------------------------------------------------------------
 *
 * json_decode.c
 *	  Decoders of TikTok responses on top of PostgreSQL's JSON parser.
 *
 * Pure code: palloc and the JSON tree of json_tree.c, nothing else of the
 * backend, so the fuzz targets link it with libpgcommon.  Where TikTok's
 * documentation is ambiguous (tiktok-api.md, "could not confirm"), both
 * shapes are accepted: error.code "ok" or 0, ids as strings or numbers,
 * create_time as a number or a string, favorites or favorities, v1.3 or
 * v1.2 token field names.
 *
 *-------------------------------------------------------------------------
 */
#ifndef FRONTEND
#include "postgres.h"
#else
#include "postgres_fe.h"
#endif

#include "lib/stringinfo.h"

#include "json_decode.h"

/* ------------------------------------------------------------------------
 * Envelopes
 * ------------------------------------------------------------------------
 */

char *
json_decode_display_envelope(const JsonNode *root, TtEnvelope *env)
{
	JsonNode   *error;
	JsonNode   *code;

	memset(env, 0, sizeof(*env));
	env->business_code = -1;
	if (root == NULL || root->type != JN_OBJECT)
		return pstrdup("response is not a JSON object");
	env->data = json_get(root, "data");
	error = json_get(root, "error");
	if (error == NULL || error->type != JN_OBJECT)
		return pstrdup("response has no \"error\" object");
	code = json_get(error, "code");
	env->error_code = json_text(code);
	env->message = json_text(json_get(error, "message"));
	env->log_id = json_text(json_get(error, "log_id"));
	if (env->error_code == NULL)
		return pstrdup("response has no error.code");
	/* "ok", or the integer 0 seen in one copy of the user-info example */
	env->ok = (code->type == JN_STRING && strcmp(code->text, "ok") == 0) ||
		(code->type == JN_NUMBER && strcmp(code->text, "0") == 0);
	return NULL;
}

char *
json_decode_business_envelope(const JsonNode *root, TtEnvelope *env)
{
	JsonNode   *code;
	int64		c;
	bool		err = false;

	memset(env, 0, sizeof(*env));
	env->business_code = -1;
	if (root == NULL || root->type != JN_OBJECT)
		return pstrdup("response is not a JSON object");
	code = json_get(root, "code");
	if (!json_int64(code, &c, &err) || c < 0 || c > PG_INT32_MAX)
		return pstrdup("response has no numeric \"code\"");
	env->business_code = (int) c;
	env->error_code = psprintf("%d", (int) c);
	env->message = json_text(json_get(root, "message"));
	env->log_id = json_text(json_get(root, "request_id"));
	env->data = json_get(root, "data");
	env->ok = (c == 0);
	return NULL;
}

/* ------------------------------------------------------------------------
 * Fields
 * ------------------------------------------------------------------------
 */

/* Reads an optional non-negative integer member; returns an error or NULL. */
static char *
get_count(const JsonNode *obj, const char *key, bool *has, int64 *v)
{
	bool		err = false;

	*has = json_int64(json_get(obj, key), v, &err);
	if (err)
		return psprintf("field \"%s\" is not an integer within 64 bits", key);
	if (*has && *v < 0)
		return psprintf("field \"%s\" is negative", key);
	return NULL;
}

static char *
get_real(const JsonNode *obj, const char *key, bool *has, double *v)
{
	bool		err = false;

	*has = json_double(json_get(obj, key), v, &err);
	if (err)
		return psprintf("field \"%s\" is not a number", key);
	if (*has && *v < 0)
		return psprintf("field \"%s\" is negative", key);
	return NULL;
}

/* A string member, or NULL; an id given as a number is returned as text. */
static char *
get_string(const JsonNode *obj, const char *key)
{
	JsonNode   *n = json_get(obj, key);

	if (n && n->type == JN_STRING)
		return n->text;
	return NULL;
}

/* A caption string member, or NULL; *repaired set if it was not valid UTF-8. */
static char *
get_caption(const JsonNode *obj, const char *key, bool *repaired)
{
	JsonNode   *n = json_get(obj, key);

	if (n && n->type == JN_STRING)
	{
		*repaired = *repaired || n->repaired;
		return n->text;
	}
	return NULL;
}

/* An item id: a positive integer as a string or a number. */
static char *
get_id(const JsonNode *obj, const char *key, int64 *id)
{
	bool		err = false;

	if (!json_int64(json_get(obj, key), id, &err))
		return psprintf("video has no \"%s\"", key);
	if (*id <= 0)
		return psprintf("field \"%s\" is not a positive integer", key);
	return NULL;
}

#define TRY(expr) do { char *e_ = (expr); if (e_) return e_; } while (0)

/* ------------------------------------------------------------------------
 * OAuth
 * ------------------------------------------------------------------------
 */

static char *
read_token_fields(const JsonNode *obj, TtToken *tok,
				  const char *const *expires_keys,
				  const char *const *refresh_expires_keys,
				  const char *const *id_keys)
{
	bool		has;
	int			i;

	tok->access_token = get_string(obj, "access_token");
	tok->refresh_token = get_string(obj, "refresh_token");
	tok->scope = get_string(obj, "scope");
	tok->expires_in = -1;
	tok->refresh_expires_in = -1;
	for (i = 0; id_keys[i] && tok->open_id == NULL; i++)
		tok->open_id = json_text(json_get(obj, id_keys[i]));
	for (i = 0; expires_keys[i]; i++)
	{
		TRY(get_count(obj, expires_keys[i], &has, &tok->expires_in));
		if (has)
			break;
		tok->expires_in = -1;
	}
	for (i = 0; refresh_expires_keys[i]; i++)
	{
		TRY(get_count(obj, refresh_expires_keys[i], &has, &tok->refresh_expires_in));
		if (has)
			break;
		tok->refresh_expires_in = -1;
	}
	if (tok->access_token == NULL || tok->access_token[0] == '\0')
		return pstrdup("token response has no access_token");
	return NULL;
}

char *
json_decode_oauth_token(const char *data, size_t len, TtToken *tok)
{
	static const char *const exp[] = {"expires_in", NULL};
	static const char *const rexp[] = {"refresh_expires_in", NULL};
	static const char *const ids[] = {"open_id", NULL};
	JsonNode   *root;
	JsonNode   *error;
	JsonNode   *obj;

	memset(tok, 0, sizeof(*tok));
	TRY(json_decode_parse(data, len, &root));
	if (root->type != JN_OBJECT)
		return pstrdup("response is not a JSON object");
	tok->log_id = json_text(json_get(root, "log_id"));

	error = json_get(root, "error");
	if (error && error->type == JN_STRING && error->text[0] != '\0')
	{
		/* the flat OAuth error body */
		tok->is_error = true;
		tok->error = error->text;
		tok->error_description = get_string(root, "error_description");
		return NULL;
	}
	if (error && error->type == JN_OBJECT)
	{
		/* a v2 envelope: {"data": {...token...}, "error": {"code": ...}} */
		TtEnvelope env;

		TRY(json_decode_display_envelope(root, &env));
		if (!env.ok)
		{
			tok->is_error = true;
			tok->error = env.error_code;
			tok->error_description = env.message;
			tok->log_id = env.log_id;
			return NULL;
		}
		obj = env.data;
		tok->log_id = env.log_id;
	}
	else
		obj = root;
	if (obj == NULL || obj->type != JN_OBJECT)
		return pstrdup("token response has no token object");
	return read_token_fields(obj, tok, exp, rexp, ids);
}

char *
json_decode_business_token(const JsonNode *data, TtToken *tok)
{
	static const char *const exp[] = {"expires_in", "expires", NULL};
	static const char *const rexp[] = {"refresh_token_expires_in", "refresh_expires_in", "refresh_expires", NULL};
	static const char *const ids[] = {"open_id", "creator_id", NULL};

	memset(tok, 0, sizeof(*tok));
	if (data == NULL || data->type != JN_OBJECT)
		return pstrdup("token response has no \"data\" object");
	return read_token_fields(data, tok, exp, rexp, ids);
}

/* ------------------------------------------------------------------------
 * Videos
 * ------------------------------------------------------------------------
 */

static char *
read_video_list_common(const JsonNode *data, TtVideoList *list, JsonNode **videos)
{
	bool		err = false;

	memset(list, 0, sizeof(*list));
	if (data == NULL || data->type != JN_OBJECT)
		return pstrdup("response has no \"data\" object");
	*videos = json_get(data, "videos");
	if (*videos != NULL && (*videos)->type == JN_NULL)
		*videos = NULL;
	if (*videos != NULL && (*videos)->type != JN_ARRAY)
		return pstrdup("data.videos is not an array");
	list->has_cursor = json_int64(json_get(data, "cursor"), &list->cursor, &err);
	if (err)
		return pstrdup("data.cursor is not an integer");
	(void) json_bool(json_get(data, "has_more"), &list->has_more, &err);
	if (err)
		return pstrdup("data.has_more is not a boolean");
	if (*videos)
	{
		list->nvideos = (*videos)->n;
		list->videos = palloc0(sizeof(TtVideo) * Max(list->nvideos, 1));
	}
	return NULL;
}

static char *
check_video_object(const JsonNode *v, int i)
{
	if (v->type != JN_OBJECT)
		return psprintf("data.videos[%d] is not an object", i);
	return NULL;
}

char *
json_video_list_error(const TtVideoList *list)
{
	int			i;

	for (i = 0; i < list->nvideos; i++)
		if (list->videos[i].error)
			return list->videos[i].error;
	return NULL;
}

char *
json_decode_display_videos(const JsonNode *data, TtVideoList *list)
{
	JsonNode   *videos;
	int			i;

	TRY(read_video_list_common(data, list, &videos));
	for (i = 0; i < list->nvideos; i++)
	{
		const JsonNode *o = videos->items[i];
		TtVideo    *v = &list->videos[i];
		bool		err = false;
		int64		dur;
		char	   *e = NULL;

		TRY(check_video_object(o, i));
		TRY(get_id(o, "id", &v->id));
		v->has_create_time = json_int64(json_get(o, "create_time"), &v->create_time, &err);
		if (err)
			e = pstrdup("field \"create_time\" is not an integer");
		if (e == NULL)
			(void) ((e = get_count(o, "view_count", &v->has_views, &v->views)) ||
					(e = get_count(o, "like_count", &v->has_likes, &v->likes)) ||
					(e = get_count(o, "comment_count", &v->has_comments, &v->comments)) ||
					(e = get_count(o, "share_count", &v->has_shares, &v->shares)) ||
					(e = get_count(o, "duration", &v->has_duration, &dur)));
		if (e)
		{
			v->error = psprintf("video %lld: %s", (long long) v->id, e);
			continue;
		}
		v->duration_s = (double) dur;
		v->caption = get_caption(o, "video_description", &v->caption_repaired);
		if (v->caption == NULL)
			v->caption = get_caption(o, "title", &v->caption_repaired);
	}
	return NULL;
}

char *
json_decode_business_videos(const JsonNode *data, TtVideoList *list)
{
	JsonNode   *videos;
	int			i;

	TRY(read_video_list_common(data, list, &videos));
	for (i = 0; i < list->nvideos; i++)
	{
		const JsonNode *o = videos->items[i];
		TtVideo    *v = &list->videos[i];
		bool		err = false;
		char	   *e = NULL;

		TRY(check_video_object(o, i));
		TRY(get_id(o, "item_id", &v->id));
		v->has_create_time = json_int64(json_get(o, "create_time"), &v->create_time, &err);
		if (err)
			e = pstrdup("field \"create_time\" is not an integer");
		if (e == NULL)
			(void) ((e = get_count(o, "video_views", &v->has_views, &v->views)) ||
					(e = get_count(o, "likes", &v->has_likes, &v->likes)) ||
					(e = get_count(o, "comments", &v->has_comments, &v->comments)) ||
					(e = get_count(o, "shares", &v->has_shares, &v->shares)) ||
					(e = get_count(o, "favorites", &v->has_saves, &v->saves)) ||
					(e = get_count(o, "reach", &v->has_reach, &v->reach)) ||
					(e = get_real(o, "full_video_watched_rate", &v->has_completion_rate, &v->completion_rate)) ||
					(e = get_real(o, "average_time_watched", &v->has_avg_watch_time, &v->avg_watch_time_s)) ||
					(e = get_real(o, "total_time_watched", &v->has_total_watch_time, &v->total_watch_time_s)) ||
					(e = get_real(o, "video_duration", &v->has_duration, &v->duration_s)));
		/* one SDK spells it "favorities" */
		if (e == NULL && !v->has_saves)
			e = get_count(o, "favorities", &v->has_saves, &v->saves);
		if (e == NULL && v->has_completion_rate && v->completion_rate > 1.0)
			e = psprintf("full_video_watched_rate %g is not a fraction between 0 and 1",
						 v->completion_rate);
		if (e)
		{
			v->error = psprintf("video %lld: %s", (long long) v->id, e);
			continue;
		}
		v->caption = get_caption(o, "caption", &v->caption_repaired);
		v->media_type = get_string(o, "media_type");
	}
	return NULL;
}

/* ------------------------------------------------------------------------
 * Users and accounts
 * ------------------------------------------------------------------------
 */

static char *
read_user_common(const JsonNode *u, TtUser *user, const char *const *keys)
{
	bool		err = false;
	char	   *e;

	/* keys: followers, following, likes, videos */
	if ((e = get_count(u, keys[0], &user->has_followers, &user->followers)) ||
		(e = get_count(u, keys[1], &user->has_following, &user->following)) ||
		(e = get_count(u, keys[2], &user->has_likes, &user->likes)) ||
		(e = get_count(u, keys[3], &user->has_videos, &user->videos)))
		return e;
	user->has_is_verified = json_bool(json_get(u, "is_verified"), &user->is_verified, &err);
	if (err)
		return pstrdup("field \"is_verified\" is not a boolean");
	user->display_name = get_string(u, "display_name");
	user->username = get_string(u, "username");
	user->bio = get_string(u, "bio_description");
	return NULL;
}

char *
json_decode_display_user(const JsonNode *data, TtUser *user)
{
	static const char *const keys[] = {"follower_count", "following_count", "likes_count", "video_count"};
	JsonNode   *u;

	memset(user, 0, sizeof(*user));
	if (data == NULL || data->type != JN_OBJECT)
		return pstrdup("response has no \"data\" object");
	u = json_get(data, "user");
	if (u == NULL || u->type != JN_OBJECT)
		return pstrdup("response has no data.user object");
	TRY(read_user_common(u, user, keys));
	user->open_id = get_string(u, "open_id");
	user->avatar_url = get_string(u, "avatar_large_url");
	if (user->avatar_url == NULL)
		user->avatar_url = get_string(u, "avatar_url");
	return NULL;
}

char *
json_decode_business_account(const JsonNode *data, TtUser *user)
{
	static const char *const keys[] = {"followers_count", "following_count", "total_likes", "videos_count"};
	static const char *const audience[][2] = {
		{"audience_countries", "countries"},
		{"audience_genders", "genders"},
		{"audience_ages", "ages"},
		{"audience_cities", "cities"},
	};
	StringInfoData buf;
	int			i;
	int			found = 0;

	memset(user, 0, sizeof(*user));
	if (data == NULL || data->type != JN_OBJECT)
		return pstrdup("response has no \"data\" object");
	TRY(read_user_common(data, user, keys));
	user->avatar_url = get_string(data, "profile_image");

	initStringInfo(&buf);
	appendStringInfoChar(&buf, '{');
	for (i = 0; i < (int) lengthof(audience); i++)
	{
		JsonNode   *a = json_get(data, audience[i][0]);

		if (a == NULL || a->type == JN_NULL)
			continue;
		if (a->type != JN_ARRAY)
			return psprintf("field \"%s\" is not an array", audience[i][0]);
		if (found++)
			appendStringInfoString(&buf, ", ");
		json_append_string(&buf, audience[i][1]);
		appendStringInfoString(&buf, ": ");
		json_append_serialized(&buf, a);
	}
	appendStringInfoChar(&buf, '}');
	user->audience_json = found ? buf.data : NULL;
	return NULL;
}

char *
json_decode_business_token_info(const JsonNode *data, TtUser *user)
{
	memset(user, 0, sizeof(*user));
	if (data == NULL || data->type != JN_OBJECT)
		return pstrdup("response has no \"data\" object");
	user->business_creator_id = json_text(json_get(data, "creator_id"));
	if (user->business_creator_id == NULL)
		user->business_creator_id = json_text(json_get(data, "open_id"));
	if (user->business_creator_id == NULL || user->business_creator_id[0] == '\0')
		return pstrdup("token info has no creator_id");
	return NULL;
}
