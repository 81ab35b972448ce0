/*-------------------------------------------------------------------------
 *
 * fetch.h
 *	  The seam between the database and the network: every fetch from
 *	  TikTok goes through three steps.
 *
 *	  1. prepare (transaction + SPI): read what a fetch needs -- the videos,
 *	     their creators, TikTok ids and unsealed tokens -- into the plain
 *	     palloc'd structs below.
 *	  2. execute (NO transaction, NO catalog or SPI access): build the HTTP
 *	     requests, run them concurrently through http_client (libcurl
 *	     multi), decode the answers into the same structs.  Tokens that
 *	     TikTok rotates during this step are handed to a callback at once.
 *	  3. store (transaction + SPI): write snapshots, video metadata and
 *	     states, creator stats, token rotations and one fetch_log row per
 *	     HTTP request, idempotently (a snapshot is keyed by video and
 *	     captured_at, ON CONFLICT DO NOTHING) and set-based (one statement
 *	     per kind of row, whatever the size of the batch).
 *
 *	  tiktrack.refresh() runs the three steps in its own transaction; the
 *	  background worker claims work and commits, runs execute with no
 *	  transaction open, then stores a whole batch in one short transaction
 *	  with the same fetch_store() and adds only its schedule.
 *
 *	  All memory is palloc'd in CurrentMemoryContext at the time of the
 *	  prepare call (the caller picks a context that survives its commits);
 *	  fetch_batch_wipe() zeroes the unsealed tokens before the context goes.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_FETCH_H
#define TIKTRACK_FETCH_H

#include "access/htup.h"
#include "access/tupdesc.h"
#include "storage/itemptr.h"
#include "datatype/timestamp.h"

typedef enum FetchApi
{
	FETCH_API_NONE = 0,			/* creator authorized no API */
	FETCH_API_DISPLAY,			/* Display API v2, Login Kit token */
	FETCH_API_BUSINESS			/* Business API v1.3, account holder token */
} FetchApi;

extern const char *fetch_api_name(FetchApi api);	/* "display", ... */
extern FetchApi fetch_api_from_name(const char *name);	/* NULL/other: NONE */

/*
 * One HTTP request as it happened: what the worker's rate limiter and
 * backoff act on, and what becomes one tiktrack.fetch_log row.
 */
typedef struct FetchCall
{
	TimestampTz requested_at;
	FetchApi	api;
	const char *endpoint;		/* e.g. "/v2/video/query/" (static string) */
	long		http_status;	/* 0 when no HTTP answer (connect, TLS...) */
	char	   *error_code;		/* Display/OAuth error string ("ok" on
								 * success), Business numeric code as text
								 * ("0" on success), or a curl error name;
								 * NULL if unknown */
	int			business_code;	/* Business API code; -1 when not Business */
	char	   *log_id;			/* Display log_id / Business request_id */
	char	   *message;		/* human-readable; never contains a token */
	double		duration_ms;
	int			retry_after_s;	/* Retry-After header; -1 when absent */
	int			video_count;	/* videos asked for in this request */
	int64		video_id;		/* the one video concerned, or 0 */
	int64		creator_id;		/* the creator concerned, or 0 */
	bool		ok;				/* request fully succeeded */
	bool		rate_limited;	/* HTTP 429, rate_limit_exceeded or 40100 */
	bool		transient;		/* worth retrying later: 5xx, timeout,
								 * connection drop, malformed body */
	bool		auth_failed;	/* token invalid/expired (after the retry) */
} FetchCall;

/*
 * Why a creator marked authorized cannot be fetched when tiktrack holds no
 * tokens for it (restored from a dump: tokens are never dumped); %s is the
 * handle.  tiktrack.creators_check_tokens() says the same at restore.
 */
#define FETCH_TOKENS_MISSING_FMT \
	"tiktrack holds no tokens for @%s (tokens are never dumped: after a restore creators authorize again); " \
	"reconnect with tiktrack.authorize_url() and tiktrack.complete_authorization(), or tiktrack.connect_creator()"

