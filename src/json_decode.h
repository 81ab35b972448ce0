/*-------------------------------------------------------------------------
 *
 * json_decode.h
 *	  Decoders of TikTok's JSON responses into plain C structs.
 *
 * Built on the JSON tree of json_tree.h (PostgreSQL's own parser,
 * common/jsonapi.h), with no backend state: the same code links into the
 * server and, with libpgcommon/libpgport, into the libFuzzer targets.
 * Every decoder returns NULL on success or a palloc'd message that names
 * what was wrong (never the response body: it may hold a token).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_JSON_DECODE_H
#define TIKTRACK_JSON_DECODE_H

#include "json_tree.h"

/* ---- envelopes ---- */

typedef struct TtEnvelope
{
	bool		ok;
	char	   *error_code;		/* Display: error.code; Business: code as text */
	int			business_code;	/* -1 when not a Business envelope */
	char	   *message;
	char	   *log_id;			/* log_id or request_id */
	JsonNode   *data;			/* "data" member, may be NULL */
} TtEnvelope;

/* Display API v2: {"data":..., "error":{"code":"ok"|0,...}} */
extern char *json_decode_display_envelope(const JsonNode *root, TtEnvelope *env);

/* Business API v1.3: {"code":0,"message":..,"request_id":..,"data":..} */
extern char *json_decode_business_envelope(const JsonNode *root, TtEnvelope *env);

/* ---- OAuth ---- */

typedef struct TtToken
{
	bool		is_error;		/* flat {"error":..., "error_description"} */
	char	   *error;
	char	   *error_description;
	char	   *log_id;
	char	   *access_token;
	char	   *refresh_token;
	int64		expires_in;		/* seconds, -1 when absent */
	int64		refresh_expires_in;
	char	   *open_id;
	char	   *scope;
} TtToken;

/* Display /v2/oauth/token/ response (flat; error object also flat). */
extern char *json_decode_oauth_token(const char *data, size_t len, TtToken *tok);

/* Business /tt_user/oauth2/token|refresh_token/ "data" (v1.3 or v1.2 names). */
extern char *json_decode_business_token(const JsonNode *data, TtToken *tok);

/* ---- Display objects ---- */

typedef struct TtVideo
{
	int64		id;
	bool		has_create_time;
	int64		create_time;
	bool		has_views,
				has_likes,
				has_comments,
				has_shares,
				has_saves,
				has_reach,
				has_completion_rate,
				has_avg_watch_time,
				has_total_watch_time,
				has_duration;
	int64		views,
				likes,
				comments,
				shares,
				saves,
				reach;
	double		completion_rate,
				avg_watch_time_s,
				total_watch_time_s,
				duration_s;
	char	   *caption;
	bool		caption_repaired;	/* invalid UTF-8 replaced by U+FFFD */
	char	   *media_type;		/* Business: VIDEO / PHOTO */

	/*
	 * What was wrong with this video's fields (a counter that is not a
	 * non-negative 64-bit integer...), or NULL.  The other videos of the
	 * answer are not affected by it.
	 */
	char	   *error;
} TtVideo;

typedef struct TtVideoList
{
	int			nvideos;
	TtVideo    *videos;
	bool		has_cursor;
	int64		cursor;
	bool		has_more;
} TtVideoList;

/*
 * The list decoders fail only for the shape of the answer; a video whose
 * own fields are wrong gets .error and the others are decoded as usual.
 * json_video_list_error() is the first such error, for callers that
 * refuse the whole answer then.
 */
extern char *json_video_list_error(const TtVideoList *list);

/* data of /v2/video/query/ and /v2/video/list/ */
extern char *json_decode_display_videos(const JsonNode *data, TtVideoList *list);

/* data of /business/video/list/ */
extern char *json_decode_business_videos(const JsonNode *data, TtVideoList *list);

typedef struct TtUser
{
	char	   *open_id;
	char	   *username;
	char	   *display_name;
	char	   *avatar_url;
	char	   *bio;
	bool		has_is_verified;
	bool		is_verified;
	bool		has_followers,
				has_following,
				has_likes,
				has_videos;
	int64		followers,
				following,
				likes,
				videos;
	char	   *audience_json;	/* Business only: {"countries":..,"genders":..,"ages":..} */
	char	   *business_creator_id;	/* token_info: creator_id */
} TtUser;

/* data of /v2/user/info/ (data.user) */
extern char *json_decode_display_user(const JsonNode *data, TtUser *user);

/* data of /business/get/ */
extern char *json_decode_business_account(const JsonNode *data, TtUser *user);

/* data of /tt_user/token_info/get/ */
extern char *json_decode_business_token_info(const JsonNode *data, TtUser *user);

#endif							/* TIKTRACK_JSON_DECODE_H */
