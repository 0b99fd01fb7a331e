/* Unit tests: WebAuthn policy (auth/webauthn.c): offered and supported
 * algorithms, the credential id length, the signCount policy (§8 items 20-22),
 * unknown credentials and attestation formats, malformed input and the
 * ceilings. */
#include "fixture_webauthn.h"

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
        cmocka_unit_test(fail_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
