/*
 * bench_keydigest.c: ns per API-key digest (issue 7 section 4).
 *
 *   one-shot   mg_key_digest: HMAC(EVP_sha256(), ...) per call
 *   hasher     mg_key_hasher_digest: copies of two prepared SHA-256 states
 *   mac-dup    EVP_MAC_CTX_dup of a keyed HMAC context per call (the other
 *              non-deprecated OpenSSL 3 way; measured to justify the choice)
 *
 * Usage: bench_keydigest [rounds] [iters]
 */
#include "bench.h"
#include "core/apikey.h"
#include "core/mg.h"

#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <string.h>

static uint8_t secret[32];
static char key[MG_KEY_LEN + 1];
static uint8_t out[MG_KEY_DIGEST_LEN];
static struct mg_key_hasher hasher;
static EVP_MAC_CTX *mac;

static void one_shot(void *arg) { mg_key_digest(secret, sizeof(secret), key, MG_KEY_LEN, out); }
static void prepared(void *arg) { mg_key_hasher_digest(&hasher, key, MG_KEY_LEN, out); }

static void mac_dup(void *arg)
{
    EVP_MAC_CTX *c = EVP_MAC_CTX_dup(mac);
    size_t n = 0;
    EVP_MAC_update(c, (const unsigned char *)key, MG_KEY_LEN);
    EVP_MAC_final(c, out, &n, sizeof(out));
    EVP_MAC_CTX_free(c);
}

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 21;
    int iters = argc > 2 ? (int)strtol(argv[2], NULL, 10) : 20000;
    uint8_t a[MG_KEY_DIGEST_LEN], b[MG_KEY_DIGEST_LEN];

    mg_random(secret, sizeof(secret));
    mg_key_generate(MG_REGION_GLOBAL, key, NULL);
    mg_key_hasher_init(&hasher, secret, sizeof(secret));
    EVP_MAC *m = EVP_MAC_fetch(NULL, "HMAC", NULL);
    OSSL_PARAM p[] = {OSSL_PARAM_construct_utf8_string(OSSL_MAC_PARAM_DIGEST, "SHA256", 0), OSSL_PARAM_construct_end()};
    mac = EVP_MAC_CTX_new(m);
    if (mac == NULL || !EVP_MAC_init(mac, secret, sizeof(secret), p))
        return 1;

    mg_key_digest(secret, sizeof(secret), key, MG_KEY_LEN, a);
    mg_key_hasher_digest(&hasher, key, MG_KEY_LEN, b);
    if (memcmp(a, b, sizeof(a)) != 0) {
        fprintf(stderr, "hasher and one-shot disagree\n");
        return 1;
    }
    double o = bench_run("key digest: one-shot HMAC()", one_shot, NULL, rounds, iters);
    double h = bench_run("key digest: mg_key_hasher (EVP_MD_CTX copies)", prepared, NULL, rounds, iters);
    bench_run("key digest: EVP_MAC_CTX_dup (not used)", mac_dup, NULL, rounds, iters);
    printf("hasher / one-shot = %.2f\n", h / o);
    mg_key_hasher_free(&hasher);
    EVP_MAC_CTX_free(mac);
    EVP_MAC_free(m);
    return 0;
}