/*
 * A creator's credentials, unsealed.  The execute step may refresh them:
 * then rotated is set and the new_* fields hold what must be stored
 * before anything else happens (TikTok invalidates the old refresh
 * token).
 */
typedef struct FetchCredentials
{
	int64		creator_id;
	char	   *handle;
	FetchApi	api;
	char	   *open_id;		/* Display open_id */
	char	   *business_id;	/* Business business_id */
	char	   *access_token;	/* unsealed; never log it */
	char	   *refresh_token;	/* unsealed; may be NULL */
	TimestampTz access_expires_at;
	TimestampTz refresh_expires_at; /* 0 when unknown */

	/*
	 * Set by the caller before execute: refresh the access token in this
	 * batch even though it is not about to expire (the worker refreshes
	 * tokens tiktrack.token_refresh_ahead before they expire).
	 */
	bool		refresh_now;

	/* set by execute */
	bool		rotated;
	bool		rotation_stored;	/* the callback already stored it */
	TimestampTz rotated_at;
	char	   *new_scope;
	bool		reauth_needed;	/* refresh refused (invalid_grant...), or
								 * authorized without tokens */
	char	   *reauth_reason;
	bool		refreshed_this_batch;	/* at most one refresh per batch */
	FetchCall  *refresh_call;	/* the last token refresh request, if any */
	bool		refresh_failed; /* it failed for another reason (transient) */
} FetchCredentials;

/* Metric values of one video as TikTok returned them. */
typedef struct FetchVideoStats
{
	bool		has_views,
				has_likes,
				has_comments,
				has_shares,
				has_saves,
				has_reach,
				has_completion_rate,
				has_avg_watch_time,
				has_total_watch_time;
	int64		views,
				likes,
				comments,
				shares,
				saves,
				reach;
	double		completion_rate,
				avg_watch_time_s,
				total_watch_time_s;

	/* metadata (NULL / has_* false when absent) */
	char	   *caption;
	bool		has_create_time;
	int64		create_time;	/* epoch seconds */
	bool		has_duration;
	double		duration_s;
	char	   *kind;			/* "video" or "photo" when known */
} FetchVideoStats;

typedef enum FetchOutcome
{
	FETCH_PENDING = 0,			/* not attempted (yet) */
	FETCH_OK,					/* stats in .stats */
	FETCH_MISSING,				/* answered, but the video was not in it */
	FETCH_NO_AUTH,				/* creator unknown or not authorized */
	FETCH_REAUTH,				/* creator must authorize again */
	FETCH_ERROR,				/* request failed, see .call and .error */
	FETCH_RESOLVED,				/* short link resolved, see resolved_* */
} FetchOutcome;

/*
 * What the videos row held when the batch was prepared, so that the store
 * step can leave alone the rows an answer changes nothing in (most of
 * them: a steady stream of good answers).  A guess that may be stale is
 * only ever used to skip writing a row that looked unchanged; the
 * statement that writes a row decides from the row itself.
 */
typedef struct FetchStoredVideo
{
	bool		known;
	int			fetch_failures;
	int			missing_count;
	bool		has_error;		/* last_error IS NOT NULL */
	char	   *caption;		/* NULL when NULL */
	bool		has_posted_at;
	TimestampTz posted_at;
	bool		has_duration;
	float4		duration_s;
	char	   *kind;
} FetchStoredVideo;

