/*-------------------------------------------------------------------------
 *
 * oauth.h
 *	  Creator authorization: Login Kit authorization URL with PKCE and a
 *	  single-use state, code exchange, registering tokens obtained
 *	  elsewhere, revocation (SQL functions in oauth.c).
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_OAUTH_H
#define TIKTRACK_OAUTH_H

/* How long an authorize_url() state stays valid. */
#define OAUTH_STATE_TTL_S 600

/* PKCE: a 64-character verifier and its S256 challenge (hex SHA-256). */
extern char *oauth_pkce_verifier(void);
extern char *oauth_pkce_challenge(const char *verifier);

#endif							/* TIKTRACK_OAUTH_H */
