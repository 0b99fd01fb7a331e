/* webauthn_cbor.c: authenticator data, COSE keys, attestation objects and
 * signature checks for auth/webauthn.c (see webauthn_cbor.h). */
#include "auth/webauthn_cbor.h"

#include <fido.h>
#include <fido/eddsa.h>
#include <fido/es256.h>
#include <openssl/core_names.h>
#include <openssl/evp.h>
#include <openssl/param_build.h>
#include <openssl/x509.h>
#include <stdlib.h>
#include <string.h>

#define AUTHDATA_FIXED 37     /* rpIdHash 32, flags 1, signCount 4 */
#define ATTESTED_FIXED 18     /* aaguid 16, credentialIdLength 2 */
#define RSA_MIN_BITS 2048     /* smaller RSA keys are refused */
#define CBOR_MAX_DEPTH 16     /* attestationObject > attStmt > x5c > cert is 3; COSE keys 1 */

static uint32_t be32(const uint8_t *p)
{
    return (uint32_t)p[0] << 24 | (uint32_t)p[1] << 16 | (uint32_t)p[2] << 8 | p[3];
}

/* Walks one CBOR item at p[*off..len) without allocating, advancing *off
 * past it.  0 unless it is well-formed, definite-length (CTAP2 canonical
 * CBOR has no indefinite lengths), nested at most CBOR_MAX_DEPTH deep, and
 * every declared length fits in the bytes that remain.  libcbor 0.8 allocates
 * a container for its declared size before reading it (a 9-byte input can ask
 * for gigabytes), so nothing reaches cbor_load() before this walk. */
static int cbor_walk(const uint8_t *p, size_t len, size_t *off, int depth)
{
    if (depth > CBOR_MAX_DEPTH || *off >= len)
        return 0;
    uint8_t ib = p[(*off)++], major = ib >> 5, ai = ib & 0x1f;
    uint64_t v = ai;
    if (ai >= 24 && ai <= 27) {
        size_t n = (size_t)1 << (ai - 24);
        if (len - *off < n)
            return 0;
        v = 0;
        for (size_t i = 0; i < n; i++)
            v = v << 8 | p[(*off)++];
    } else if (ai > 27) {
        return 0; /* reserved, or an indefinite length */
    }
    size_t left = len - *off;
    switch (major) {
    case 2: /* byte string */
    case 3: /* text string */
        if (v > left)
            return 0;
        *off += (size_t)v;
        return 1;
    case 4: /* array: each element is at least one byte */
    case 5: /* map: two items per entry */
        if (v > (major == 4 ? left : left / 2))
            return 0;
        for (uint64_t i = 0; i < (major == 4 ? v : 2 * v); i++)
            if (!cbor_walk(p, len, off, depth + 1))
                return 0;
        return 1;
    case 6: /* tag */
        return cbor_walk(p, len, off, depth + 1);
    default: /* integers, simple values, floats */
        return 1;
    }
}

/* Decodes one CBOR item from p[0..len): *used gets its length. NULL on error. */
static cbor_item_t *load(const uint8_t *p, size_t len, size_t *used)
{
    struct cbor_load_result r;
    size_t end = 0;
    if (!cbor_walk(p, len, &end, 0))
        return NULL;
    cbor_item_t *it = cbor_load(p, end, &r);
    if (it == NULL || r.error.code != CBOR_ERR_NONE || r.read != end) {
        if (it != NULL)
            cbor_decref(&it);
        return NULL;
    }
    *used = r.read;
    return it;
}

enum mg_webauthn_fail mg_wa_authdata_parse(const uint8_t *p, size_t len, struct mg_wa_authdata *out)
{
    memset(out, 0, sizeof(*out));
    if (len < AUTHDATA_FIXED)
        return MG_WA_MALFORMED;
    out->raw = p;
    out->len = len;
    out->rp_id_hash = p;
    out->flags = p[32];
    out->sign_count = be32(p + 33);
    size_t off = AUTHDATA_FIXED;
    if (out->flags & MG_WA_FLAG_AT) {
        if (len - off < ATTESTED_FIXED)
            return MG_WA_MALFORMED;
        size_t idlen = (size_t)p[off + 16] << 8 | p[off + 17];
        off += ATTESTED_FIXED;
        if (idlen == 0 || len - off < idlen)
            return MG_WA_MALFORMED;
        out->cred_id = p + off;
        out->cred_id_len = idlen;
        off += idlen;
        size_t used;
        cbor_item_t *key = load(p + off, len - off, &used);
        if (key == NULL)
            return MG_WA_MALFORMED;
        cbor_decref(&key);
        out->cose = p + off;
        out->cose_len = used;
        off += used;
    }
    if (out->flags & MG_WA_FLAG_ED) {
        size_t used;
        cbor_item_t *ext = load(p + off, len - off, &used);
        if (ext == NULL)
            return MG_WA_MALFORMED;
        int ok = cbor_isa_map(ext);
        cbor_decref(&ext);
        if (!ok)
            return MG_WA_MALFORMED;
        off += used;
    }
    return off == len ? MG_WA_OK : MG_WA_MALFORMED;
}

