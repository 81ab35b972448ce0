/*-------------------------------------------------------------------------
 *
 * oauth.c
 *	  SQL functions that authorize creators: authorize_url,
 *	  complete_authorization, connect_creator, disconnect_creator.
 *
 * PKCE: TikTok's desktop Login Kit page defines code_challenge as the hex
 * SHA-256 of the verifier (not RFC 7636's base64url, which much third-party
 * code uses); we follow TikTok's text (tiktok-api.md 2.1, unconfirmed).
 *
 * No token is ever put in a message: errors name the endpoint, TikTok's
 * error code and log_id.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <openssl/rand.h>
#include <openssl/sha.h>

#include "catalog/pg_type.h"
#include "executor/spi.h"
#include "fmgr.h"
#include "mb/pg_wchar.h"
#include "utils/builtins.h"
#include "utils/timestamp.h"

#include "endpoints.h"
#include "fetch.h"
#include "http_client.h"
#include "oauth.h"
#include "provider_business.h"
#include "provider_display.h"
#include "search_path.h"
#include "snapshot_store.h"
#include "token_check.h"
#include "token_seal.h"

PG_FUNCTION_INFO_V1(tiktrack_authorize_url);
PG_FUNCTION_INFO_V1(tiktrack_complete_authorization);
PG_FUNCTION_INFO_V1(tiktrack_connect_creator);
PG_FUNCTION_INFO_V1(tiktrack_disconnect_creator);

#define AUTHORIZE_URL "https://www.tiktok.com/v2/auth/authorize/"

static void
random_bytes(unsigned char *buf, int n)
{
	if (RAND_bytes(buf, n) != 1)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not generate random bytes")));
}

char *
oauth_pkce_verifier(void)
{
	static const char alphabet[] =
	"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-._~";
	unsigned char raw[64];
	char	   *out = palloc(65);
	int			i;

	random_bytes(raw, sizeof(raw));
	for (i = 0; i < 64; i++)
		out[i] = alphabet[raw[i] % 66];
	out[64] = '\0';
	return out;
}

char *
oauth_pkce_challenge(const char *verifier)
{
	unsigned char digest[SHA256_DIGEST_LENGTH];
	char	   *out = palloc(SHA256_DIGEST_LENGTH * 2 + 1);
	int			i;

	SHA256((const unsigned char *) verifier, strlen(verifier), digest);
	for (i = 0; i < SHA256_DIGEST_LENGTH; i++)
		sprintf(out + 2 * i, "%02x", digest[i]);
	return out;
}

static void
log_calls(FetchCall **calls, int n)
{
	fetch_store_calls(calls, n);
}

/* ERROR for a failed call; wipes nothing (caller did). */
static void
call_failed(const char *what, FetchCall *call)
{
	ereport(ERROR,
			(errcode(call->rate_limited ? ERRCODE_CONFIGURATION_LIMIT_EXCEEDED :
					 call->http_status == 0 ? ERRCODE_CONNECTION_FAILURE :
					 ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
			 errmsg("%s failed: %s", what, fetch_call_describe(call))));
}

static void
check_redirect_uri(const char *uri)
{
	if ((strncmp(uri, "https://", 8) != 0 && strncmp(uri, "http://", 7) != 0) ||
		strpbrk(uri, "# \t\r\n") != NULL || strlen(uri) > 512)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid redirect_uri \"%s\"", uri),
				 errhint("TikTok accepts the https URIs registered for the app (at most 512 characters, no fragment), or http://localhost:PORT for desktop apps.")));
}

