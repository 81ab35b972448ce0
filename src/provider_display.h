/*-------------------------------------------------------------------------
 *
 * provider_display.h
 *	  TikTok Display API v2 and its OAuth endpoints (Login Kit): request
 *	  builders and response classification.  No database access.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_PROVIDER_DISPLAY_H
#define TIKTRACK_PROVIDER_DISPLAY_H

#include "fetch.h"
#include "http_client.h"
#include "json_decode.h"

#define DISPLAY_MAX_IDS_PER_QUERY 20

/* Shared by both providers: a FetchCall stamped now. */
extern FetchCall *fetch_call_new(FetchApi api, const char *endpoint);
/* Copy transport facts (status, duration, Retry-After, curl error). */
extern void fetch_call_transport(FetchCall *call, const HttpRequest *r);
/*
 * Marks the call failed on an answer we could not read (transient: TikTok
 * may answer properly next time); returns false for the caller to return.
 */
extern bool fetch_call_malformed(FetchCall *call, char *message);
/*
 * Whether the tokens of a successful token answer could go into a header
 * (token_check.h); else marks the call malformed and returns false.
 */
extern bool token_answer_usable(FetchCall *call, const TtToken *tok);
/* A hint for an error raised from a failed call (TLS...), or NULL. */
extern const char *fetch_call_hint(const FetchCall *call);

extern HttpRequest *display_video_query_request(const char *access_token,
												const int64 *ids, int n);
extern HttpRequest *display_video_list_request(const char *access_token,
											   int64 cursor, int max_count);
extern HttpRequest *display_user_info_request(const char *access_token);

/*
 * Decode a video query/list answer; false on any error (see call).  With
 * per_video_errors a video whose own fields are wrong only gets its
 * .error; without, it makes the whole answer malformed.
 */
extern bool display_decode_videos(const HttpRequest *r, FetchCall *call,
								  TtVideoList *list, bool per_video_errors);
extern bool display_decode_user(const HttpRequest *r, FetchCall *call,
								TtUser *user);

/* OAuth v2 (/v2/oauth/token/, /v2/oauth/revoke/), form bodies */
extern HttpRequest *display_token_code_request(const char *code,
											   const char *redirect_uri,
											   const char *code_verifier);
extern HttpRequest *display_token_refresh_request(const char *refresh_token);
extern HttpRequest *display_revoke_request(const char *access_token);

/*
 * Decode a token answer.  false on error; *invalid_grant tells a refused
 * grant (the creator must authorize again) from other failures.
 */
extern bool display_decode_token(const HttpRequest *r, FetchCall *call,
								 TtToken *tok, bool *invalid_grant);
extern bool display_decode_revoke(const HttpRequest *r, FetchCall *call);

#endif							/* TIKTRACK_PROVIDER_DISPLAY_H */