typedef struct FetchVideo
{
	int64		video_id;		/* our id; negative for an unresolved short
								 * link */
	int64		creator_id;		/* 0 when unknown */
	char	   *short_url;		/* set while resolving */
	char	   *state;			/* videos.state at prepare time */
	FetchStoredVideo stored;	/* the rest of the row at prepare time */
	/*
	 * Where its videos and video_schedule rows were when the caller read
	 * them (invalid: unknown): the store step looks there before it
	 * searches by key, and only takes a row that is still the video's.
	 */
	ItemPointerData row_tid;
	ItemPointerData schedule_tid;
	ItemPointerData latest_tid;	/* its latest_snapshots row, likewise */
	FetchCredentials *cred;		/* NULL: no authorization */

	/* results */
	FetchOutcome outcome;
	FetchVideoStats stats;
	FetchCall  *call;			/* the request that decided the outcome */
	char	   *error;			/* message for last_error */
	char	   *note;			/* FETCH_OK: what was wrong with the answer
								 * (a field dropped or repaired), stored as
								 * last_error without counting a failure */
	int64		resolved_id;	/* FETCH_RESOLVED: TikTok item id */
	char	   *resolved_url;	/* canonical URL */
	char	   *resolved_handle;
	char	   *resolved_kind;

	/*
	 * The next fetch, decided by the caller after execute (the worker's
	 * schedule) and written by fetch_store() in the same row update as the
	 * outcome; writing it also ends the worker's claim.  Left unset
	 * (refresh()), the schedule stays as it was.  For a resolved short
	 * link it applies to the real id.
	 */
	bool		scheduled;
	TimestampTz next_fetch_at;	/* DT_NOBEGIN: tracking is over (completed) */
	bool		becomes_failing;	/* this failure makes it 'failing' */
	int			claim_index;	/* the caller's: where its claim is */

	/*
	 * Set by the worker's store step when it wrote the schedule row for
	 * the worker's own queue (claim_at NULL, next_fetch_at): from the
	 * commit on, the worker holds the video (held_videos.c).
	 */
	bool		held;
	int64		held_creator_id;	/* the row's creator_id (0: NULL) */
	TimestampTz held_next;		/* the row's next_fetch_at */
	ItemPointerData held_tid;	/* the row's new version */
} FetchVideo;

/* Account totals of one creator. */
typedef struct FetchCreator
{
	int64		creator_id;
	FetchCredentials *cred;

	FetchOutcome outcome;
	FetchCall  *call;
	char	   *error;
	bool		has_followers,
				has_following,
				has_likes,
				has_videos;
	int64		followers,
				following,
				likes,
				videos;
	char	   *audience_json;	/* Business audience breakdown, or NULL */
	/* profile, NULL when absent */
	char	   *display_name;
	char	   *avatar_url;
	char	   *bio;
	bool		has_is_verified;
	bool		is_verified;
	char	   *username;
} FetchCreator;

typedef struct FetchBatch
{
	TimestampTz captured_at;	/* one timestamp for every row of the batch */

	int			nvideos;
	FetchVideo *videos;
	int			ncreators;
	FetchCreator *creators;

	/* credentials, one per creator involved (shared by the tasks above) */
	int			ncreds;
	FetchCredentials **creds;

	/* every HTTP request made by execute, in order */
	int			ncalls;
	int			maxcalls;
	FetchCall **calls;
} FetchBatch;

/*
 * Called during execute right after a token refresh returned, with the
 * rotated credentials (cred->rotated set).  The worker stores them in a
 * short transaction of its own (fetch_store_credentials) and sets
 * cred->rotation_stored; refresh() passes NULL and lets fetch_store() do
 * it in its transaction.  Must not longjmp out with tokens lost.
 */
typedef void (*FetchRotationCallback) (FetchCredentials *cred, void *arg);

/* --- step 1: prepare (needs a transaction; uses SPI itself) --- */
extern FetchBatch *fetch_prepare_videos(const int64 *video_ids, int n);

/*
 * A video as its caller read it (the worker's claim reads the same row),
 * so that only the credentials are read: its videos columns id, creator_id,
 * short_url, state, then FETCH_STORED_COLUMNS (fetch_stored_from_row()).
 */
typedef struct FetchKnownVideo
{
	int64		video_id;
	int64		creator_id;		/* 0 when unknown */
	char	   *short_url;
	char	   *state;
	FetchStoredVideo stored;
	ItemPointerData row_tid;	/* where its videos row was (a hint) */
	ItemPointerData schedule_tid;	/* where its video_schedule row was */
	ItemPointerData latest_tid;	/* where its latest_snapshots row was (a
								 * hint; invalid: unknown) */
} FetchKnownVideo;

#define FETCH_STORED_COLUMNS \
	"v.fetch_failures, v.missing_count, v.last_error IS NOT NULL," \
	" v.caption, v.posted_at, v.duration_s, v.kind"
