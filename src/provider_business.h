/*-------------------------------------------------------------------------
 *
 * provider_business.h
 *	  TikTok API for Business v1.3 (Accounts API) and its token endpoints:
 *	  request builders and response classification.  No database access.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_PROVIDER_BUSINESS_H
#define TIKTRACK_PROVIDER_BUSINESS_H

#include "fetch.h"
#include "http_client.h"
#include "json_decode.h"

#define BUSINESS_MAX_IDS_PER_QUERY 20

#define BUSINESS_CODE_THROTTLED 40100
#define BUSINESS_CODE_TOKEN_INVALID 40105
#define BUSINESS_CODE_REFRESH_INVALID 40107

extern HttpRequest *business_video_list_request(const char *access_token,
												const char *business_id,
												const int64 *ids, int n);
/* One page of the account's videos, newest first (no filters; cursor 0 = none). */
extern HttpRequest *business_video_page_request(const char *access_token,
												const char *business_id,
												int64 cursor, int max_count);
extern HttpRequest *business_get_request(const char *access_token,
										 const char *business_id);
extern HttpRequest *business_token_info_request(const char *access_token);

/* As display_decode_videos(). */
extern bool business_decode_videos(const HttpRequest *r, FetchCall *call,
								   TtVideoList *list, bool per_video_errors);
extern bool business_decode_account(const HttpRequest *r, FetchCall *call,
									TtUser *user);
extern bool business_decode_token_info(const HttpRequest *r, FetchCall *call,
									   TtUser *user);

extern HttpRequest *business_token_refresh_request(const char *refresh_token);
extern HttpRequest *business_revoke_request(const char *access_token);
extern bool business_decode_token(const HttpRequest *r, FetchCall *call,
								  TtToken *tok, bool *invalid_grant);
extern bool business_decode_revoke(const HttpRequest *r, FetchCall *call);

#endif							/* TIKTRACK_PROVIDER_BUSINESS_H */