static Datum
authorize_url(PG_FUNCTION_ARGS)
{
	char	   *redirect_uri = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *scopes = text_to_cstring(PG_GETARG_TEXT_PP(1));
	unsigned char raw[24];
	char		state[49];
	char	   *verifier;
	int			i;
	Oid			types[4] = {TEXTOID, BYTEAOID, TEXTOID, TEXTOID};
	Datum		v[4];
	StringInfoData url;

	check_redirect_uri(redirect_uri);
	if (scopes[0] == '\0' || strspn(scopes, "abcdefghijklmnopqrstuvwxyz._,") != strlen(scopes))
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid scopes \"%s\"", scopes),
				 errhint("Give TikTok scope names separated by commas, e.g. user.info.basic,video.list.")));

	if (tiktrack_client_key[0] == '\0')
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("tiktrack.client_key is not set"),
				 errhint("Set it to the Login Kit app's client key in postgresql.conf and reload.")));
	random_bytes(raw, sizeof(raw));
	for (i = 0; i < (int) sizeof(raw); i++)
		sprintf(state + 2 * i, "%02x", raw[i]);
	verifier = oauth_pkce_verifier();

	v[0] = CStringGetTextDatum(state);
	v[1] = PointerGetDatum(token_seal(verifier, "code_verifier"));
	v[2] = CStringGetTextDatum(redirect_uri);
	v[3] = CStringGetTextDatum(scopes);
	SPI_connect();
	SPI_execute("DELETE FROM tiktrack.oauth_states WHERE expires_at < pg_catalog.now() - interval '1 day'",
				false, 0);
	if (SPI_execute_with_args("INSERT INTO tiktrack.oauth_states"
							  " (state, code_verifier, redirect_uri, scopes, expires_at)"
							  " VALUES ($1, $2, $3, $4, pg_catalog.now() + interval '" CppAsString2(OAUTH_STATE_TTL_S) " seconds')",
							  4, types, v, NULL, false, 0) != SPI_OK_INSERT)
		elog(ERROR, "could not store the authorization state");
	SPI_finish();

	initStringInfo(&url);
	appendStringInfo(&url, "%s?client_key=%s&scope=%s&response_type=code&redirect_uri=%s&state=%s"
					 "&code_challenge=%s&code_challenge_method=S256",
					 AUTHORIZE_URL, http_urlencode(tiktrack_client_key), http_urlencode(scopes),
					 http_urlencode(redirect_uri), state, oauth_pkce_challenge(verifier));
	explicit_bzero(verifier, strlen(verifier));
	PG_RETURN_TEXT_P(cstring_to_text(url.data));
}

/*
 * The creator row for an account TikTok told us about: found by its TikTok
 * id, else by handle (created if needed); profile and id columns updated.
 */
static int64
upsert_creator(FetchApi api, const char *tiktok_id, const TtUser *u)
{
	Oid			types[7] = {TEXTOID, TEXTOID, TEXTOID, TEXTOID, TEXTOID, BOOLOID, TEXTOID};
	Datum		v[7];
	char		nulls[8] = "       ";
	const char *idcol = api == FETCH_API_BUSINESS ? "business_id" : "open_id";
	char	   *handle = u->username ? pg_any_to_server(u->username, strlen(u->username), PG_UTF8) : NULL;
	int64		id;
	bool		isnull;
	int			rc;

	v[0] = CStringGetTextDatum(tiktok_id);
	if (handle)
		v[1] = CStringGetTextDatum(handle);
	else
		nulls[1] = 'n';
#define OPT(i, s) do { if (s) v[i] = CStringGetTextDatum(pg_any_to_server((s), strlen(s), PG_UTF8)); else nulls[i] = 'n'; } while (0)
	OPT(2, u->display_name);
	OPT(3, u->avatar_url);
	OPT(4, u->bio);
	v[5] = BoolGetDatum(u->is_verified);
	if (!u->has_is_verified)
		nulls[5] = 'n';
	v[6] = (Datum) 0;
	nulls[6] = 'n';

	rc = SPI_execute_with_args(psprintf("SELECT id FROM tiktrack.creators WHERE %s = $1", idcol),
							   1, types, v, nulls, false, 0);
	if (rc == SPI_OK_SELECT && SPI_processed == 1)
		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	else
	{
		if (handle == NULL)
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("TikTok did not tell the account's username"),
					 errhint("Authorize with the user.info.profile scope (Display API) or user.info.username (Business API).")));
		rc = SPI_execute_with_args("SELECT tiktrack.ensure_creator($2)", 2, types, v, nulls, false, 0);
		if (rc != SPI_OK_SELECT || SPI_processed != 1)
			elog(ERROR, "could not create the creator");
		id = DatumGetInt64(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull));
	}
	v[6] = Int64GetDatum(id);
	nulls[6] = ' ';
	types[6] = INT8OID;
	rc = SPI_execute_with_args(psprintf("UPDATE tiktrack.creators SET %s = $1,"
										" handle = CASE WHEN $2 IS NOT NULL AND NOT EXISTS"
										"   (SELECT 1 FROM tiktrack.creators o WHERE o.handle = pg_catalog.lower($2) AND o.id <> $7)"
										"   THEN pg_catalog.lower($2) ELSE handle END,"
										" display_name = coalesce($3, display_name),"
										" avatar_url = coalesce($4, avatar_url), bio = coalesce($5, bio),"
										" is_verified = coalesce($6, is_verified), updated_at = pg_catalog.now()"
										" WHERE id = $7", idcol),
							   7, types, v, nulls, false, 0);
	if (rc != SPI_OK_UPDATE)
		elog(ERROR, "could not update the creator");
	return id;
}

