/* Unit tests: WebAuthn policy (auth/webauthn.c): offered and supported
 * algorithms, the credential id length, the signCount policy (§8 items 20-22),
 * unknown credentials and attestation formats, malformed input and the
 * ceilings. */
#include "fixture_webauthn.h"

#include <openssl/bn.h>
#include <openssl/rsa.h>

static void alg_refused(void **state)
{
    struct mg_webauthn_cred c;
    static const int not_es256[] = {MG_WEBAUTHN_EDDSA, MG_WEBAUTHN_RS256};
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, not_es256, 2, none_reg_json(NULL), &c), MG_WA_ALG);
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, NULL, 0, none_reg_json(NULL), &c), MG_WA_ALG);
    static const int only_eddsa[] = {MG_WEBAUTHN_EDDSA};
    assert_int_equal(reg(&RP, VECTORS[1].reg_chal, only_eddsa, 1, vec_reg_json(&VECTORS[1], 0), &c), MG_WA_ALG);
    /* the vector's key relabelled -36 (ES512): unsupported even when offered */
    struct bytes rad = none_authdata(), ad2;
    uint8_t *a = memmem(rad.p, rad.len, "\x03\x26\x20\x01", 4);
    assert_non_null(a);
    ad2.len = rad.len + 1;
    ad2.p = malloc(ad2.len);
    size_t off = (size_t)(a - rad.p) + 1;
    memcpy(ad2.p, rad.p, off);
    ad2.p[off] = 0x38, ad2.p[off + 1] = 0x23;
    memcpy(ad2.p + off + 2, a + 2, rad.len - off - 1);
    free(rad.p);
    static const int with_es512[] = {-36, MG_WEBAUTHN_ES256};
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, with_es512, 2,
                         none_reg_with_authdata(ad2, hex(W3C_NONE_ES256_REG_CREDENTIAL_ID)), &c), MG_WA_ALG);
}

/* authData of the none.ES256 vector with a credential id of n bytes. */
static struct bytes authdata_with_id(size_t n, struct bytes *id)
{
    struct bytes rad = none_authdata(), ad;
    ad.len = rad.len - 32 + n;
    ad.p = malloc(ad.len);
    memcpy(ad.p, rad.p, 53);
    ad.p[53] = (uint8_t)(n >> 8), ad.p[54] = (uint8_t)n;
    id->len = n;
    id->p = malloc(n);
    memset(id->p, 0xa7, n);
    memcpy(ad.p + 55, id->p, n);
    memcpy(ad.p + 55 + n, rad.p + 55 + 32, rad.len - 55 - 32);
    free(rad.p);
    return ad;
}

static void credential_id_length(void **state)
{
    struct mg_webauthn_cred c;
    struct bytes id;
    struct bytes ad = authdata_with_id(1024, &id);
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, none_reg_with_authdata(ad, id), &c),
                     MG_WA_CRED_ID_TOO_LONG);
    ad = authdata_with_id(1023, &id);
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, none_reg_with_authdata(ad, id), &c), MG_WA_OK);
    assert_int_equal(c.id_len, 1023);
    /* rawId must be the id in authData */
    ad = authdata_with_id(16, &id);
    id.p[0] ^= 1;
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, none_reg_with_authdata(ad, id), &c), MG_WA_MALFORMED);
}

static void sign_count_policy(void **state)
{
    struct mg_webauthn_cred c;
    registered_none(&c);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 5, NULL)), MG_WA_OK);
    assert_int_equal(c.sign_count, 5);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 5, NULL)), MG_WA_SIGN_COUNT);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 4, NULL)), MG_WA_SIGN_COUNT);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, NULL)), MG_WA_SIGN_COUNT);
    assert_int_equal(c.sign_count, 5); /* unchanged by a refusal */
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 6, NULL)), MG_WA_OK);
    assert_int_equal(c.sign_count, 6);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, UINT32_MAX, NULL)), MG_WA_OK);
}