/* ---- COSE keys ---------------------------------------------------------- */

struct cose {
    int64_t kty, alg, crv; /* 0 when absent */
    const uint8_t *b1, *b2, *b3; /* labels -1 (RSA n), -2 (x / RSA e), -3 (y) as bytes */
    size_t b1_len, b2_len, b3_len;
};

static int cbor_int(const cbor_item_t *it, int64_t *v)
{
    if (cbor_isa_uint(it)) {
        uint64_t u = cbor_get_int(it);
        if (u > INT32_MAX)
            return 0;
        *v = (int64_t)u;
        return 1;
    }
    if (cbor_isa_negint(it)) {
        uint64_t u = cbor_get_int(it);
        if (u > INT32_MAX)
            return 0;
        *v = -1 - (int64_t)u;
        return 1;
    }
    return 0;
}

static int cbor_bytes(const cbor_item_t *it, const uint8_t **p, size_t *len)
{
    if (!cbor_isa_bytestring(it) || !cbor_bytestring_is_definite(it))
        return 0;
    *p = cbor_bytestring_handle(it);
    *len = cbor_bytestring_length(it);
    return 1;
}

/* Decodes the COSE map into c (pointers into the item, which the caller keeps
 * until it is done with c).  0 on a bad shape or a repeated label. */
static int cose_decode(const cbor_item_t *m, struct cose *c)
{
    memset(c, 0, sizeof(*c));
    if (!cbor_isa_map(m) || !cbor_map_is_definite(m))
        return 0;
    struct cbor_pair *pairs = cbor_map_handle(m);
    unsigned seen = 0;
    for (size_t i = 0; i < cbor_map_size(m); i++) {
        int64_t label;
        if (!cbor_int(pairs[i].key, &label))
            return 0;
        unsigned bit = label >= -3 && label <= 3 ? 1u << (label + 3) : 0;
        if (seen & bit)
            return 0;
        seen |= bit;
        const cbor_item_t *v = pairs[i].value;
        int ok = 1;
        switch (label) {
        case 1: ok = cbor_int(v, &c->kty); break;
        case 3: ok = cbor_int(v, &c->alg); break;
        case -1:
            if (!cbor_int(v, &c->crv))
                ok = cbor_bytes(v, &c->b1, &c->b1_len);
            break;
        case -2: ok = cbor_bytes(v, &c->b2, &c->b2_len); break;
        case -3: ok = cbor_bytes(v, &c->b3, &c->b3_len); break;
        default: break; /* other labels (kid, key_ops) are ignored */
        }
        if (!ok)
            return 0;
    }
    return 1;
}

static EVP_PKEY *rsa_key(const struct cose *c)
{
    EVP_PKEY *k = NULL;
    OSSL_PARAM *params = NULL;
    OSSL_PARAM_BLD *bld = OSSL_PARAM_BLD_new();
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "RSA", NULL);
    BIGNUM *n = BN_bin2bn(c->b1, (int)c->b1_len, NULL), *e = BN_bin2bn(c->b2, (int)c->b2_len, NULL);
    if (bld == NULL || ctx == NULL || n == NULL || e == NULL)
        abort();
    int ok = BN_num_bits(n) >= RSA_MIN_BITS && BN_is_odd(e) && !BN_is_one(e) &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_N, n) &&
             OSSL_PARAM_BLD_push_BN(bld, OSSL_PKEY_PARAM_RSA_E, e) && (params = OSSL_PARAM_BLD_to_param(bld)) != NULL &&
             EVP_PKEY_fromdata_init(ctx) == 1 && EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) == 1;
    if (!ok) {
        EVP_PKEY_free(k);
        k = NULL;
    }
    OSSL_PARAM_free(params);
    OSSL_PARAM_BLD_free(bld);
    BN_free(n);
    BN_free(e);
    EVP_PKEY_CTX_free(ctx);
    return k;
}

