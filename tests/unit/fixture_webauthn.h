/* fixture_webauthn.h: shared helpers of the WebAuthn unit tests
 * (test_webauthn.c, test_webauthn_policy.c): the W3C vectors as console JSON,
 * and ES256 re-signing with the none.ES256 vector's private key so a tampered
 * assertion is refused by the check it targets, not by the signature. */
#ifndef MG_TEST_FIXTURE_WEBAUTHN_H
#define MG_TEST_FIXTURE_WEBAUTHN_H

#define FX static __attribute__((unused))

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

FX struct bytes hex(const char *h)
{
    struct bytes b;
    size_t n = strlen(h);
    b.p = malloc(n / 2 + 1);
    assert_non_null(b.p);
    assert_int_equal(sodium_hex2bin(b.p, n / 2 + 1, h, n, NULL, &b.len, NULL), 0);
    return b;
}

FX struct bytes text(const char *s)
{
    struct bytes b = {(uint8_t *)strdup(s), strlen(s)};
    return b;
}

FX void challenge32(const char *h, uint8_t out[32])
{
    struct bytes b = hex(h);
    assert_int_equal(b.len, 32);
    memcpy(out, b.p, 32);
    free(b.p);
}

FX char *b64u(struct bytes b)
{
    size_t cap = sodium_base64_ENCODED_LEN(b.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    char *s = malloc(cap);
    assert_non_null(s);
    sodium_bin2base64(s, cap, b.p, b.len, sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    return s;
}

/* The console's JSON for a create() (att != NULL) or get() result. Frees its inputs. */
FX char *cred_json(struct bytes id, struct bytes cdj, struct bytes *att, struct bytes *ad, struct bytes *sig)
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

FX enum mg_webauthn_fail reg(const struct mg_webauthn_rp *rp, const char *chal_hex, const int *algs, size_t nalgs,
                                 char *json, struct mg_webauthn_cred *out)
{
    uint8_t chal[32];
    challenge32(chal_hex, chal);
    enum mg_webauthn_fail r = mg_webauthn_register(rp, chal, algs, nalgs, json, strlen(json), out);
    free(json);
    return r;
}

FX enum mg_webauthn_fail asrt(const struct mg_webauthn_rp *rp, const char *chal_hex, struct mg_webauthn_cred *c,
                                  char *json)
{
    uint8_t chal[32];
    challenge32(chal_hex, chal);
    enum mg_webauthn_fail r = mg_webauthn_assert(rp, chal, c, json, strlen(json));
    free(json);
    return r;
}

/* none.ES256 registration with its original clientDataJSON, or another one. */
FX char *none_reg_json(const char *cdj)
{
    struct bytes att = hex(W3C_NONE_ES256_REG_ATTESTATIONOBJECT);
    return cred_json(hex(W3C_NONE_ES256_REG_CREDENTIAL_ID), cdj ? text(cdj) : hex(W3C_NONE_ES256_REG_CLIENTDATAJSON),
                     &att, NULL, NULL);
}

/* An attestationObject {fmt, attStmt: stmt (CBOR), authData: ad (consumed)}. */
FX struct bytes attobj_stmt(const char *fmt, const char *stmt, size_t stmt_len, struct bytes ad)
{
    struct bytes o;
    size_t fl = strlen(fmt);
    o.p = malloc(ad.len + stmt_len + 64);
    size_t n = 0;
    o.p[n++] = 0xa3;
    o.p[n++] = 0x63, memcpy(o.p + n, "fmt", 3), n += 3;
    o.p[n++] = (uint8_t)(0x60 + fl), memcpy(o.p + n, fmt, fl), n += fl;
    o.p[n++] = 0x67, memcpy(o.p + n, "attStmt", 7), n += 7;
    memcpy(o.p + n, stmt, stmt_len), n += stmt_len;
    o.p[n++] = 0x68, memcpy(o.p + n, "authData", 8), n += 8;
    o.p[n++] = 0x59, o.p[n++] = (uint8_t)(ad.len >> 8), o.p[n++] = (uint8_t)ad.len;
    memcpy(o.p + n, ad.p, ad.len), n += ad.len;
    o.len = n;
    free(ad.p);
    return o;
}

/* The same with an empty attStmt, as "none" has. */
FX struct bytes attobj(const char *fmt, struct bytes ad)
{
    return attobj_stmt(fmt, "\xa0", 1, ad);
}

/* The none.ES256 registration's authData (164 bytes after a 30-byte prefix). */
FX struct bytes none_authdata(void)
{
    struct bytes a = hex(W3C_NONE_ES256_REG_ATTESTATIONOBJECT), ad;
    assert_int_equal(a.len, 30 + 164);
    ad.len = 164;
    ad.p = malloc(ad.len);
    memcpy(ad.p, a.p + 30, ad.len);
    free(a.p);
    return ad;
}

FX char *none_reg_with_authdata(struct bytes ad, struct bytes id)
{
    struct bytes att = attobj("none", ad);
    return cred_json(id, hex(W3C_NONE_ES256_REG_CLIENTDATAJSON), &att, NULL, NULL);
}

FX void registered_none(struct mg_webauthn_cred *c)
{
    assert_int_equal(reg(&RP, W3C_NONE_ES256_REG_CHALLENGE, ALL_ALGS, NALL, none_reg_json(NULL), c), MG_WA_OK);
}

/* ES256 signature over authData || SHA-256(cdj) with the vector's private key. */
FX struct bytes es256_sign(const char *priv_hex, struct bytes ad, struct bytes cdj)
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
FX char *none_auth(int flags, uint32_t count, const char *cdj_text)
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
FX char *get_cdj(char *buf, size_t cap, const char *type, const char *origin, const char *extra)
{
    struct bytes c = hex(W3C_NONE_ES256_AUTH_CHALLENGE);
    char *s = b64u(c);
    snprintf(buf, cap, "{\"type\":\"%s\",\"challenge\":\"%s\",\"origin\":\"%s\"%s}", type, s, origin, extra);
    free(s);
    free(c.p);
    return buf;
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

FX char *vec_reg_json(const struct pair *v, int flip_att_sig)
{
    struct bytes att = hex(v->att);
    if (flip_att_sig) { /* attStmt "sig": text(3) "sig" then a byte string */
        uint8_t *s = memmem(att.p, att.len, "\x63sig", 4);
        assert_non_null(s);
        s[4 + 2 + 20] ^= 0x01; /* inside r or s of the DER signature */
    }
    return cred_json(hex(v->id), hex(v->reg_cdj), &att, NULL, NULL);
}

FX char *vec_auth_json(const struct pair *v)
{
    struct bytes ad = hex(v->ad), sig = hex(v->sig);
    return cred_json(hex(v->id), hex(v->auth_cdj), NULL, &ad, &sig);
}

#endif
