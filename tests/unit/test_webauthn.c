/* Unit tests: WebAuthn RP verification (auth/webauthn.c) against the W3C
 * Level 3 test vectors (tests/unit/data/webauthn/w3c_vectors.h) and the
 * tampered variants of SECURITY-REFERENCES §8 item 19.  Tampered assertions
 * are re-signed with the vector's credential private key (fixture_webauthn.h),
 * so each one is refused by the check it targets and not by the signature. */
#include "fixture_webauthn.h"

/* ---- the vectors pass (§8 items 18, 20) --------------------------------- */

static void w3c_none_es256_register_and_assert(void **state)
{
    struct mg_webauthn_cred c;
    registered_none(&c);
    struct bytes id = hex(W3C_NONE_ES256_REG_CREDENTIAL_ID);
    assert_int_equal(c.id_len, id.len);
    assert_memory_equal(c.id, id.p, id.len);
    free(id.p);
    assert_int_equal(c.alg, MG_WEBAUTHN_ES256);
    assert_int_equal(c.pubkey_len, 77); /* A5 01 02 03 26 20 01 21 58 20 x 22 58 20 y */
    assert_int_equal(c.pubkey[0], 0xa5);
    assert_int_equal(c.sign_count, 0);
    assert_int_equal(c.be, 1); /* flags 0x59 */
    assert_int_equal(c.bs, 1);

    struct bytes ad = hex(W3C_NONE_ES256_AUTH_AUTHENTICATORDATA), sig = hex(W3C_NONE_ES256_AUTH_SIGNATURE);
    char *json = cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), hex(W3C_NONE_ES256_AUTH_CLIENTDATAJSON), NULL, &ad, &sig);
    uint8_t got[MG_WEBAUTHN_CRED_ID_MAX];
    size_t got_len;
    assert_int_equal(mg_webauthn_assertion_id(json, strlen(json), got, sizeof(got), &got_len), MG_OK);
    assert_int_equal(got_len, c.id_len);
    assert_memory_equal(got, c.id, got_len);
    assert_int_equal(mg_webauthn_assertion_id(json, strlen(json), got, 31, &got_len), MG_DECLINED);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, json), MG_WA_OK);
    assert_int_equal(c.sign_count, 0); /* both zero: accepted (§8 item 22) */
}

static void w3c_packed_and_long_id_vectors(void **state)
{
    for (size_t i = 0; i < sizeof(VECTORS) / sizeof(VECTORS[0]); i++) {
        const struct pair *v = &VECTORS[i];
        struct mg_webauthn_cred c;
        enum mg_webauthn_fail r = reg(&RP, v->reg_chal, ALL_ALGS, NALL, vec_reg_json(v, 0), &c);
        if (r != MG_WA_OK)
            fail_msg("%s register: %s", v->name, mg_webauthn_fail_name(r));
        assert_int_equal(c.alg, v->alg);
        struct mg_webauthn_cred before = c;
        struct bytes ad = hex(v->ad), sig = hex(v->sig);
        sig.p[sig.len / 2] ^= 0x10; /* one flipped bit: ES256/EdDSA via libfido2, RS256 via OpenSSL */
        r = asrt(&RP, v->auth_chal, &c, cred_json(hex(v->id), hex(v->auth_cdj), NULL, &ad, &sig));
        if (r != MG_WA_SIGNATURE)
            fail_msg("%s flipped signature bit: %s", v->name, mg_webauthn_fail_name(r));
        assert_memory_equal(&c, &before, sizeof(c));
        r = asrt(&RP, v->auth_chal, &c, vec_auth_json(v));
        if (r != MG_WA_OK)
            fail_msg("%s assert: %s", v->name, mg_webauthn_fail_name(r));
    }
    struct mg_webauthn_cred c;
    assert_int_equal(reg(&RP, VECTORS[4].reg_chal, ALL_ALGS, NALL, vec_reg_json(&VECTORS[4], 0), &c), MG_WA_OK);
    assert_int_equal(c.id_len, MG_WEBAUTHN_CRED_ID_MAX); /* 1023 bytes: the largest allowed */
}