static EVP_PKEY *p256_key(const struct cose *c)
{
    uint8_t pt[65];
    pt[0] = 0x04;
    memcpy(pt + 1, c->b2, 32);
    memcpy(pt + 33, c->b3, 32);
    OSSL_PARAM params[] = {
        OSSL_PARAM_construct_utf8_string(OSSL_PKEY_PARAM_GROUP_NAME, (char *)"prime256v1", 0),
        OSSL_PARAM_construct_octet_string(OSSL_PKEY_PARAM_PUB_KEY, pt, sizeof(pt)),
        OSSL_PARAM_construct_end(),
    };
    EVP_PKEY *k = NULL;
    EVP_PKEY_CTX *ctx = EVP_PKEY_CTX_new_from_name(NULL, "EC", NULL);
    if (ctx == NULL || EVP_PKEY_fromdata_init(ctx) != 1 || EVP_PKEY_fromdata(ctx, &k, EVP_PKEY_PUBLIC_KEY, params) != 1)
        k = NULL;
    EVP_PKEY_CTX_free(ctx);
    if (k != NULL) { /* the point must be on the curve (§3.3) */
        EVP_PKEY_CTX *chk = EVP_PKEY_CTX_new_from_pkey(NULL, k, NULL);
        int ok = chk != NULL && EVP_PKEY_public_check(chk) == 1;
        EVP_PKEY_CTX_free(chk);
        if (!ok) {
            EVP_PKEY_free(k);
            k = NULL;
        }
    }
    return k;
}

/* The OpenSSL key for a supported, well-formed COSE key; *res says why not. */
static EVP_PKEY *cose_key(const uint8_t *p, size_t len, int *alg, enum mg_webauthn_fail *res)
{
    size_t used;
    struct cose c;
    EVP_PKEY *k = NULL;
    *res = MG_WA_MALFORMED;
    cbor_item_t *m = load(p, len, &used);
    if (m == NULL)
        return NULL;
    if (used != len || !cose_decode(m, &c))
        goto out;
    *alg = (int)c.alg;
    if (c.alg == MG_WEBAUTHN_ES256) {
        if (c.kty == 2 && c.crv == 1 && c.b2_len == 32 && c.b3_len == 32)
            k = p256_key(&c);
    } else if (c.alg == MG_WEBAUTHN_EDDSA) {
        if (c.kty == 1 && c.crv == 6 && c.b2_len == 32)
            k = EVP_PKEY_new_raw_public_key(EVP_PKEY_ED25519, NULL, c.b2, 32);
    } else if (c.alg == MG_WEBAUTHN_RS256) {
        if (c.kty == 3 && c.b1 != NULL && c.b2 != NULL)
            k = rsa_key(&c);
    } else {
        *res = MG_WA_ALG;
        goto out;
    }
    if (k != NULL)
        *res = MG_WA_OK;
out:
    cbor_decref(&m);
    return k;
}

enum mg_webauthn_fail mg_wa_cose_check(const uint8_t *cose, size_t len, int *alg)
{
    enum mg_webauthn_fail res;
    EVP_PKEY *k = cose_key(cose, len, alg, &res);
    EVP_PKEY_free(k);
    return res;
}

/* ---- signatures --------------------------------------------------------- */

/* Verifies sig over authData || cdh with k, for COSE alg (-7, -8, -257). */
static int evp_verify(EVP_PKEY *k, int64_t alg, const uint8_t *ad, size_t ad_len, const uint8_t cdh[32],
                      const uint8_t *sig, size_t sig_len)
{
    int ok = 0;
    const EVP_MD *md = alg == MG_WEBAUTHN_EDDSA ? NULL : EVP_sha256();
    uint8_t *msg = malloc(ad_len + 32);
    EVP_MD_CTX *ctx = EVP_MD_CTX_new();
    if (msg == NULL || ctx == NULL)
        abort();
    memcpy(msg, ad, ad_len);
    memcpy(msg + ad_len, cdh, 32);
    int type = EVP_PKEY_get_base_id(k);
    int fits = (alg == MG_WEBAUTHN_ES256 && type == EVP_PKEY_EC) || (alg == MG_WEBAUTHN_EDDSA && type == EVP_PKEY_ED25519) ||
               (alg == MG_WEBAUTHN_RS256 && type == EVP_PKEY_RSA);
    if (fits && EVP_DigestVerifyInit(ctx, NULL, md, NULL, k) == 1)
        ok = EVP_DigestVerify(ctx, sig, sig_len, msg, ad_len + 32) == 1;
    EVP_MD_CTX_free(ctx);
    free(msg);
    return ok;
}