static void unknown_credential_and_format(void **state)
{
    struct mg_webauthn_cred c;
    registered_none(&c);
    c.id[0] ^= 1;
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, NULL)), MG_WA_UNKNOWN_CREDENTIAL);
    struct bytes att = attobj("tpm", none_authdata());
    char *json = cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), hex(W3C_NONE_ES256_REG_CLIENTDATAJSON), &att, NULL, NULL);
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, json, &c), MG_WA_ATTESTATION);
    /* a fmt with an embedded NUL is not "none" */
    {
        struct bytes ad = none_authdata();
        struct bytes o = attobj("none", ad);
        uint8_t *f = memmem(o.p, o.len, "\x64none", 5);
        assert_non_null(f);
        uint8_t *o2 = malloc(o.len + 2);
        size_t at = (size_t)(f - o.p);
        memcpy(o2, o.p, at);
        memcpy(o2 + at, "\x66none\x00x", 7);
        memcpy(o2 + at + 7, f + 5, o.len - at - 5);
        free(o.p);
        att.p = o2;
        att.len = o.len + 2;
        json = cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), hex(W3C_NONE_ES256_REG_CLIENTDATAJSON), &att, NULL, NULL);
        assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, json, &c), MG_WA_MALFORMED);
    }
    /* "none" carries an empty attStmt */
    att = attobj_stmt("none", "\xa1\x61x\x00", 4, none_authdata());
    json = cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), hex(W3C_NONE_ES256_REG_CLIENTDATAJSON), &att, NULL, NULL);
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, json, &c), MG_WA_ATTESTATION);
    /* self attestation whose statement alg (-8) is not the credential's (-7) */
    att = hex(W3C_PACKED_SELF_ES256_REG_ATTESTATIONOBJECT);
    uint8_t *a = memmem(att.p, att.len, "\x63\x61lg\x26", 5);
    assert_non_null(a);
    a[4] = 0x27;
    json = cred_json(hex(W3C_PACKED_SELF_ES256_REG_CREDENTIAL_ID), hex(W3C_PACKED_SELF_ES256_REG_CLIENTDATAJSON), &att,
                     NULL, NULL);
    assert_int_equal(reg(&RP, W3C_PACKED_SELF_ES256_REG_CHALLENGE, ALL_ALGS, NALL, json, &c), MG_WA_ATTESTATION);
}

static void malformed_and_ceilings(void **state)
{
    struct mg_webauthn_cred c;
    uint8_t chal[32] = {0};
    static const char *const bad[] = {"", "null", "[]", "{}", "{\"id\":\"AA\",\"rawId\":\"AA\",\"type\":\"public-key\"}",
                                      "{\"id\":\"AA\",\"rawId\":\"AB\",\"type\":\"public-key\",\"response\":{}}",
                                      "{\"id\":\"A=\",\"rawId\":\"A=\",\"type\":\"public-key\",\"response\":{}}"};
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        assert_int_equal(mg_webauthn_register(&RP, chal, ALL_ALGS, NALL, bad[i], strlen(bad[i]), &c), MG_WA_MALFORMED);
        assert_int_equal(mg_webauthn_assert(&RP, chal, &c, bad[i], strlen(bad[i])), MG_WA_MALFORMED);
    }
    /* JSON ceiling: the valid registration padded past MG_WEBAUTHN_JSON_MAX */
    char *json = none_reg_json(NULL);
    size_t n = strlen(json);
    char *big = malloc(MG_WEBAUTHN_JSON_MAX + 2);
    memset(big, ' ', MG_WEBAUTHN_JSON_MAX + 1);
    memcpy(big, json, n);
    big[MG_WEBAUTHN_JSON_MAX + 1] = 0;
    assert_int_equal(mg_webauthn_register(&RP, chal, ALL_ALGS, NALL, big, MG_WEBAUTHN_JSON_MAX, &c), MG_WA_CHALLENGE);
    assert_int_equal(mg_webauthn_register(&RP, chal, ALL_ALGS, NALL, big, MG_WEBAUTHN_JSON_MAX + 1, &c), MG_WA_MALFORMED);
    free(big);
    free(json);
    /* clientDataJSON ceiling */
    char *cdj = malloc(MG_WEBAUTHN_CLIENT_DATA_MAX + 2);
    char head[256];
    get_cdj(head, sizeof(head), "webauthn.get", "https://example.org", ",\"x\":\"");
    size_t hl = strlen(head) - 1; /* drop the closing brace */
    memcpy(cdj, head, hl);
    memset(cdj + hl, 'x', MG_WEBAUTHN_CLIENT_DATA_MAX + 1 - hl - 2);
    memcpy(cdj + MG_WEBAUTHN_CLIENT_DATA_MAX + 1 - 2, "\"}", 3);
    assert_int_equal(strlen(cdj), MG_WEBAUTHN_CLIENT_DATA_MAX + 1);
    registered_none(&c);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_MALFORMED);
    cdj[MG_WEBAUTHN_CLIENT_DATA_MAX - 2] = '"', cdj[MG_WEBAUTHN_CLIENT_DATA_MAX - 1] = '}', cdj[MG_WEBAUTHN_CLIENT_DATA_MAX] = 0;
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_OK);
    free(cdj);
    /* truncated authenticatorData */
    struct bytes ad = hex(W3C_NONE_ES256_AUTH_AUTHENTICATORDATA), sig = hex(W3C_NONE_ES256_AUTH_SIGNATURE);
    ad.len = 36;
    json = cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), hex(W3C_NONE_ES256_AUTH_CLIENTDATAJSON), NULL, &ad, &sig);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, json), MG_WA_MALFORMED);
    /* trailing bytes after the COSE key in a registration's authData */
    struct bytes rad = none_authdata();
    rad.p = realloc(rad.p, rad.len + 1);
    rad.p[rad.len++] = 0x00;
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL,
                         none_reg_with_authdata(rad, hex(W3C_NONE_ES256_REG_CREDENTIAL_ID)), &c), MG_WA_MALFORMED);
}

