/*-------------------------------------------------------------------------
 *
 * endpoints.h
 *	  Where tiktrack may send requests: the configured base URLs of the
 *	  Display and Business APIs and TikTok's own web hosts (short links).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_ENDPOINTS_H
#define TIKTRACK_ENDPOINTS_H

extern char *tiktrack_api_base_url;
extern char *tiktrack_business_api_base_url;
extern char *tiktrack_ca_file;
extern bool tiktrack_allow_insecure_http;
extern char *tiktrack_connect_to;
extern char *tiktrack_client_key;
extern char *tiktrack_client_secret;
extern char *tiktrack_business_app_id;
extern char *tiktrack_business_app_secret;
extern int	tiktrack_http_timeout_ms;
extern int	tiktrack_http_connect_timeout_ms;
extern int	tiktrack_http_max_response_kb;
extern int	tiktrack_http_max_parallel;

extern void endpoints_define_gucs(void);

/* Display / OAuth URL: api_base_url + path (palloc'd). */
extern char *endpoints_display_url(const char *path);

/* Business URL: business_api_base_url + "/open_api/v1.3" + path. */
extern char *endpoints_business_url(const char *path);

/*
 * Whether a URL may be requested: same scheme, host and port as one of the
 * two base URLs, or https on a TikTok web host (www., vm., vt., m.tiktok.com).
 * http only when tiktrack.allow_insecure_http is on.  On refusal *why says
 * why (static or palloc'd).
 */
extern bool endpoints_url_allowed(const char *url, const char **why);

/* Whether a redirect target is a TikTok web host (https). */
extern bool endpoints_is_tiktok_web_url(const char *url);

#endif							/* TIKTRACK_ENDPOINTS_H */
