/* Unit tests: WebAuthn RP verification (auth/webauthn.c) against the W3C
 * Level 3 test vectors (tests/unit/data/webauthn/w3c_vectors.h) and the
 * tampered variants of SECURITY-REFERENCES §8 items 18-22.  Tampered
 * assertions are re-signed with the vector's credential private key, so each
 * one is refused by the check it targets and not by the signature. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <jansson.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "auth/webauthn.h"
#include "core/mg.h"
#include "data/webauthn/w3c_vectors.h"

static const struct mg_webauthn_rp RP = {"example.org", "https://example.org", 0};
static const int ALL_ALGS[] = {MG_WEBAUTHN_EDDSA, MG_WEBAUTHN_ES256, MG_WEBAUTHN_RS256};
#define NALL (sizeof(ALL_ALGS) / sizeof(ALL_ALGS[0]))

struct bytes {
    uint8_t *p;
    size_t len;
};

static struct bytes hex(const char *h)
{
    struct bytes b;
    size_t n = strlen(h);
    b.p = malloc(n / 2 + 1);
    assert_non_null(b.p);
    assert_int_equal(sodium_hex2bin(b.p, n / 2 + 1, h, n, NULL, &b.len, NULL), 0);
    return b;
}

static struct bytes text(const char *s)
{
    struct bytes b = {(uint8_t *)strdup(s), strlen(s)};
    return b;
}

static void challenge32(const char *h, uint8_t out[32])
{
    struct bytes b = hex(h);
    assert_int_equal(b.len, 32);
    memcpy(out, b.p, 32);
    free(b.p);
}

static char *b64u(struct bytes b)
{
    size_t cap = sodium_base64_ENCODED_LEN(b.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = malloc(cap);
    assert_non_null(s);
    sodium_bin2base64(s, cap, b.p, b.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

/* The console's JSON for a create() (att != NULL) or get() result. Frees its inputs. */
static char *cred_json(struct bytes id, struct bytes cdj, struct bytes *att, struct bytes *ad, struct bytes *sig)
{
    char *sid = b64u(id), *scd = b64u(cdj);
    json_t *resp = json_pack("{s:s}", "clientDataJSON", scd);
    char *s;
    if (att != NULL) {
        json_object_set_new(resp, "attestationObject", json_string(s = b64u(*att)));
        free(s);
        free(att->p);
    } else {
        json_object_set_new(resp, "authenticatorData", json_string(s = b64u(*ad)));
        free(s);
        json_object_set_new(resp, "signature", json_string(s = b64u(*sig)));
        free(s);
        free(ad->p);
        free(sig->p);
    }
    json_t *root = json_pack("{s:s, s:s, s:s, s:o}", "id", sid, "rawId", sid, "type", "public-key", "response", resp);
    char *out = json_dumps(root, JSON_COMPACT);
    json_decref(root);
    free(sid);
    free(scd);
    free(id.p);
    free(cdj.p);
    return out;
}

static enum mg_webauthn_fail reg(const struct mg_webauthn_rp *rp, const char *chal_hex, const int *algs, size_t nalgs,
                                 char *json, struct mg_webauthn_cred *out)
{
    uint8_t chal[32];
    challenge32(chal_hex, chal);
    enum mg_webauthn_fail r = mg_webauthn_register(rp, chal, algs, nalgs, json, strlen(json), out);
    free(json);
    return r;
}

static enum mg_webauthn_fail asrt(const struct mg_webauthn_rp *rp, const char *chal_hex, struct mg_webauthn_cred *c,
                                  char *json)
{
    uint8_t chal[32];
    challenge32(chal_hex, chal);
    enum mg_webauthn_fail r = mg_webauthn_assert(rp, chal, c, json, strlen(json));
    free(json);
    return r;
}

/* none.ES256 registration with its original clientDataJSON, or another one. */
static char *none_reg_json(const char *cdj)
{
    struct bytes att = hex(W3C_NONE_ES256_REG_ATTESTATIONOBJECT);
    return cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), cdj ? text(cdj) : hex(W3C_NONE_ES256_REG_CLIENTDATAJSON),
                     &att, NULL, NULL);
}

