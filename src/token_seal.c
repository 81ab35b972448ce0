/*-------------------------------------------------------------------------
 *
 * token_seal.c
 *	  AES-256-GCM sealing of tokens under a key file in the data directory.
 *
 *-------------------------------------------------------------------------
 */
#include "postgres.h"

#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/rand.h>

#include "miscadmin.h"
#include "storage/fd.h"

#include "token_seal.h"

#define KEY_FILE_NAME "tiktrack.key"

static unsigned char seal_key[TOKEN_SEAL_KEY_LEN];
static bool seal_key_loaded = false;

int
token_seal_raw(const unsigned char *key, const char *aad,
			   const unsigned char *plain, int len, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx;
	int			n = 0;
	int			total = 0;
	int			ok = 0;
	unsigned char *nonce = out + 1;
	unsigned char *ct = out + 1 + TOKEN_SEAL_NONCE_LEN;

	if (len < 0)
		return -1;
	out[0] = TOKEN_SEAL_VERSION;
	if (RAND_bytes(nonce, TOKEN_SEAL_NONCE_LEN) != 1)
		return -1;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -1;
	if (EVP_EncryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, TOKEN_SEAL_NONCE_LEN, NULL) == 1 &&
		EVP_EncryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
		EVP_EncryptUpdate(ctx, NULL, &n, (const unsigned char *) aad, (int) strlen(aad)) == 1 &&
		EVP_EncryptUpdate(ctx, ct, &n, plain, len) == 1)
	{
		total = n;
		if (EVP_EncryptFinal_ex(ctx, ct + total, &n) == 1)
		{
			total += n;
			if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_GET_TAG, TOKEN_SEAL_TAG_LEN,
									ct + total) == 1)
				ok = 1;
		}
	}
	EVP_CIPHER_CTX_free(ctx);
	return ok ? 1 + TOKEN_SEAL_NONCE_LEN + total + TOKEN_SEAL_TAG_LEN : -1;
}

int
token_unseal_raw(const unsigned char *key, const char *aad,
				 const unsigned char *sealed, int len, unsigned char *out)
{
	EVP_CIPHER_CTX *ctx;
	const unsigned char *nonce = sealed + 1;
	const unsigned char *ct = sealed + 1 + TOKEN_SEAL_NONCE_LEN;
	int			ctlen = len - TOKEN_SEAL_OVERHEAD;
	int			n = 0;
	int			total = 0;
	int			ok = 0;

	if (len < TOKEN_SEAL_OVERHEAD || sealed[0] != TOKEN_SEAL_VERSION)
		return -1;
	ctx = EVP_CIPHER_CTX_new();
	if (ctx == NULL)
		return -1;
	if (EVP_DecryptInit_ex(ctx, EVP_aes_256_gcm(), NULL, NULL, NULL) == 1 &&
		EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_IVLEN, TOKEN_SEAL_NONCE_LEN, NULL) == 1 &&
		EVP_DecryptInit_ex(ctx, NULL, NULL, key, nonce) == 1 &&
		EVP_DecryptUpdate(ctx, NULL, &n, (const unsigned char *) aad, (int) strlen(aad)) == 1 &&
		EVP_DecryptUpdate(ctx, out, &n, ct, ctlen) == 1)
	{
		total = n;
		if (EVP_CIPHER_CTX_ctrl(ctx, EVP_CTRL_GCM_SET_TAG, TOKEN_SEAL_TAG_LEN,
								(void *) (ct + ctlen)) == 1 &&
			EVP_DecryptFinal_ex(ctx, out + total, &n) == 1)
		{
			total += n;
			ok = 1;
		}
	}
	EVP_CIPHER_CTX_free(ctx);
	if (!ok)
	{
		explicit_bzero(out, Max(ctlen, 0));
		return -1;
	}
	return total;
}

/*
 * Reads $PGDATA/tiktrack.key, creating it (O_EXCL, 0600) with fresh random
 * bytes when it does not exist yet.  Two backends racing to create it are
 * fine: the loser of O_EXCL reads the winner's file.
 */