/* RS256 with a 2048-bit key generated here: packed self attestation and an
 * assertion, both verified by OpenSSL (the W3C RS256 vector's key is 3482
 * bits and x5c-attested). */
static struct bytes rsa_sign(EVP_PKEY *k, const uint8_t *ad, size_t ad_len, struct bytes cdj)
{
    struct bytes sig = {malloc(256), 256};
    uint8_t *msg = malloc(ad_len + 32);
    memcpy(msg, ad, ad_len);
    crypto_hash_sha256(msg + ad_len, cdj.p, cdj.len);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig.p, &sig.len, msg, ad_len + 32), 1);
    EVP_MD_CTX_free(md);
    free(msg);
    return sig;
}

static void rs256_2048_self_attestation(void **state)
{
    EVP_PKEY *k = EVP_RSA_gen(2048);
    assert_non_null(k);
    BIGNUM *bn = NULL;
    uint8_t n[256];
    assert_int_equal(EVP_PKEY_get_bn_param(k, OSSL_PKEY_PARAM_RSA_N, &bn), 1);
    assert_int_equal(BN_bn2binpad(bn, n, 256), 256);
    BN_free(bn);
    /* authData: rpIdHash, flags UP|AT, count 7, aaguid 0, id 16 x 0x5a, COSE {1:3, 3:-257, -1:n, -2:e} */
    uint8_t ad[37 + 18 + 16 + 280];
    size_t l = 0;
    crypto_hash_sha256(ad, (const uint8_t *)"example.org", 11);
    l = 32;
    ad[l++] = 0x41;
    ad[l++] = 0, ad[l++] = 0, ad[l++] = 0, ad[l++] = 7;
    memset(ad + l, 0, 16), l += 16;
    ad[l++] = 0, ad[l++] = 16;
    memset(ad + l, 0x5a, 16), l += 16;
    static const uint8_t head[] = {0xa4, 0x01, 0x03, 0x03, 0x39, 0x01, 0x00, 0x20, 0x59, 0x01, 0x00};
    memcpy(ad + l, head, sizeof(head)), l += sizeof(head);
    memcpy(ad + l, n, 256), l += 256;
    static const uint8_t e[] = {0x21, 0x43, 0x01, 0x00, 0x01};
    memcpy(ad + l, e, sizeof(e)), l += sizeof(e);

    for (int flip = 1; flip >= 0; flip--) {
        struct bytes cdj = hex(W3C_NONE_ES256_REG_CLIENTDATAJSON);
        struct bytes sig = rsa_sign(k, ad, l, cdj);
        sig.p[100] ^= (uint8_t)flip;
        /* attStmt {"alg": -257, "sig": h'...'} */
        char stmt[300];
        size_t sl = 0;
        memcpy(stmt, "\xa2\x63" "alg" "\x39\x01\x00" "\x63" "sig" "\x59\x01\x00", 15), sl = 15;
        memcpy(stmt + sl, sig.p, 256), sl += 256;
        free(sig.p);
        struct bytes adb = {malloc(l), l}, id = {malloc(16), 16};
        memcpy(adb.p, ad, l);
        memset(id.p, 0x5a, 16);
        struct bytes att = attobj_stmt("packed", stmt, sl, adb);
        struct mg_webauthn_cred c;
        char *json = cred_json(id, cdj, &att, NULL, NULL);
        assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, json, &c),
                         flip ? MG_WA_ATTESTATION : MG_WA_OK);
        if (flip)
            continue;
        assert_int_equal(c.alg, MG_WEBAUTHN_RS256);
        assert_int_equal(c.sign_count, 7);
        /* an assertion: the none.ES256 authentication data with count 8 */
        struct bytes aad = hex(W3C_NONE_ES256_AUTH_AUTHENTICATORDATA), acdj = hex(W3C_NONE_ES256_AUTH_CLIENTDATAJSON);
        aad.p[32] = 0x01;
        aad.p[36] = 8;
        for (int bad = 1; bad >= 0; bad--) {
            struct bytes asig = rsa_sign(k, aad.p, aad.len, acdj);
            asig.p[7] ^= (uint8_t)bad;
            struct bytes a2 = {malloc(aad.len), aad.len}, c2 = {malloc(acdj.len), acdj.len}, id2 = {malloc(16), 16};
            memcpy(a2.p, aad.p, aad.len), memcpy(c2.p, acdj.p, acdj.len), memset(id2.p, 0x5a, 16);
            assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, cred_json(id2, c2, NULL, &a2, &asig)),
                             bad ? MG_WA_SIGNATURE : MG_WA_OK);
        }
        assert_int_equal(c.sign_count, 8);
        free(aad.p);
        free(acdj.p);
    }
    EVP_PKEY_free(k);
}

