/*
 * password.c: Argon2id hashing and verification of NFKC-normalized passwords
 * (password.h).  The policy and its lists are in pwpolicy.c.
 *
 * libsodium's crypto_pwhash_str_alg() writes the PHC string with a 16-byte
 * salt (crypto_pwhash_SALTBYTES) and a 32-byte tag; crypto_pwhash_str_verify()
 * reads the parameters from the string, so hashes made with older parameters
 * keep verifying, and crypto_pwhash_str_needs_rehash() tells the caller to
 * upgrade them on the next successful login.
 */
#include "auth/password.h"

#include <pthread.h>
#include <stdbool.h>
#include <sodium.h>
#include <string.h>
#include <uninorm.h>
#include <unistr.h>

#include "core/mg.h"

_Static_assert(MG_PW_PHC_MAX == crypto_pwhash_STRBYTES, "PHC buffer is libsodium's");
_Static_assert(crypto_pwhash_SALTBYTES == 16, "16-byte salt");

#define MEMLIMIT ((size_t)MG_PW_MEMLIMIT_KIB * 1024)

static pthread_once_t once = PTHREAD_ONCE_INIT;
static char dummy_phc[MG_PW_PHC_MAX];
static int dummy_ok;

static void start(void)
{
    if (sodium_init() < 0)
        abort();
    /* The dummy's password is random and forgotten: nothing matches it. */
    uint8_t pw[32];
    randombytes_buf(pw, sizeof pw);
    dummy_ok = crypto_pwhash_str_alg(dummy_phc, (const char *)pw, sizeof pw, MG_PW_OPSLIMIT, MEMLIMIT,
                                     crypto_pwhash_ALG_ARGON2ID13) == 0;
    sodium_memzero(pw, sizeof pw);
}

int mg_pw_init(void)
{
    pthread_once(&once, start);
    return dummy_ok ? MG_OK : MG_ERR;
}

uint8_t *mg_pw_normalize(const char *pw, size_t len, size_t *out_len)
{
    *out_len = 0;
    if (len > MG_PW_INPUT_MAX || u8_check((const uint8_t *)pw, len) != NULL)
        return NULL;
    if (len == 0)
        return mg_calloc(1, 1);
    size_t n = 0;
    uint8_t *norm = u8_normalize(UNINORM_NFKC, (const uint8_t *)pw, len, NULL, &n);
    if (norm == NULL) /* ENOMEM: allocation failure aborts, as everywhere */
        abort();
    uint8_t *out = mg_malloc(n + 1);
    memcpy(out, norm, n);
    out[n] = 0;
    sodium_memzero(norm, n);
    free(norm);
    *out_len = n;
    return out;
}

void mg_pw_normalized_free(uint8_t *p, size_t len)
{
    if (p == NULL)
        return;
    sodium_memzero(p, len + 1);
    free(p);
}

int mg_pw_hash(const char *pw, size_t len, char out[MG_PW_PHC_MAX])
{
    pthread_once(&once, start);
    out[0] = '\0';
    size_t n;
    uint8_t *norm = mg_pw_normalize(pw, len, &n);
    if (norm == NULL)
        return MG_DECLINED;
    int rc = crypto_pwhash_str_alg(out, (const char *)norm, n, MG_PW_OPSLIMIT, MEMLIMIT,
                                   crypto_pwhash_ALG_ARGON2ID13);
    mg_pw_normalized_free(norm, n);
    return rc == 0 ? MG_OK : MG_ERR;
}

/* A password that cannot be normalized still costs one verify (of its first
 * bytes as they are, against the dummy), so a refusal answers no sooner than
 * a mismatch. */
static void verify_raw(const char *pw, size_t len)
{
    int rc = crypto_pwhash_str_verify(dummy_phc, pw, MG_MIN(len, (size_t)MG_PW_INPUT_MAX));
    (void)rc; /* nothing matches the forgotten random password */
}

int mg_pw_verify(const char *phc, const char *pw, size_t len, int *needs_rehash)
{
    pthread_once(&once, start);
    if (needs_rehash)
        *needs_rehash = 0;
    size_t n;
    uint8_t *norm = mg_pw_normalize(pw, len, &n);
    if (norm == NULL) {
        verify_raw(pw, len);
        return MG_DECLINED;
    }
    /* libsodium declares its argument as char[crypto_pwhash_STRBYTES]: hand
     * it a full buffer.  A stored string that does not fit is not ours, and
     * costs a verify of the dummy. */
    char buf[MG_PW_PHC_MAX] = {0};
    size_t plen = phc ? strnlen(phc, MG_PW_PHC_MAX) : MG_PW_PHC_MAX;
    bool ours = plen < MG_PW_PHC_MAX;
    memcpy(buf, ours ? phc : dummy_phc, ours ? plen : strlen(dummy_phc));
    int rc = crypto_pwhash_str_verify(buf, (const char *)norm, n);
    mg_pw_normalized_free(norm, n);
    if (rc != 0 || !ours)
        return MG_DECLINED;
    if (needs_rehash)
        *needs_rehash = crypto_pwhash_str_needs_rehash(buf, MG_PW_OPSLIMIT, MEMLIMIT) != 0;
    return MG_OK;
}

void mg_pw_dummy_verify(const char *pw, size_t len)
{
    pthread_once(&once, start);
    size_t n;
    uint8_t *norm = mg_pw_normalize(pw, len, &n);
    if (norm == NULL) {
        verify_raw(pw, len);
        return;
    }
    int rc = crypto_pwhash_str_verify(dummy_phc, (const char *)norm, n);
    (void)rc; /* nothing matches the forgotten random password */
    mg_pw_normalized_free(norm, n);
}