enum mg_webauthn_fail mg_wa_assert_sig(const char *rp_id, int alg, const uint8_t *cose, size_t cose_len,
                                       const uint8_t *authdata, size_t ad_len, const uint8_t cdh[32],
                                       const uint8_t *sig, size_t sig_len)
{
    int key_alg = 0;
    enum mg_webauthn_fail res;
    EVP_PKEY *k = cose_key(cose, cose_len, &key_alg, &res);
    if (k == NULL || key_alg != alg) {
        EVP_PKEY_free(k);
        return MG_WA_SIGNATURE;
    }
    int ok = 0;
    if (alg == MG_WEBAUTHN_RS256) {
        ok = evp_verify(k, alg, authdata, ad_len, cdh, sig, sig_len);
    } else {
        es256_pk_t *es = NULL;
        eddsa_pk_t *ed = NULL;
        const void *pk = NULL;
        int fido_alg = alg == MG_WEBAUTHN_ES256 ? COSE_ES256 : COSE_EDDSA;
        if (alg == MG_WEBAUTHN_ES256) {
            es = es256_pk_new();
            if (es != NULL && es256_pk_from_EVP_PKEY(es, k) == FIDO_OK)
                pk = es;
        } else {
            ed = eddsa_pk_new();
            if (ed != NULL && eddsa_pk_from_EVP_PKEY(ed, k) == FIDO_OK)
                pk = ed;
        }
        fido_assert_t *a = fido_assert_new();
        ok = pk != NULL && a != NULL && fido_assert_set_count(a, 1) == FIDO_OK &&
             fido_assert_set_rp(a, rp_id) == FIDO_OK && fido_assert_set_clientdata_hash(a, cdh, 32) == FIDO_OK &&
             fido_assert_set_authdata_raw(a, 0, authdata, ad_len) == FIDO_OK &&
             fido_assert_set_sig(a, 0, sig, sig_len) == FIDO_OK && fido_assert_set_up(a, FIDO_OPT_TRUE) == FIDO_OK &&
             fido_assert_verify(a, 0, fido_alg, pk) == FIDO_OK;
        fido_assert_free(&a);
        es256_pk_free(&es);
        eddsa_pk_free(&ed);
    }
    EVP_PKEY_free(k);
    return ok ? MG_WA_OK : MG_WA_SIGNATURE;
}

/* ---- attestation objects ------------------------------------------------ */

static int text_is(const cbor_item_t *it, const char *s)
{
    size_t n = strlen(s);
    return cbor_isa_string(it) && cbor_string_is_definite(it) && cbor_string_length(it) == n &&
           memcmp(cbor_string_handle(it), s, n) == 0;
}

enum mg_webauthn_fail mg_wa_attobj_parse(const uint8_t *p, size_t len, struct mg_wa_attobj *out)
{
    size_t used;
    memset(out, 0, sizeof(*out));
    cbor_item_t *m = load(p, len, &used);
    if (m == NULL)
        return MG_WA_MALFORMED;
    int fmt = 0, stmt = 0, ad = 0;
    if (used != len || !cbor_isa_map(m) || !cbor_map_is_definite(m) || cbor_map_size(m) != 3)
        goto bad;
    struct cbor_pair *pairs = cbor_map_handle(m);
    for (size_t i = 0; i < 3; i++) {
        cbor_item_t *k = pairs[i].key, *v = pairs[i].value;
        if (text_is(k, "fmt") && !fmt++) {
            if (!cbor_isa_string(v) || !cbor_string_is_definite(v) || cbor_string_length(v) >= sizeof(out->fmt) ||
                memchr(cbor_string_handle(v), 0, cbor_string_length(v)) != NULL)
                goto bad;
            memcpy(out->fmt, cbor_string_handle(v), cbor_string_length(v));
        } else if (text_is(k, "attStmt") && !stmt++) {
            if (!cbor_isa_map(v) || !cbor_map_is_definite(v))
                goto bad;
            out->stmt = v;
        } else if (text_is(k, "authData") && !ad++) {
            if (!cbor_bytes(v, &out->authdata, &out->ad_len))
                goto bad;
        } else {
            goto bad;
        }
    }
    out->root = m;
    return MG_WA_OK;
bad:
    cbor_decref(&m);
    memset(out, 0, sizeof(*out));
    return MG_WA_MALFORMED;
}