/* Asks TikTok whose tokens these are; fills *u and returns the TikTok id. */
static char *
identify(FetchApi api, const char *access_token, TtUser *u, FetchCall ***calls, int *ncalls)
{
	FetchCall **cs = palloc0(sizeof(FetchCall *) * 2);
	HttpRequest *r;
	char	   *tiktok_id;

	*calls = cs;
	if (api == FETCH_API_DISPLAY)
	{
		r = display_user_info_request(access_token);
		cs[0] = fetch_call_new(FETCH_API_DISPLAY, "/v2/user/info/");
		*ncalls = 1;
		http_execute_one(r);
		if (!display_decode_user(r, cs[0], u))
		{
			http_request_wipe(r);
			log_calls(cs, 1);
			call_failed("reading the creator's profile", cs[0]);
		}
		if (u->open_id == NULL || u->open_id[0] == '\0')
			ereport(ERROR,
					(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
					 errmsg("TikTok's /v2/user/info/ answer has no open_id")));
		return u->open_id;
	}

	r = business_token_info_request(access_token);
	cs[0] = fetch_call_new(FETCH_API_BUSINESS, "/tt_user/token_info/get/");
	*ncalls = 1;
	http_execute_one(r);
	if (!business_decode_token_info(r, cs[0], u))
	{
		http_request_wipe(r);
		log_calls(cs, 1);
		call_failed("reading the Business token's owner", cs[0]);
	}
	tiktok_id = u->business_creator_id;
	r = business_get_request(access_token, tiktok_id);
	cs[1] = fetch_call_new(FETCH_API_BUSINESS, "/business/get/");
	*ncalls = 2;
	http_execute_one(r);
	if (!business_decode_account(r, cs[1], u))
	{
		http_request_wipe(r);
		log_calls(cs, 2);
		call_failed("reading the Business account", cs[1]);
	}
	return tiktok_id;
}