static void
load_key(void)
{
	char		path[MAXPGPATH];
	int			fd;
	int			attempt;
	struct stat st;

	if (seal_key_loaded)
		return;
	snprintf(path, sizeof(path), "%s/%s", DataDir, KEY_FILE_NAME);

	for (attempt = 0; attempt < 50; attempt++)
	{
		fd = OpenTransientFile(path, O_RDONLY | PG_BINARY);
		if (fd >= 0)
		{
			ssize_t		n;

			if (fstat(fd, &st) == 0 && (st.st_mode & (S_IRWXG | S_IRWXO)) != 0)
			{
				CloseTransientFile(fd);
				ereport(ERROR,
						(errcode(ERRCODE_CONFIG_FILE_ERROR),
						 errmsg("token key file \"%s\" is accessible by group or others", path),
						 errhint("Make it readable by the server's user only: chmod 600.")));
			}
			n = read(fd, seal_key, TOKEN_SEAL_KEY_LEN);
			CloseTransientFile(fd);
			if (n == TOKEN_SEAL_KEY_LEN)
			{
				seal_key_loaded = true;
				return;
			}
			/* a concurrent creator may not have written it yet */
			if (n >= 0 && attempt < 49)
			{
				pg_usleep(10000L);
				continue;
			}
			ereport(ERROR,
					(errcode(ERRCODE_DATA_CORRUPTED),
					 errmsg("token key file \"%s\" must hold exactly %d bytes",
							path, TOKEN_SEAL_KEY_LEN)));
		}
		if (errno != ENOENT)
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not open token key file \"%s\": %m", path)));

		fd = OpenTransientFilePerm(path, O_WRONLY | O_CREAT | O_EXCL | PG_BINARY,
								   S_IRUSR | S_IWUSR);
		if (fd < 0)
		{
			if (errno == EEXIST)
				continue;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not create token key file \"%s\": %m", path)));
		}
		if (RAND_bytes(seal_key, TOKEN_SEAL_KEY_LEN) != 1)
		{
			CloseTransientFile(fd);
			unlink(path);
			ereport(ERROR,
					(errcode(ERRCODE_SYSTEM_ERROR),
					 errmsg("could not generate a token key")));
		}
		if (write(fd, seal_key, TOKEN_SEAL_KEY_LEN) != TOKEN_SEAL_KEY_LEN ||
			pg_fsync(fd) != 0)
		{
			int			save = errno;

			CloseTransientFile(fd);
			unlink(path);
			errno = save;
			ereport(ERROR,
					(errcode_for_file_access(),
					 errmsg("could not write token key file \"%s\": %m", path)));
		}
		CloseTransientFile(fd);
		seal_key_loaded = true;
		return;
	}
	ereport(ERROR,
			(errcode(ERRCODE_OBJECT_IN_USE),
			 errmsg("could not read token key file \"%s\"", path)));
}

bytea *
token_seal(const char *plaintext, const char *aad)
{
	int			len = (int) strlen(plaintext);
	bytea	   *out;
	int			n;

	load_key();
	out = palloc(VARHDRSZ + len + TOKEN_SEAL_OVERHEAD);
	n = token_seal_raw(seal_key, aad, (const unsigned char *) plaintext, len,
					   (unsigned char *) VARDATA(out));
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_SYSTEM_ERROR),
				 errmsg("could not seal a %s", aad)));
	SET_VARSIZE(out, VARHDRSZ + n);
	return out;
}

char *
token_unseal_or_null(const bytea *sealed, const char *aad)
{
	int			len = VARSIZE_ANY_EXHDR(sealed);
	char	   *out;
	int			n;

	load_key();
	out = palloc(Max(len, 1));
	n = token_unseal_raw(seal_key, aad, (const unsigned char *) VARDATA_ANY(sealed),
						 len, (unsigned char *) out);
	if (n < 0)
	{
		pfree(out);
		return NULL;
	}
	out[n] = '\0';
	return out;
}

char *
token_unseal(const bytea *sealed, const char *aad)
{
	int			len = VARSIZE_ANY_EXHDR(sealed);
	char	   *out;
	int			n;

	load_key();
	out = palloc(Max(len, 1));
	n = token_unseal_raw(seal_key, aad, (const unsigned char *) VARDATA_ANY(sealed),
						 len, (unsigned char *) out);
	if (n < 0)
		ereport(ERROR,
				(errcode(ERRCODE_DATA_CORRUPTED),
				 errmsg("could not unseal a stored %s", aad),
				 errdetail("The token was sealed under another key or was altered."),
				 errhint("Was $PGDATA/%s replaced? The creator must authorize again.",
						 KEY_FILE_NAME)));
	out[n] = '\0';
	return out;
}
