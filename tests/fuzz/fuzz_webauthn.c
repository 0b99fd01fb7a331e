/*
 * fuzz_webauthn.c: the WebAuthn verifier (src/auth/webauthn.c,
 * webauthn_cbor.c) on untrusted bytes.  The first input byte picks what the
 * rest is:
 *   0  an attestationObject, posted in a registration whose clientDataJSON
 *      is valid (so the CBOR, authData, COSE and packed paths are reached)
 *   1  authenticatorData of an assertion for a stored ES256 credential
 *   2  a clientDataJSON, in a registration with the W3C none.ES256 object
 *   3  the credential JSON itself, for registration and for assertion
 * Checked on every input: no crash, leak or overread (ASan/UBSan); a result
 * inside the enum with a name; on success the stored record within its
 * bounds and alg one of -7/-8/-257.
 */
#include "auth/webauthn.h"
#include "core/mg.h"

#include <jansson.h>
#include <sodium.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static const struct mg_webauthn_rp RP = {"example.org", "https://example.org", 0};
static const int ALGS[] = {-8, -7, -257};
static const uint8_t CHAL[32] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16,
                                 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32};
/* The W3C "none.ES256" credential id, COSE key and attestationObject. */
static const char ID_HEX[] = "f91f391db4c9b2fde0ea70189cba3fb63f579ba6122b33ad94ff3ec330084be4";
static const char KEY_HEX[] = "a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db90856062eb249c33a9b672f26df61"
                              "225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220";
static const char ATT_HEX[] = "a363666d74646e6f6e656761747453746d74a068617574684461746158a4bfabc37432958b063360d3ad6461c9c4735ae7f8"
                              "edd46592a5e0f01452b2e4b559000000008446ccb9ab1db374750b2367ff6f3a1f0020f91f391db4c9b2fde0ea70189cba"
                              "3fb63f579ba6122b33ad94ff3ec330084be4a5010203262001215820afefa16f97ca9b2d23eb86ccb64098d20db9085606"
                              "2eb249c33a9b672f26df61225820930a56b87a2fca66334b03458abf879717c12cc68ed73290af2e2664796b9220";

static char *b64(const uint8_t *p, size_t n)
{
    size_t cap = sodium_base64_ENCODED_LEN(n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = malloc(cap);
    if (s == NULL)
        abort();
    sodium_bin2base64(s, cap, p, n, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

static size_t unhex(const char *h, uint8_t *out, size_t cap)
{
    size_t n = 0;
    sodium_hex2bin(out, cap, h, strlen(h), NULL, &n, NULL);
    return n;
}

static char *client_data(const char *type)
{
    char *c = b64(CHAL, 32), *out;
    size_t cap = 200;
    out = malloc(cap);
    if (out == NULL)
        abort();
    snprintf(out, cap, "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"https://example.org\"}", type, c);
    free(c);
    return out;
}

/* The console's JSON: response fields name1=v1, name2=v2 (raw bytes). */
static char *cred(const uint8_t *id, size_t id_len, const char *n1, const uint8_t *v1, size_t l1, const char *n2,
                  const uint8_t *v2, size_t l2, const char *n3, const uint8_t *v3, size_t l3)
{
    char *sid = b64(id, id_len), *s1 = b64(v1, l1), *s2 = b64(v2, l2), *s3 = n3 ? b64(v3, l3) : NULL;
    json_t *resp = json_pack("{s:s, s:s}", n1, s1, n2, s2);
    if (n3 != NULL)
        json_object_set_new(resp, n3, json_string(s3));
    json_t *root = json_pack("{s:s, s:s, s:s, s:o}", "id", sid, "rawId", sid, "type", "public-key", "response", resp);
    char *out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    free(sid), free(s1), free(s2), free(s3);
    return out;
}

static void check(enum mg_webauthn_fail r, const struct mg_webauthn_cred *c)
{
    if ((unsigned)r > MG_WA_UNKNOWN_CREDENTIAL || mg_webauthn_fail_name(r) == NULL)
        abort();
    if (r == MG_WA_OK && (c->id_len == 0 || c->id_len > MG_WEBAUTHN_CRED_ID_MAX || c->pubkey_len == 0 ||
                          c->pubkey_len > MG_WEBAUTHN_PUBKEY_MAX ||
                          (c->alg != -7 && c->alg != -8 && c->alg != -257)))
        abort();
}

static void do_register(const char *json)
{
    struct mg_webauthn_cred c;
    if (json == NULL)
        return;
    check(mg_webauthn_register(&RP, CHAL, ALGS, 3, json, strlen(json), &c), &c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    if (size < 1)
        return 0;
    uint8_t mode = data[0] % 4, id[32], att[256];
    const uint8_t *p = data + 1;
    size_t n = size - 1, id_len = unhex(ID_HEX, id, sizeof(id));
    char *json = NULL;
    if (mode == 0 || mode == 2) {
        char *cd = client_data("webauthn.create");
        size_t att_len = unhex(ATT_HEX, att, sizeof(att));
        if (mode == 0 && n > 0)
            json = cred(id, id_len, "clientDataJSON", (uint8_t *)cd, strlen(cd), "attestationObject", p, n, NULL, NULL, 0);
        else if (mode == 2 && n > 0)
            json = cred(id, id_len, "clientDataJSON", p, n, "attestationObject", att, att_len, NULL, NULL, 0);
        free(cd);
        do_register(json);
    } else if (mode == 1 && n > 0) {
        struct mg_webauthn_cred c = {0};
        memcpy(c.id, id, id_len);
        c.id_len = id_len;
        c.alg = -7;
        c.pubkey_len = unhex(KEY_HEX, c.pubkey, sizeof(c.pubkey));
        c.be = 1;
        char *cd = client_data("webauthn.get");
        static const uint8_t sig[8] = {0x30, 0x06, 0x02, 0x01, 0x01, 0x02, 0x01, 0x01};
        json = cred(id, id_len, "clientDataJSON", (uint8_t *)cd, strlen(cd), "authenticatorData", p, n, "signature",
                    sig, sizeof(sig));
        free(cd);
        check(mg_webauthn_assert(&RP, CHAL, &c, json, strlen(json)), &c);
    } else if (mode == 3) {
        struct mg_webauthn_cred c = {0};
        uint8_t got[MG_WEBAUTHN_CRED_ID_MAX];
        size_t got_len;
        char *text = malloc(n + 1);
        if (text == NULL)
            abort();
        memcpy(text, p, n);
        text[n] = 0;
        check(mg_webauthn_register(&RP, CHAL, ALGS, 3, text, n, &c), &c);
        c.alg = -7;
        c.pubkey_len = unhex(KEY_HEX, c.pubkey, sizeof(c.pubkey));
        check(mg_webauthn_assert(&RP, CHAL, &c, text, n), &c);
        if (mg_webauthn_assertion_id(text, n, got, sizeof(got), &got_len) == MG_OK && got_len > sizeof(got))
            abort();
        free(text);
    }
    free(json);
    return 0;
}