static Datum
complete_authorization(PG_FUNCTION_ARGS)
{
	char	   *code = text_to_cstring(PG_GETARG_TEXT_PP(0));
	char	   *state = text_to_cstring(PG_GETARG_TEXT_PP(1));
	Oid			types[1] = {TEXTOID};
	Datum		v[1];
	bool		isnull;
	char	   *verifier;
	char	   *redirect_uri;
	bool		expired;
	HttpRequest *r;
	FetchCall  *call;
	TtToken		tok;
	bool		invalid_grant;
	TtUser		u;
	FetchCall **calls;
	int			ncalls;
	char	   *open_id;
	int64		id;
	TimestampTz now;
	MemoryContext callerctx = CurrentMemoryContext;

	v[0] = CStringGetTextDatum(state);
	SPI_connect();
	/* single use: a successful exchange consumes the state */
	if (SPI_execute_with_args("DELETE FROM tiktrack.oauth_states WHERE state = $1"
							  " RETURNING code_verifier, redirect_uri, expires_at < pg_catalog.now()",
							  1, types, v, NULL, false, 0) != SPI_OK_DELETE_RETURNING)
		elog(ERROR, "could not read the authorization state");
	if (SPI_processed != 1)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("unknown or already used authorization state \"%s\"", state),
				 errhint("Start again with tiktrack.authorize_url(); each state can be used once.")));
	expired = DatumGetBool(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 3, &isnull));
	if (expired)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("authorization state \"%s\" has expired", state),
				 errdetail("A state is valid for %d seconds.", OAUTH_STATE_TTL_S),
				 errhint("Start again with tiktrack.authorize_url().")));
	/* copy out of SPI memory: it goes with SPI_finish() */
	{
		MemoryContext spictx = MemoryContextSwitchTo(callerctx);

		verifier = token_unseal(DatumGetByteaPP(SPI_getbinval(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 1, &isnull)),
								"code_verifier");
		redirect_uri = pstrdup(SPI_getvalue(SPI_tuptable->vals[0], SPI_tuptable->tupdesc, 2));
		MemoryContextSwitchTo(spictx);
	}
	SPI_finish();

	/* network, with no SPI connection open */
	r = display_token_code_request(code, redirect_uri, verifier);
	call = fetch_call_new(FETCH_API_DISPLAY, "/v2/oauth/token/");
	http_execute_one(r);
	explicit_bzero(verifier, strlen(verifier));
	if (!display_decode_token(r, call, &tok, &invalid_grant))
	{
		http_request_wipe(r);
		call_failed("exchanging the authorization code", call);
	}
	now = GetCurrentTimestamp();
	open_id = identify(FETCH_API_DISPLAY, tok.access_token, &u, &calls, &ncalls);
	http_request_wipe(r);
	if (tok.open_id && strcmp(tok.open_id, open_id) != 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_AUTHORIZATION_SPECIFICATION),
				 errmsg("the token's open_id does not match the user info's")));

	SPI_connect();
	id = upsert_creator(FETCH_API_DISPLAY, open_id, &u);
	store_tokens_spi(id, FETCH_API_DISPLAY, tok.access_token, tok.refresh_token,
					 now + (tok.expires_in >= 0 ? tok.expires_in : 86400) * USECS_PER_SEC,
					 tok.refresh_expires_in >= 0 ? now + tok.refresh_expires_in * USECS_PER_SEC : 0,
					 tok.scope);
	SPI_finish();
	explicit_bzero(tok.access_token, strlen(tok.access_token));
	if (tok.refresh_token)
		explicit_bzero(tok.refresh_token, strlen(tok.refresh_token));
	call->creator_id = id;
	calls[0]->creator_id = id;
	fetch_store_calls(&call, 1);
	fetch_store_calls(calls, ncalls);
	PG_RETURN_INT64(id);
}

static Datum
connect_creator(PG_FUNCTION_ARGS)
{
	char	   *access_token;
	char	   *refresh_token = NULL;
	int32		expires_in = PG_ARGISNULL(2) ? 86400 : PG_GETARG_INT32(2);
	int32		refresh_expires_in = PG_ARGISNULL(3) ? -1 : PG_GETARG_INT32(3);
	char	   *apiname;
	FetchApi	api;
	TtUser		u;
	FetchCall **calls;
	int			ncalls;
	char	   *tiktok_id;
	int64		id;
	TimestampTz now = GetCurrentTimestamp();
	int			i;

	/* a NULL api is a mistake, not a request for the default */
	if (PG_ARGISNULL(4))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("api must not be NULL"),
				 errhint("Use 'display' (Login Kit tokens) or 'business' (TikTok account holder tokens).")));
	apiname = text_to_cstring(PG_GETARG_TEXT_PP(4));
	if (strcmp(apiname, "display") == 0)
		api = FETCH_API_DISPLAY;
	else if (strcmp(apiname, "business") == 0)
		api = FETCH_API_BUSINESS;
	else
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid api \"%s\"", apiname),
				 errhint("Use 'display' (Login Kit tokens) or 'business' (TikTok account holder tokens).")));
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("access_token must not be NULL")));
	if (expires_in <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("expires_in must be positive, got %d", expires_in)));
	if (!PG_ARGISNULL(3) && refresh_expires_in <= 0)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("refresh_expires_in must be positive, got %d", refresh_expires_in),
				 errhint("Pass the refresh token's lifetime in seconds as TikTok gave it, or NULL when it gave none.")));
	access_token = text_to_cstring(PG_GETARG_TEXT_PP(0));
	/* they go into HTTP headers: no CR LF, nothing but a token */
	token_check_argument("access_token", access_token);
	if (!PG_ARGISNULL(1) && VARSIZE_ANY_EXHDR(PG_GETARG_TEXT_PP(1)) > 0)
	{
		refresh_token = text_to_cstring(PG_GETARG_TEXT_PP(1));
		token_check_argument("refresh_token", refresh_token);
	}

	tiktok_id = identify(api, access_token, &u, &calls, &ncalls);
	SPI_connect();
	id = upsert_creator(api, tiktok_id, &u);
	store_tokens_spi(id, api, access_token, refresh_token,
					 now + (int64) expires_in * USECS_PER_SEC,
					 refresh_expires_in > 0 ? now + (int64) refresh_expires_in * USECS_PER_SEC : 0,
					 NULL);
	SPI_finish();
	explicit_bzero(access_token, strlen(access_token));
	if (refresh_token)
		explicit_bzero(refresh_token, strlen(refresh_token));
	for (i = 0; i < ncalls; i++)
		calls[i]->creator_id = id;
	fetch_store_calls(calls, ncalls);
	PG_RETURN_INT64(id);
}