extern void fetch_stored_from_row(FetchStoredVideo *o, HeapTuple tup, TupleDesc desc, int first);
extern FetchBatch *fetch_prepare_known_videos(const FetchKnownVideo *videos, int n);
extern FetchBatch *fetch_prepare_creators(const int64 *creator_ids, int n);
/* ids as an int8[] parameter (the worker's statements use it too) */
extern Datum fetch_int8_array(const int64 *ids, int n);

/* The id of the creator with this handle (any case, with or without @). */
extern int64 fetch_creator_id_by_handle(const char *handle);

/* --- step 2: execute (no transaction needed, no SPI) --- */
extern void fetch_execute(FetchBatch *batch,
						  FetchRotationCallback on_rotation, void *arg);

/*
 * Building blocks for other execute steps (creator_videos.c), with the
 * same rules as fetch_execute(): a FetchCall joins batch->calls (and so
 * fetch_log), credentials are refreshed at most once per batch and handed
 * to on_rotation, a refresh refused with invalid_grant sets reauth_needed.
 */
struct TtVideo;
extern void fetch_batch_add_call(FetchBatch *batch, FetchCall *call);
extern bool fetch_credentials_expiring(const FetchCredentials *cred);	/* or refresh_now */
extern bool fetch_credentials_usable(const FetchCredentials *cred);
extern void fetch_refresh_credentials(FetchBatch *batch, FetchCredentials **creds,
									  int n, FetchRotationCallback on_rotation,
									  void *arg);
extern void fetch_video_stats_from(FetchVideoStats *stats, const struct TtVideo *video);

/* --- step 3: store (needs a transaction; uses SPI itself) --- */

/*
 * Writes a batch set-based: one statement for all its snapshots, one for
 * its fetch_log rows, and every video's outcome and schedule (failure and
 * missing counts, last_error, state, next fetch) in one row update each:
 * one statement for the videos whose metadata is unchanged, one for those
 * whose caption, posted_at, duration_s or kind TikTok changed.  A throttle
 * (fetch_throttled) changes nothing on the video or creator but its
 * schedule.
 */
extern void fetch_store(FetchBatch *batch);

/*
 * fetch_store() in parts, for a caller that isolates a failure: the
 * videos batch->videos[lo..hi) (snapshots, resolutions, outcomes), and
 * everything else (tokens, creators, fetch_log).  Together they write
 * what fetch_store() writes.
 */
extern void fetch_store_videos(FetchBatch *batch, int lo, int hi);
extern void fetch_store_all_but_videos(FetchBatch *batch);

/* Whether an epoch create_time is stored as posted_at (1970..9999). */
extern bool fetch_create_time_valid(int64 create_time);
extern void fetch_store_credentials(FetchCredentials *cred);
extern void fetch_store_calls(FetchCall **calls, int ncalls);

/* Zero the unsealed tokens of a batch (call before freeing it). */
extern void fetch_batch_wipe(FetchBatch *batch);

/*
 * Whether a call went to an OAuth endpoint (token exchange, refresh,
 * revocation, token info) rather than to the data API itself: logged as
 * oauth / business_oauth, drawn from no request budget.
 */
extern bool fetch_call_is_oauth(const FetchCall *call);

/*
 * One line naming the API, endpoint, HTTP status, TikTok error code,
 * log_id and message of a call (never a token), for errors and last_error.
 */
extern char *fetch_call_describe(const FetchCall *call);

/*
 * Whether a task failed because TikTok throttled us (HTTP 429,
 * rate_limit_exceeded, Business 40100): the API's budget was spent, the
 * video or creator is not at fault.  Its failure count and last_error
 * stay as they were; the throttle shows in fetch_log and, for the
 * worker, in the rate limiters and worker_status.
 */
extern bool fetch_throttled(FetchOutcome outcome, const FetchCall *call);

/* Whether any credentials of the batch were rotated during execute. */
extern bool fetch_batch_rotated(const FetchBatch *batch);

/* Number of consecutive "not returned" answers before 'unavailable'. */
#define FETCH_MISSING_LIMIT 3

#endif							/* TIKTRACK_FETCH_H */