static void packed_attestation_bad_signature(void **state)
{
    for (size_t i = 0; i < 4; i++) {
        struct mg_webauthn_cred c;
        assert_int_equal(reg(&RP, VECTORS[i].reg_chal, ALL_ALGS, NALL, vec_reg_json(&VECTORS[i], 1), &c),
                         MG_WA_ATTESTATION);
        assert_int_equal(c.id_len, 0); /* *out zeroed on failure */
    }
}

/* ---- tampered variants (§8 item 19) ------------------------------------- */

static void origin_variants_refused(void **state)
{
    static const char *const bad[] = {"http://example.org", "https://example.org:8443", "https://sub.example.org",
                                      "https://example.org/", "https://example.org.evil.com", "https://EXAMPLE.org",
                                      ""};
    struct mg_webauthn_cred c;
    char cdj[512];
    for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
        registered_none(&c);
        get_cdj(cdj, sizeof(cdj), "webauthn.get", bad[i], ",\"crossOrigin\":false");
        assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_ORIGIN);
        /* the same origins configured against the untouched vectors */
        struct mg_webauthn_rp rp = {"example.org", bad[i], 0};
        assert_int_equal(reg(&rp, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, none_reg_json(NULL), &c), MG_WA_ORIGIN);
    }
    /* control: the re-signing helper itself produces an accepted assertion */
    registered_none(&c);
    get_cdj(cdj, sizeof(cdj), "webauthn.get", "https://example.org", "");
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_OK);
}

static void cross_origin_and_top_origin_refused(void **state)
{
    struct mg_webauthn_cred c;
    struct bytes att = hex(W3C_CROSS_ORIGIN_REG_ATTESTATIONOBJECT);
    char *json = cred_json(hex(W3C_CROSS_ORIGIN_REG_CREDENTIAL_ID), hex(W3C_CROSS_ORIGIN_REG_CLIENTDATAJSON), &att, NULL, NULL);
    assert_int_equal(reg(&RP, W3C_CROSS_ORIGIN_REG_CHALLENGE, ALL_ALGS, NALL, json, &c), MG_WA_CROSS_ORIGIN);
    att = hex(W3C_TOP_ORIGIN_REG_ATTESTATIONOBJECT);
    json = cred_json(hex(W3C_TOP_ORIGIN_REG_CREDENTIAL_ID), hex(W3C_TOP_ORIGIN_REG_CLIENTDATAJSON), &att, NULL, NULL);
    assert_int_equal(reg(&RP, W3C_TOP_ORIGIN_REG_CHALLENGE, ALL_ALGS, NALL, json, &c), MG_WA_CROSS_ORIGIN);

    char cdj[512];
    registered_none(&c);
    get_cdj(cdj, sizeof(cdj), "webauthn.get", "https://example.org", ",\"crossOrigin\":\"false\"");
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_CROSS_ORIGIN);
    get_cdj(cdj, sizeof(cdj), "webauthn.get", "https://example.org", ",\"topOrigin\":\"https://example.org\"");
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_CROSS_ORIGIN);
}

static void wrong_type_refused(void **state)
{
    struct mg_webauthn_cred c;
    char cdj[512];
    registered_none(&c);
    get_cdj(cdj, sizeof(cdj), "webauthn.create", "https://example.org", ",\"crossOrigin\":false");
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_TYPE);
    get_cdj(cdj, sizeof(cdj), "webauthn.get ", "https://example.org", "");
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_TYPE);
    /* an escaped NUL cannot cut a string short: jansson refuses it outright */
    get_cdj(cdj, sizeof(cdj), "webauthn.get\\u0000", "https://example.org", "");
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_MALFORMED);
    get_cdj(cdj, sizeof(cdj), "webauthn.get", "https://example.org\\u0000", "");
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_MALFORMED);
    /* a get's clientDataJSON in a registration */
    char *json = none_reg_json(get_cdj(cdj, sizeof(cdj), "webauthn.get", "https://example.org", ""));
    assert_int_equal(reg(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, ALL_ALGS, NALL, json, &c), MG_WA_TYPE);
    /* the credential's own type */
    json = none_reg_json(NULL);
    char *t = strstr(json, "public-key");
    memcpy(t, "public-kez", 10);
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, json, &c), MG_WA_TYPE);
}

