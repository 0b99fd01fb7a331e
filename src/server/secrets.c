/* secrets.c: the server secret file and sealing of upstream keys (GW-7). */
#include "server/server.h"
#include "core/mg.h"

#include <errno.h>
#include <fcntl.h>
#include <openssl/evp.h>
#include <openssl/hmac.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mg_secret_load(const char *path, uint8_t out[MG_SECRET_LEN], char *err, size_t errlen)
{
    char hex[2 * MG_SECRET_LEN + 2];
    struct stat st;
    size_t binlen = 0;
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    if (fd < 0) {
        snprintf(err, errlen, "cannot read the secrets file %s: %s; run `maxgated init` first", path, strerror(errno));
        return MG_ERR;
    }
    if (fstat(fd, &st) != 0 || (st.st_mode & 077) != 0) {
        close(fd);
        snprintf(err, errlen, "the secrets file %s is readable by others; run `chmod 600 %s`", path, path);
        return MG_ERR;
    }
    ssize_t n = read(fd, hex, sizeof(hex));
    close(fd);
    while (n > 0 && (hex[n - 1] == '\n' || hex[n - 1] == '\r'))
        n--;
    if (n != 2 * MG_SECRET_LEN ||
        sodium_hex2bin(out, MG_SECRET_LEN, hex, (size_t)n, NULL, &binlen, NULL) != 0 || binlen != MG_SECRET_LEN) {
        sodium_memzero(hex, sizeof(hex));
        snprintf(err, errlen, "the secrets file %s must hold exactly 64 hex characters; run `maxgated init` with a "
                 "fresh path to make one", path);
        return MG_ERR;
    }
    sodium_memzero(hex, sizeof(hex));
    static const uint8_t zero[MG_SECRET_LEN];
    if (sodium_memcmp(out, zero, MG_SECRET_LEN) == 0) {
        snprintf(err, errlen, "the secrets file %s holds an all-zero (default) secret; delete it and run `maxgated "
                 "init`", path);
        return MG_ERR;
    }
    return MG_OK;
}

int mg_secret_create(const char *path, char *err, size_t errlen)
{
    uint8_t bin[MG_SECRET_LEN];
    char hex[2 * MG_SECRET_LEN + 2];
    int fd = open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        if (errno == EEXIST)
            return MG_OK;
        snprintf(err, errlen, "cannot create the secrets file %s: %s", path, strerror(errno));
        return MG_ERR;
    }
    mg_random(bin, sizeof(bin));
    sodium_bin2hex(hex, sizeof(hex), bin, sizeof(bin));
    size_t len = strlen(hex);
    hex[len++] = '\n';
    int ok = write(fd, hex, len) == (ssize_t)len && fsync(fd) == 0;
    close(fd);
    sodium_memzero(bin, sizeof(bin));
    sodium_memzero(hex, sizeof(hex));
    if (!ok) {
        unlink(path);
        snprintf(err, errlen, "cannot write the secrets file %s", path);
        return MG_ERR;
    }
    return MG_OK;
}

/* The sealing key: HMAC(secret, "maxgate channel keys v1"), so the database
 * key and the key digests never share key material. */
static void seal_key(const uint8_t secret[MG_SECRET_LEN], uint8_t key[crypto_secretbox_KEYBYTES])
{
    static const char label[] = "maxgate channel keys v1";
    unsigned int len = crypto_secretbox_KEYBYTES;
    HMAC(EVP_sha256(), secret, MG_SECRET_LEN, (const unsigned char *)label, sizeof(label) - 1, key, &len);
}

size_t mg_secret_seal(const uint8_t secret[MG_SECRET_LEN], const char *plain, uint8_t *out, size_t cap)
{
    uint8_t key[crypto_secretbox_KEYBYTES];
    size_t n = strlen(plain);
    if (cap < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n)
        return 0;
    seal_key(secret, key);
    mg_random(out, crypto_secretbox_NONCEBYTES);
    crypto_secretbox_easy(out + crypto_secretbox_NONCEBYTES, (const uint8_t *)plain, n, out, key);
    sodium_memzero(key, sizeof(key));
    return crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES + n;
}

char *mg_secret_open(const uint8_t secret[MG_SECRET_LEN], const uint8_t *sealed, size_t len)
{
    uint8_t key[crypto_secretbox_KEYBYTES];
    if (len < crypto_secretbox_NONCEBYTES + crypto_secretbox_MACBYTES)
        return NULL;
    size_t n = len - crypto_secretbox_NONCEBYTES - crypto_secretbox_MACBYTES;
    char *plain = mg_malloc(n + 1);
    seal_key(secret, key);
    int rc = crypto_secretbox_open_easy((uint8_t *)plain, sealed + crypto_secretbox_NONCEBYTES,
                                        len - crypto_secretbox_NONCEBYTES, sealed, key);
    sodium_memzero(key, sizeof(key));
    if (rc != 0) {
        free(plain);
        return NULL;
    }
    plain[n] = '\0';
    return plain;
}