void mg_wa_attobj_free(struct mg_wa_attobj *a)
{
    if (a->root != NULL)
        cbor_decref(&a->root);
    memset(a, 0, sizeof(*a));
}

/* libfido2's packed verification (fido_cred_verify for x5c, _verify_self
 * otherwise) of an ES256 or EdDSA credential: it decodes authData and the
 * attStmt itself and checks rpIdHash, UP and the signature. */
static int fido_packed(const struct mg_wa_attobj *a, const struct mg_wa_authdata *ad, const uint8_t cdh[32],
                       int cred_alg, const char *rp_id, int has_x5c)
{
    unsigned char *stmt = NULL;
    size_t cap = 0, stmt_len = cbor_serialize_alloc(a->stmt, &stmt, &cap);
    fido_cred_t *c = fido_cred_new();
    if (c == NULL || stmt_len == 0)
        abort();
    int ok = fido_cred_set_type(c, cred_alg == MG_WEBAUTHN_ES256 ? COSE_ES256 : COSE_EDDSA) == FIDO_OK &&
             fido_cred_set_authdata_raw(c, ad->raw, ad->len) == FIDO_OK &&
             fido_cred_set_clientdata_hash(c, cdh, 32) == FIDO_OK && fido_cred_set_rp(c, rp_id, NULL) == FIDO_OK &&
             fido_cred_set_fmt(c, "packed") == FIDO_OK && fido_cred_set_attstmt(c, stmt, stmt_len) == FIDO_OK &&
             (has_x5c ? fido_cred_verify(c) : fido_cred_verify_self(c)) == FIDO_OK;
    fido_cred_free(&c);
    free(stmt);
    return ok;
}

enum mg_webauthn_fail mg_wa_packed_verify(const struct mg_wa_attobj *a, const struct mg_wa_authdata *ad,
                                          const uint8_t cdh[32], int cred_alg, const char *rp_id)
{
    int64_t alg = 0;
    const uint8_t *sig = NULL, *leaf = NULL;
    size_t sig_len = 0, leaf_len = 0;
    int has_alg = 0, has_x5c = 0;
    struct cbor_pair *pairs = cbor_map_handle(a->stmt);
    for (size_t i = 0; i < cbor_map_size(a->stmt); i++) {
        const cbor_item_t *k = pairs[i].key, *v = pairs[i].value;
        if (text_is(k, "alg") && !has_alg) {
            if (!cbor_int(v, &alg))
                return MG_WA_ATTESTATION;
            has_alg = 1;
        } else if (text_is(k, "sig") && sig == NULL) {
            if (!cbor_bytes(v, &sig, &sig_len))
                return MG_WA_ATTESTATION;
        } else if (text_is(k, "x5c") && !has_x5c) {
            if (!cbor_isa_array(v) || !cbor_array_is_definite(v) || cbor_array_size(v) == 0 ||
                !cbor_bytes(cbor_array_handle(v)[0], &leaf, &leaf_len))
                return MG_WA_ATTESTATION;
            has_x5c = 1;
        } else {
            return MG_WA_ATTESTATION; /* ecdaaKeyId, repeated or unknown keys */
        }
    }
    if (!has_alg || sig == NULL || (!has_x5c && alg != cred_alg))
        return MG_WA_ATTESTATION;
    if (cred_alg != MG_WEBAUTHN_RS256) /* libfido2 1.12 holds only 2048-bit RSA keys: RS256 below */
        return fido_packed(a, ad, cdh, cred_alg, rp_id, has_x5c) ? MG_WA_OK : MG_WA_ATTESTATION;
    EVP_PKEY *k = NULL;
    if (has_x5c) {
        const unsigned char *q = leaf;
        X509 *cert = d2i_X509(NULL, &q, (long)leaf_len);
        if (cert != NULL && q == leaf + leaf_len)
            k = X509_get_pubkey(cert);
        X509_free(cert);
    } else {
        int key_alg = 0;
        enum mg_webauthn_fail res;
        k = cose_key(ad->cose, ad->cose_len, &key_alg, &res);
    }
    int ok = k != NULL && (alg == MG_WEBAUTHN_ES256 || alg == MG_WEBAUTHN_EDDSA || alg == MG_WEBAUTHN_RS256) &&
             evp_verify(k, alg, ad->raw, ad->len, cdh, sig, sig_len);
    EVP_PKEY_free(k);
    return ok ? MG_WA_OK : MG_WA_ATTESTATION;
}