static void changed_challenge_refused(void **state)
{
    struct mg_webauthn_cred c;
    registered_none(&c);
    /* the registration's challenge presented for the assertion, and the reverse */
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_REG_CHALLENGE, &c, none_auth(-1, 0, NULL)), MG_WA_CHALLENGE);
    assert_int_equal(reg(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, ALL_ALGS, NALL, none_reg_json(NULL), &c), MG_WA_CHALLENGE);
    /* one bit of the server's challenge */
    char h[65];
    memcpy(h, W3C_NONE_ES256_AUTH_CHALLENGE, 65);
    h[63] = h[63] == '8' ? '9' : '8';
    registered_none(&c);
    assert_int_equal(asrt(&RP, h, &c, none_auth(-1, 0, NULL)), MG_WA_CHALLENGE);
    /* the challenge with base64 padding or in standard base64 is not the same text */
    char cdj[512];
    get_cdj(cdj, sizeof(cdj), "webauthn.get", "https://example.org", "");
    char *q = strstr(cdj, "\",\"origin");
    memmove(q + 1, q, strlen(q) + 1);
    *q = '=';
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, cdj)), MG_WA_CHALLENGE);
}

/* A reused or expired challenge is the caller's job (webauthn.h): the library
 * is stateless, so the same valid assertion verifies twice when both counters
 * are zero.  The platform consumes the stored challenge before calling. */
static void replay_is_refused_by_the_caller_not_here(void **state)
{
    struct mg_webauthn_cred c;
    registered_none(&c);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, NULL)), MG_WA_OK);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, NULL)), MG_WA_OK);
}

static void changed_rp_id_refused(void **state)
{
    static const char *const ids[] = {"example.com", "www.example.org", "org", "Example.org"};
    struct mg_webauthn_cred c;
    for (size_t i = 0; i < sizeof(ids) / sizeof(ids[0]); i++) {
        struct mg_webauthn_rp rp = {ids[i], "https://example.org", 0};
        assert_int_equal(reg(&rp, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, none_reg_json(NULL), &c), MG_WA_RP_ID);
        registered_none(&c);
        assert_int_equal(asrt(&rp, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, NULL)), MG_WA_RP_ID);
    }
}

static void flipped_signature_bit_refused(void **state)
{
    struct mg_webauthn_cred c, before;
    for (size_t bit = 0; bit < 72 * 8; bit += 37) {
        registered_none(&c);
        before = c;
        struct bytes ad = hex(W3C_NONE_ES256_AUTH_AUTHENTICATORDATA), sig = hex(W3C_NONE_ES256_AUTH_SIGNATURE);
        sig.p[bit / 8 % sig.len] ^= (uint8_t)(1u << (bit % 8));
        char *json = cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), hex(W3C_NONE_ES256_AUTH_CLIENTDATAJSON), NULL, &ad, &sig);
        assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, json), MG_WA_SIGNATURE);
        assert_memory_equal(&c, &before, sizeof(c)); /* untouched on failure */
    }
    /* and a changed counter under the original signature */
    registered_none(&c);
    struct bytes ad = hex(W3C_NONE_ES256_AUTH_AUTHENTICATORDATA), sig = hex(W3C_NONE_ES256_AUTH_SIGNATURE);
    ad.p[36] = 1;
    char *json = cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), hex(W3C_NONE_ES256_AUTH_CLIENTDATAJSON), NULL, &ad, &sig);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, json), MG_WA_SIGNATURE);
}

