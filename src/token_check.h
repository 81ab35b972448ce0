/*-------------------------------------------------------------------------
 *
 * token_check.h
 *	  What an OAuth token may look like before tiktrack stores it or puts
 *	  it into a request.
 *
 * Tokens end up in HTTP headers (Authorization: Bearer, Access-Token): a
 * CR or LF in one would inject header lines into every request.  So a
 * token, whether a user passed it to tiktrack.connect_creator() or TikTok
 * sent it in a token answer, is 1 to TOKEN_MAX_LEN printable ASCII
 * characters without spaces (RFC 6750's b64token is narrower still;
 * TikTok's tokens are well under 100 characters).  Messages about a bad
 * token give its length and the position of the offending character,
 * never the token.
 *
 *-------------------------------------------------------------------------
 */
#ifndef TIKTRACK_TOKEN_CHECK_H
#define TIKTRACK_TOKEN_CHECK_H

#include <stddef.h>

#define TOKEN_MAX_LEN 1024

/*
 * Pure: NULL when token (len bytes) is acceptable, else a description of
 * the problem ("is empty", ...), with *bad_pos set to the 1-based
 * position of the offending character (0 when none is at fault).
 */
extern const char *token_problem(const char *token, size_t len, size_t *bad_pos);

#ifndef FRONTEND
/* The problem as one phrase for messages (palloc'd), or NULL. */
extern char *token_problem_text(const char *token);

/* ERROR 22023 naming the argument (e.g. "access_token") unless acceptable. */
extern void token_check_argument(const char *argname, const char *token);
#endif

#endif							/* TIKTRACK_TOKEN_CHECK_H */