static Datum
disconnect_creator(PG_FUNCTION_ARGS)
{
	char	   *handle;
	bool		purge;
	int64		creator_id;
	FetchBatch *b;
	FetchCredentials *cred;
	Oid			types[1] = {INT8OID};
	Datum		v[1];

	/* not STRICT: a NULL must not silently do nothing */
	if (PG_ARGISNULL(0))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("handle must not be NULL")));
	if (PG_ARGISNULL(1))
		ereport(ERROR,
				(errcode(ERRCODE_NULL_VALUE_NOT_ALLOWED),
				 errmsg("purge must not be NULL"),
				 errhint("Pass true to also delete what TikTok supplied through the authorization, false (the default) to keep it.")));
	handle = text_to_cstring(PG_GETARG_TEXT_PP(0));
	purge = PG_GETARG_BOOL(1);
	creator_id = fetch_creator_id_by_handle(handle);

	b = fetch_prepare_creators(&creator_id, 1);
	cred = b->ncreators == 1 ? b->creators[0].cred : NULL;
	if (cred && cred->access_token)
	{
		HttpRequest *r;
		FetchCall  *call;
		bool		ok;

		if (cred->api == FETCH_API_BUSINESS)
		{
			r = business_revoke_request(cred->access_token);
			call = fetch_call_new(FETCH_API_BUSINESS, "/tt_user/oauth2/revoke/");
		}
		else
		{
			r = display_revoke_request(cred->access_token);
			call = fetch_call_new(FETCH_API_DISPLAY, "/v2/oauth/revoke/");
		}
		call->creator_id = creator_id;
		http_execute_one(r);
		fetch_batch_wipe(b);
		if (cred->api == FETCH_API_BUSINESS)
			ok = business_decode_revoke(r, call);
		else
			ok = display_decode_revoke(r, call);
		http_request_wipe(r);
		fetch_store_calls(&call, 1);
		/* the local tokens go anyway: we must not keep using them */
		if (!ok)
			ereport(WARNING,
					(errmsg("TikTok did not confirm the revocation for @%s: %s",
							handle, fetch_call_describe(call)),
					 errdetail("The tokens are deleted here all the same.")));
	}

	v[0] = Int64GetDatum(creator_id);
	SPI_connect();
	SPI_execute_with_args("DELETE FROM tiktrack.creator_tokens WHERE creator_id = $1",
						  1, types, v, NULL, false, 0);
	SPI_execute_with_args("UPDATE tiktrack.creators SET auth_status = 'revoked', authorized_via = NULL,"
						  " last_error = 'authorization revoked by tiktrack.disconnect_creator()',"
						  " updated_at = pg_catalog.now() WHERE id = $1",
						  1, types, v, NULL, false, 0);
	/* no more polling: authorizing again makes them due at once */
	if (store_schema_has_schedule())
		SPI_execute_with_args("WITH parked AS ("
							  " UPDATE tiktrack.videos SET state = 'awaiting_authorization',"
							  " last_error = 'the creator''s authorization was revoked', last_error_at = pg_catalog.now()"
							  " WHERE creator_id = $1 AND state IN ('tracking', 'failing') RETURNING id, track_until)"
							  " UPDATE tiktrack.video_schedule s SET next_fetch_at = p.track_until"
							  " FROM parked p WHERE s.video_id = p.id AND s.next_fetch_at IS NOT NULL",
							  1, types, v, NULL, false, 0);
	else						/* 0.1.0's schema, not updated yet */
		SPI_execute_with_args("UPDATE tiktrack.videos SET state = 'awaiting_authorization',"
							  " last_error = 'the creator''s authorization was revoked', last_error_at = pg_catalog.now(),"
							  " next_fetch_at = CASE WHEN next_fetch_at IS NOT NULL THEN track_until END"
							  " WHERE creator_id = $1 AND state IN ('tracking', 'failing')",
							  1, types, v, NULL, false, 0);
	if (purge)
	{
		/* what TikTok gave us through this authorization */
		SPI_execute_with_args("DELETE FROM tiktrack.snapshots s USING tiktrack.videos v"
							  " WHERE s.video_id = v.id AND v.creator_id = $1"
							  " AND s.source IN ('display', 'business')",
							  1, types, v, NULL, false, 0);
		SPI_execute_with_args("DELETE FROM tiktrack.latest_snapshots l USING tiktrack.videos v"
							  " WHERE l.video_id = v.id AND v.creator_id = $1",
							  1, types, v, NULL, false, 0);
		/* latest_snapshots of what is left (manual, import) */
		SPI_execute_with_args("INSERT INTO tiktrack.latest_snapshots"
							  " (video_id, captured_at, views, likes, comments, shares, saves, reach,"
							  "  completion_rate, avg_watch_time_s, total_watch_time_s, source, snapshot_count)"
							  " SELECT DISTINCT ON (s.video_id) s.video_id, s.captured_at, s.views, s.likes,"
							  "  s.comments, s.shares, s.saves, s.reach, s.completion_rate, s.avg_watch_time_s,"
							  "  s.total_watch_time_s, s.source, pg_catalog.count(*) OVER (PARTITION BY s.video_id)"
							  " FROM tiktrack.snapshots s JOIN tiktrack.videos v ON v.id = s.video_id"
							  " WHERE v.creator_id = $1 ORDER BY s.video_id, s.captured_at DESC",
							  1, types, v, NULL, false, 0);
		SPI_execute_with_args("DELETE FROM tiktrack.creator_stats WHERE creator_id = $1"
							  " AND source IN ('display', 'business')",
							  1, types, v, NULL, false, 0);
		SPI_execute_with_args("UPDATE tiktrack.videos SET caption = NULL, posted_at = NULL,"
							  " duration_s = NULL WHERE creator_id = $1",
							  1, types, v, NULL, false, 0);
		if (store_schema_has_schedule())
			SPI_execute_with_args("UPDATE tiktrack.video_schedule s SET last_fetched_at = NULL"
								  " FROM tiktrack.videos v WHERE s.video_id = v.id AND v.creator_id = $1",
								  1, types, v, NULL, false, 0);
		else
			SPI_execute_with_args("UPDATE tiktrack.videos SET last_fetched_at = NULL WHERE creator_id = $1",
								  1, types, v, NULL, false, 0);
		SPI_execute_with_args("UPDATE tiktrack.creators SET open_id = NULL, business_id = NULL,"
							  " display_name = NULL, avatar_url = NULL, bio = NULL, is_verified = NULL,"
							  " authorized_at = NULL, updated_at = pg_catalog.now() WHERE id = $1",
							  1, types, v, NULL, false, 0);
	}
	SPI_finish();
	PG_RETURN_VOID();
}

/* ---- SQL entry points: the work above under a pinned search_path ---- */

Datum
tiktrack_authorize_url(PG_FUNCTION_ARGS)
{
	return search_path_call(authorize_url, fcinfo);
}

Datum
tiktrack_complete_authorization(PG_FUNCTION_ARGS)
{
	return search_path_call(complete_authorization, fcinfo);
}

Datum
tiktrack_connect_creator(PG_FUNCTION_ARGS)
{
	return search_path_call(connect_creator, fcinfo);
}

Datum
tiktrack_disconnect_creator(PG_FUNCTION_ARGS)
{
	return search_path_call(disconnect_creator, fcinfo);
}