static void flags_refused(void **state)
{
    struct mg_webauthn_cred c;
    struct mg_webauthn_rp uv = {"example.org", "https://example.org", 1};
    registered_none(&c);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(0x18, 0, NULL)), MG_WA_UP); /* UP cleared */
    /* UV required, flags 0x19 (the vector as is) */
    struct bytes ad = hex(W3C_NONE_ES256_AUTH_AUTHENTICATORDATA), sig = hex(W3C_NONE_ES256_AUTH_SIGNATURE);
    char *json = cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), hex(W3C_NONE_ES256_AUTH_CLIENTDATAJSON), NULL, &ad, &sig);
    assert_int_equal(asrt(&uv, W3C_NONE_ES256_AUTH_CHALLENGE, &c, json), MG_WA_UV);
    assert_int_equal(asrt(&uv, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(0x1d, 0, NULL)), MG_WA_OK); /* UV set */
    assert_int_equal(reg(&uv, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, none_reg_json(NULL), &c), MG_WA_UV);
    registered_none(&c);
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(0x11, 0, NULL)), MG_WA_BACKUP_FLAGS); /* BS, no BE */
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(0x01, 0, NULL)), MG_WA_BACKUP_FLAGS); /* BE changed */
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(0x09, 0, NULL)), MG_WA_OK); /* BS may change */
    assert_int_equal(c.bs, 0);

    /* registration: UP cleared, BS without BE */
    struct bytes rad = none_authdata();
    rad.p[32] = 0x58;
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL,
                         none_reg_with_authdata(rad, hex(W3C_NONE_ES256_REG_CREDENTIAL_ID)), &c), MG_WA_UP);
    rad = none_authdata();
    rad.p[32] = 0x51;
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL,
                         none_reg_with_authdata(rad, hex(W3C_NONE_ES256_REG_CREDENTIAL_ID)), &c), MG_WA_BACKUP_FLAGS);
    rad = none_authdata(); /* the attestationObject builder itself is accepted */
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL,
                         none_reg_with_authdata(rad, hex(W3C_NONE_ES256_REG_CREDENTIAL_ID)), &c), MG_WA_OK);
}

static void off_curve_key_refused(void **state)
{
    struct mg_webauthn_cred c;
    struct bytes rad = none_authdata();
    rad.p[rad.len - 1] ^= 0x01; /* last byte of y */
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL,
                         none_reg_with_authdata(rad, hex(W3C_NONE_ES256_REG_CREDENTIAL_ID)), &c), MG_WA_MALFORMED);
    /* a stored key damaged after registration */
    registered_none(&c);
    c.pubkey[c.pubkey_len - 1] ^= 0x01;
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(-1, 0, NULL)), MG_WA_SIGNATURE);
}

/* Extensions (ED) in an assertion's authData are parsed and allowed; the
 * signature still covers them. */
static void assertion_with_extensions(void **state)
{
    struct mg_webauthn_cred c;
    registered_none(&c);
    for (int tamper = 0; tamper <= 1; tamper++) {
        struct bytes ad = hex(W3C_NONE_ES256_AUTH_AUTHENTICATORDATA), cdj = hex(W3C_NONE_ES256_AUTH_CLIENTDATAJSON);
        static const uint8_t ext[] = {0xa1, 0x61, 'x', 0x01}; /* {"x": 1} */
        ad.p = realloc(ad.p, ad.len + sizeof(ext));
        memcpy(ad.p + ad.len, ext, sizeof(ext));
        ad.len += sizeof(ext);
        ad.p[32] |= 0x80;
        ad.p[36] = (uint8_t)(1 + tamper);
        struct bytes sig = es256_sign(W3C_NONE_ES256_REG_CREDENTIAL_PRIVATE_KEY, ad, cdj);
        if (tamper)
            ad.p[ad.len - 1] = 0x02; /* the extension's value after signing */
        char *json = cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), cdj, NULL, &ad, &sig);
        assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, json), tamper ? MG_WA_SIGNATURE : MG_WA_OK);
    }
    /* ED set but no extensions follow: malformed */
    assert_int_equal(asrt(&RP, W3C_NONE_ES256_AUTH_CHALLENGE, &c, none_auth(0x99, 5, NULL)), MG_WA_MALFORMED);
}

int main(void)
{
    if (sodium_init() < 0)
        return 1;
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(w3c_none_es256_register_and_assert),
        cmocka_unit_test(w3c_packed_and_long_id_vectors),
        cmocka_unit_test(packed_attestation_bad_signature),
        cmocka_unit_test(origin_variants_refused),
        cmocka_unit_test(cross_origin_and_top_origin_refused),
        cmocka_unit_test(wrong_type_refused),
        cmocka_unit_test(changed_challenge_refused),
        cmocka_unit_test(replay_is_refused_by_the_caller_not_here),
        cmocka_unit_test(changed_rp_id_refused),
        cmocka_unit_test(flipped_signature_bit_refused),
        cmocka_unit_test(flags_refused),
        cmocka_unit_test(off_curve_key_refused),
        cmocka_unit_test(assertion_with_extensions),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