/* "none" attestationObject around authData ad (consumed), with fmt. */
static struct bytes attobj(const char *fmt, struct bytes ad)
{
    struct bytes o;
    size_t fl = strlen(fmt);
    o.p = malloc(ad.len + 64);
    size_t n = 0;
    o.p[n++] = 0xa3;
    o.p[n++] = 0x63, memcpy(o.p + n, "fmt", 3), n += 3;
    o.p[n++] = (uint8_t)(0x60 + fl), memcpy(o.p + n, fmt, fl), n += fl;
    o.p[n++] = 0x67, memcpy(o.p + n, "attStmt", 7), n += 7;
    o.p[n++] = 0xa0;
    o.p[n++] = 0x68, memcpy(o.p + n, "authData", 8), n += 8;
    o.p[n++] = 0x59, o.p[n++] = (uint8_t)(ad.len >> 8), o.p[n++] = (uint8_t)ad.len;
    memcpy(o.p + n, ad.p, ad.len), n += ad.len;
    o.len = n;
    free(ad.p);
    return o;
}

/* The none.ES256 registration's authData (164 bytes after a 30-byte prefix). */
static struct bytes none_authdata(void)
{
    struct bytes a = hex(W3C_NONE_ES256_REG_ATTESTATIONOBJECT), ad;
    assert_int_equal(a.len, 30 + 164);
    ad.len = 164;
    ad.p = malloc(ad.len);
    memcpy(ad.p, a.p + 30, ad.len);
    free(a.p);
    return ad;
}

static char *none_reg_with_authdata(struct bytes ad, struct bytes id)
{
    struct bytes att = attobj("none", ad);
    return cred_json(id, hex(W3C_NONE_ES256_REG_CLIENTDATAJSON), &att, NULL, NULL);
}

static void registered_none(struct mg_webauthn_cred *c)
{
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, none_reg_json(NULL), c), MG_WA_OK);
}

/* ES256 signature over authData || SHA-256(cdj) with the vector's private key. */
static struct bytes es256_sign(const char *priv_hex, struct bytes ad, struct bytes cdj)
{
    struct bytes priv = hex(priv_hex), sig;
    BIGNUM *d = BN_bin2bn(priv.p, (int)priv.len, NULL);
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    OSSL_PARAM_BLD_push_utf8_string(bld, OSSL_PKEY_PARAM_GROUP_NAME, "prime256v1", 0);
    OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_PRIV_KEY, d);
    OSSL_PARAM *params = OSSL_PARAM_BLD_to_param(bld);
    EVP_PKEY_CTX *pctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    EVP_PKEY *k = NULL;
    assert_int_equal(EVP_PKEY_fromdata_init(pctx), 1);
    assert_int_equal(EVP_PKEY_fromdata(pctx, &k, EVP_PKEY_KEYPAIR, params), 1);
    size_t mlen = ad.len + 32;
    uint8_t *msg = malloc(mlen);
    memcpy(msg, ad.p, ad.len);
    crypto_hash_sha256(msg + ad.len, cdj.p, cdj.len);
    EVP_MD_CTX *md = EVP_MD_CTX_new();
    sig.p = malloc(80);
    sig.len = 80;
    assert_int_equal(EVP_DigestSignInit(md, NULL, EVP_sha256(), NULL, k), 1);
    assert_int_equal(EVP_DigestSign(md, sig.p, &sig.len, msg, mlen), 1);
    EVP_MD_CTX_free(md);
    free(msg);
    EVP_PKEY_free(k);
    EVP_PKEY_CTX_free(pctx);
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(d);
    free(priv.p);
    return sig;
}

/* A none.ES256 assertion with flags, signCount and clientDataJSON (NULL: the
 * vector's) replaced, re-signed. */
static char *none_auth(int flags, uint32_t count, const char *cdj_text)
{
    struct bytes ad = hex(W3C_NONE_ES256_AUTH_AUTHENTICATORDATA);
    struct bytes cdj = cdj_text ? text(cdj_text) : hex(W3C_NONE_ES256_AUTH_CLIENTDATAJSON);
    if (flags >= 0)
        ad.p[32] = (uint8_t)flags;
    ad.p[33] = (uint8_t)(count >> 24), ad.p[34] = (uint8_t)(count >> 16);
    ad.p[35] = (uint8_t)(count >> 8), ad.p[36] = (uint8_t)count;
    struct bytes sig = es256_sign(W3C_NONE_ES256_REG_CREDENTIAL_PRIVATE_KEY, ad, cdj);
    return cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), cdj, NULL, &ad, &sig);
}

/* A get clientDataJSON for the none.ES256 authentication challenge. */
static char *get_cdj(char *buf, size_t cap, const char *type, const char *origin, const char *extra)
{
    struct bytes c = hex(W3C_NONE_ES256_AUTH_CHALLENGE);
    char *s = b64u(c);
    snprintf(buf, cap, "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\"%s}", type, s, origin, extra);
    free(s);
    free(c.p);
    return buf;
}

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

