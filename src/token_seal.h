/*-------------------------------------------------------------------------
 *
 * token_seal.h
 *	  AES-256-GCM sealing of OAuth tokens at rest.
 *
 * Sealed format (bytea): version byte 0x01 | 12-byte random nonce |
 * ciphertext | 16-byte GCM tag.  The associated data names what the
 * plaintext is (e.g. "access_token"), so a sealed refresh token cannot be
 * swapped in for an access token.
 *
 * The key (32 random bytes) lives in a file outside the database,
 * $PGDATA/tiktrack.key, created with mode 0600 on first use: a dump, a
 * replica of the tables or a stolen backup of them reveals no token.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_TOKEN_SEAL_H
#define TIKTRACK_TOKEN_SEAL_H

#define TOKEN_SEAL_KEY_LEN		32
#define TOKEN_SEAL_NONCE_LEN	12
#define TOKEN_SEAL_TAG_LEN		16
#define TOKEN_SEAL_OVERHEAD		(1 + TOKEN_SEAL_NONCE_LEN + TOKEN_SEAL_TAG_LEN)
#define TOKEN_SEAL_VERSION		0x01

/*
 * Pure functions (OpenSSL only).  out must hold len + TOKEN_SEAL_OVERHEAD
 * bytes (seal) or len - TOKEN_SEAL_OVERHEAD bytes (unseal).  They return
 * the output length, or -1 on failure (unseal: wrong key, tampered data,
 * wrong associated data).
 */
extern int	token_seal_raw(const unsigned char *key, const char *aad,
						   const unsigned char *plain, int len,
						   unsigned char *out);
extern int	token_unseal_raw(const unsigned char *key, const char *aad,
							 const unsigned char *sealed, int len,
							 unsigned char *out);

#ifndef FRONTEND
#include "postgres.h"

/* Backend: seal/unseal with the data directory's key (created on demand). */
extern bytea *token_seal(const char *plaintext, const char *aad);
extern char *token_unseal(const bytea *sealed, const char *aad);

/*
 * As token_unseal(), but NULL when this one token cannot be unsealed
 * (altered, or sealed under another key): a fault of one creator's row,
 * which must not stop a batch of many creators.  A missing or unreadable
 * key file is still an ERROR (it concerns every token).
 */
extern char *token_unseal_or_null(const bytea *sealed, const char *aad);
#endif

#endif							/* TIKTRACK_TOKEN_SEAL_H */