/* Regression (fuzz_webauthn): libcbor 0.8 allocated a container of the
 * declared size before reading it, so a 9-byte attestationObject asked for
 * gigabytes.  Declared lengths beyond the input, indefinite lengths and deep
 * nesting are refused before libcbor sees the bytes. */
static void cbor_declared_lengths_refused(void **state)
{
    static const struct {
        const char *b;
        size_t n;
    } bad[] = {
        {"\xbb\x00\x00\x00\x06\x86\x17\x57\x40", 9}, /* map of 28 G entries */
        {"\x9b\xff\xff\xff\xff\xff\xff\xff\xff", 9}, /* array of 2^64-1 */
        {"\x5b\x00\x00\x00\x01\x00\x00\x00\x00\x00", 10}, /* 4 GiB byte string */
        {"\xbf\xff", 2},                              /* indefinite map */
        {"\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x81\x00", 19},
        {"\xa3\x63" "fmt", 5},                           /* truncated */
    };
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        struct mg_webauthn_cred c;
        struct bytes att = {malloc(bad[i].n), bad[i].n};
        memcpy(att.p, bad[i].b, bad[i].n);
        char *json = cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), hex(W3C_NONE_ES256_REG_CLIENTDATAJSON), &att, NULL, NULL);
        assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, json, &c), MG_WA_MALFORMED);
    }
    struct mg_webauthn_cred c;
    /* a COSE key inside authData with a huge declared map */
    struct bytes rad = none_authdata();
    uint8_t *k = memmem(rad.p, rad.len, "\xa5\x01\x02\x03\x26", 5);
    assert_non_null(k);
    k[0] = 0xbb;
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL,
                         none_reg_with_authdata(rad, hex(W3C_NONE_ES256_REG_CREDENTIAL_ID)), &c), MG_WA_MALFORMED);
}

static void fail_names(void **state)
{
    assert_string_equal(mg_webauthn_fail_name(MG_WA_OK), "ok");
    assert_string_equal(mg_webauthn_fail_name(MG_WA_SIGN_COUNT), "sign_count");
    assert_string_equal(mg_webauthn_fail_name(MG_WA_UNKNOWN_CREDENTIAL), "unknown_credential");
    assert_string_equal(mg_webauthn_fail_name((enum mg_webauthn_fail)99), "unknown");
    for (int f = MG_WA_OK; f <= MG_WA_UNKNOWN_CREDENTIAL; f++)
        assert_non_null(mg_webauthn_fail_name((enum mg_webauthn_fail)f));
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(alg_refused),
        cmocka_unit_test(credential_id_length),
        cmocka_unit_test(sign_count_policy),
        cmocka_unit_test(unknown_credential_and_format),
        cmocka_unit_test(malformed_and_ceilings),
        cmocka_unit_test(rs256_2048_self_attestation),
        cmocka_unit_test(cbor_declared_lengths_refused),
        cmocka_unit_test(fail_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
