/*-------------------------------------------------------------------------
 *
 * token_check.c
 *	  Validation of OAuth tokens (see token_check.h).
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include "token_check.h"

const char *
token_problem(const char *token, size_t len, size_t *bad_pos)
{
	size_t		i;

	*bad_pos = 0;
	if (token == NULL || len == 0)
		return "is empty";
	if (len > TOKEN_MAX_LEN)
		return "is too long";
	for (i = 0; i < len; i++)
	{
		unsigned char c = (unsigned char) token[i];

		/* printable ASCII, space excluded: '!' (0x21) to '~' (0x7e) */
		if (c < 0x21 || c > 0x7e)
		{
			*bad_pos = i + 1;
			return c == ' ' ? "holds a space" :
				(c == '\r' || c == '\n') ? "holds a line break" :
				c > 0x7e ? "holds a character that is not ASCII" :
				"holds a control character";
		}
	}
	return NULL;
}

char *
token_problem_text(const char *token)
{
	size_t		len = token ? strlen(token) : 0;
	size_t		pos;
	const char *problem = token_problem(token, len, &pos);

	if (problem == NULL)
		return NULL;
	if (pos > 0)
		return psprintf("%s (byte %zu of %zu)", problem, pos, len);
	if (len > TOKEN_MAX_LEN)
		return psprintf("%s (%zu bytes, at most %d)", problem, len, TOKEN_MAX_LEN);
	return pstrdup(problem);
}

void
token_check_argument(const char *argname, const char *token)
{
	char	   *problem = token_problem_text(token);

	if (problem != NULL)
		ereport(ERROR,
				(errcode(ERRCODE_INVALID_PARAMETER_VALUE),
				 errmsg("invalid %s: it %s", argname, problem),
				 errdetail("A token is 1 to %d printable ASCII characters without spaces; the token itself is not shown.",
						   TOKEN_MAX_LEN),
				 errhint("Pass the token exactly as TikTok issued it, without quotes, spaces or line breaks.")));
}