struct pair {
    const char *name, *reg_chal, *id, *reg_cdj, *att, *auth_chal, *auth_cdj, *ad, *sig;
    int alg;
};

static const struct pair VECTORS[] = {
    {"packed.EdDSA", W3C_PACKED_EDDSA_REG_CHALLENGE, W3C_PACKED_EDDSA_REG_CREDENTIAL_ID,
     W3C_PACKED_EDDSA_REG_CLIENTDATAJSON, W3C_PACKED_EDDSA_REG_ATTESTATIONOBJECT, W3C_PACKED_EDDSA_AUTH_CHALLENGE,
     W3C_PACKED_EDDSA_AUTH_CLIENTDATAJSON, W3C_PACKED_EDDSA_AUTH_AUTHENTICATORDATA, W3C_PACKED_EDDSA_AUTH_SIGNATURE,
     MG_WEBAUTHN_EDDSA},
    {"packed.RS256", W3C_PACKED_RS256_REG_CHALLENGE, W3C_PACKED_RS256_REG_CREDENTIAL_ID,
     W3C_PACKED_RS256_REG_CLIENTDATAJSON, W3C_PACKED_RS256_REG_ATTESTATIONOBJECT, W3C_PACKED_RS256_AUTH_CHALLENGE,
     W3C_PACKED_RS256_AUTH_CLIENTDATAJSON, W3C_PACKED_RS256_AUTH_AUTHENTICATORDATA, W3C_PACKED_RS256_AUTH_SIGNATURE,
     MG_WEBAUTHN_RS256},
    {"packed.ES256", W3C_PACKED_ES256_REG_CHALLENGE, W3C_PACKED_ES256_REG_CREDENTIAL_ID,
     W3C_PACKED_ES256_REG_CLIENTDATAJSON, W3C_PACKED_ES256_REG_ATTESTATIONOBJECT, W3C_PACKED_ES256_AUTH_CHALLENGE,
     W3C_PACKED_ES256_AUTH_CLIENTDATAJSON, W3C_PACKED_ES256_AUTH_AUTHENTICATORDATA, W3C_PACKED_ES256_AUTH_SIGNATURE,
     MG_WEBAUTHN_ES256},
    {"packed-self.ES256", W3C_PACKED_SELF_ES256_REG_CHALLENGE, W3C_PACKED_SELF_ES256_REG_CREDENTIAL_ID,
     W3C_PACKED_SELF_ES256_REG_CLIENTDATAJSON, W3C_PACKED_SELF_ES256_REG_ATTESTATIONOBJECT,
     W3C_PACKED_SELF_ES256_AUTH_CHALLENGE, W3C_PACKED_SELF_ES256_AUTH_CLIENTDATAJSON,
     W3C_PACKED_SELF_ES256_AUTH_AUTHENTICATORDATA, W3C_PACKED_SELF_ES256_AUTH_SIGNATURE, MG_WEBAUTHN_ES256},
    {"none.ES256.long-credential-id", W3C_LONG_ID_REG_CHALLENGE, W3C_LONG_ID_REG_CREDENTIAL_ID,
     W3C_LONG_ID_REG_CLIENTDATAJSON, W3C_LONG_ID_REG_ATTESTATIONOBJECT, W3C_LONG_ID_AUTH_CHALLENGE,
     W3C_LONG_ID_AUTH_CLIENTDATAJSON, W3C_LONG_ID_AUTH_AUTHENTICATORDATA, W3C_LONG_ID_AUTH_SIGNATURE,
     MG_WEBAUTHN_ES256},
};

static char *vec_reg_json(const struct pair *v, int flip_att_sig)
{
    struct bytes att = hex(v->att);
    if (flip_att_sig) { /* attStmt "sig": text(3) "sig" then a byte string */
        uint8_t *s = memmem(att.p, att.len, "\x63sig", 4);
        assert_non_null(s);
        s[4 + 2 + 20] ^= 0x01; /* inside r or s of the DER signature */
    }
    return cred_json(hex(v->id), hex(v->reg_cdj), &att, NULL, NULL);
}

static char *vec_auth_json(const struct pair *v)
{
    struct bytes ad = hex(v->ad), sig = hex(v->sig);
    return cred_json(hex(v->id), hex(v->auth_cdj), NULL, &ad, &sig);
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
        cmocka_unit_test(alg_refused),
        cmocka_unit_test(credential_id_length),
        cmocka_unit_test(sign_count_policy),
        cmocka_unit_test(unknown_credential_and_format),
        cmocka_unit_test(malformed_and_ceilings),
        cmocka_unit_test(fail_names),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
