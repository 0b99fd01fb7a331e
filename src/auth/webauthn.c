/* webauthn.c: the WebAuthn registration and authentication ceremonies, RP
 * side (see webauthn.h): the credential JSON, clientDataJSON and the flag and
 * policy checks; the binary formats and signatures are in webauthn_cbor.c. */
#include "auth/webauthn.h"

#include <jansson.h>
#include <openssl/crypto.h>
#include <sodium.h>
#include <stdlib.h>
#include <string.h>

#include "auth/webauthn_cbor.h"
#include "core/mg.h"

#define CHALLENGE_B64_LEN 43 /* base64url, no padding, of 32 bytes */

static const char *const fail_names[] = {
    [MG_WA_OK] = "ok",
    [MG_WA_MALFORMED] = "malformed",
    [MG_WA_TYPE] = "type",
    [MG_WA_CHALLENGE] = "challenge",
    [MG_WA_ORIGIN] = "origin",
    [MG_WA_CROSS_ORIGIN] = "cross_origin",
    [MG_WA_RP_ID] = "rp_id",
    [MG_WA_UP] = "user_presence",
    [MG_WA_UV] = "user_verification",
    [MG_WA_BACKUP_FLAGS] = "backup_flags",
    [MG_WA_ALG] = "alg",
    [MG_WA_SIGNATURE] = "signature",
    [MG_WA_ATTESTATION] = "attestation",
    [MG_WA_CRED_ID_TOO_LONG] = "credential_id_too_long",
    [MG_WA_SIGN_COUNT] = "sign_count",
    [MG_WA_UNKNOWN_CREDENTIAL] = "unknown_credential",
};

const char *mg_webauthn_fail_name(enum mg_webauthn_fail f)
{
    if ((unsigned)f >= sizeof(fail_names) / sizeof(fail_names[0]))
        return "unknown";
    return fail_names[f];
}

/* v is a JSON string equal to s, byte for byte (no embedded NUL). */
static int json_str_is(const json_t *v, const char *s)
{
    size_t n = strlen(s);
    return json_is_string(v) && json_string_length(v) == n && memcmp(json_string_value(v), s, n) == 0;
}

/* A decoded base64url (no padding) field: malloc'd, at most max bytes. */
struct blob {
    uint8_t *p;
    size_t len;
};

static int b64_field(const json_t *obj, const char *name, size_t max, struct blob *out)
{
    const json_t *v = json_object_get(obj, name);
    out->p = NULL;
    out->len = 0;
    if (!json_is_string(v))
        return 0;
    const char *s = json_string_value(v);
    size_t n = json_string_length(v);
    if (n == 0 || n > (max / 3 + 1) * 4)
        return 0;
    out->p = malloc(n); /* decoded is shorter than its text */
    if (out->p == NULL)
        abort();
    if (sodium_base642bin(out->p, n, s, n, NULL, &out->len, NULL, sodium_base64_VARIANT_URLSAFE_NO_PADDING) != 0 ||
        out->len == 0 || out->len > max) {
        free(out->p);
        out->p = NULL;
        return 0;
    }
    return 1;
}

static void blob_free(struct blob *b)
{
    free(b->p);
    b->p = NULL;
}

/* The credential JSON, its type, and rawId (which must equal id). */
struct cred_json {
    json_t *root;
    const json_t *response;
    struct blob raw_id;
};

static enum mg_webauthn_fail cred_json_parse(const char *text, size_t len, struct cred_json *c)
{
    memset(c, 0, sizeof(*c));
    if (text == NULL || len == 0 || len > MG_WEBAUTHN_JSON_MAX)
        return MG_WA_MALFORMED;
    c->root = json_loadb(text, len, JSON_REJECT_DUPLICATES, NULL);
    const json_t *type = json_object_get(c->root, "type");
    const json_t *id = json_object_get(c->root, "id"), *raw = json_object_get(c->root, "rawId");
    c->response = json_object_get(c->root, "response");
    if (!json_is_object(c->root) || !json_is_object(c->response) || !json_is_string(id) || !json_is_string(raw) ||
        !json_is_string(type))
        return MG_WA_MALFORMED;
    if (!json_str_is(type, "public-key"))
        return MG_WA_TYPE;
    if (!json_equal(id, raw) || !b64_field(c->root, "rawId", MG_WEBAUTHN_BLOB_MAX, &c->raw_id))
        return MG_WA_MALFORMED;
    return MG_WA_OK;
}

static void cred_json_free(struct cred_json *c)
{
    json_decref(c->root);
    blob_free(&c->raw_id);
}

/* §3.1 steps 1-5 / §3.2 step 3 on the decoded clientDataJSON; cdh gets its
 * SHA-256. */
static enum mg_webauthn_fail client_data_check(const struct blob *cd, const char *want_type, const uint8_t challenge[32],
                                               const struct mg_webauthn_rp *rp, uint8_t cdh[32])
{
    const uint8_t *p = cd->p;
    size_t n = cd->len;
    crypto_hash_sha256(cdh, cd->p, cd->len); /* of the bytes as sent, BOM included */
    if (n >= 3 && p[0] == 0xEF && p[1] == 0xBB && p[2] == 0xBF)
        p += 3, n -= 3;
    json_t *c = json_loadb((const char *)p, n, JSON_REJECT_DUPLICATES, NULL);
    enum mg_webauthn_fail res = MG_WA_MALFORMED;
    const json_t *type = json_object_get(c, "type"), *chal = json_object_get(c, "challenge");
    const json_t *origin = json_object_get(c, "origin"), *cross = json_object_get(c, "crossOrigin");
    char want_chal[CHALLENGE_B64_LEN + 1];
    if (!json_is_object(c) || !json_is_string(type) || !json_is_string(chal) || !json_is_string(origin))
        goto out;
    res = MG_WA_TYPE;
    if (!json_str_is(type, want_type))
        goto out;
    res = MG_WA_CHALLENGE;
    sodium_bin2base64(want_chal, sizeof(want_chal), challenge, MG_WEBAUTHN_CHALLENGE_LEN,
                      sodium_base64_VARIANT_URLSAFE_NO_PADDING);
    if (json_string_length(chal) != CHALLENGE_B64_LEN ||
        sodium_memcmp(json_string_value(chal), want_chal, CHALLENGE_B64_LEN) != 0)
        goto out;
    res = MG_WA_ORIGIN;
    if (!json_str_is(origin, rp->origin))
        goto out;
    res = MG_WA_CROSS_ORIGIN;
    if ((cross != NULL && !json_is_false(cross)) || json_object_get(c, "topOrigin") != NULL)
        goto out;
    res = MG_WA_OK;
out:
    json_decref(c);
    return res;
}

/* §3.1 steps 7-10 / §3.2 steps 4-5: rpIdHash, UP, UV, BE/BS. */
static enum mg_webauthn_fail flags_check(const struct mg_wa_authdata *ad, const struct mg_webauthn_rp *rp)
{
    uint8_t want[32];
    crypto_hash_sha256(want, (const uint8_t *)rp->rp_id, strlen(rp->rp_id));
    if (CRYPTO_memcmp(ad->rp_id_hash, want, 32) != 0)
        return MG_WA_RP_ID;
    if (!(ad->flags & MG_WA_FLAG_UP))
        return MG_WA_UP;
    if (rp->require_uv && !(ad->flags & MG_WA_FLAG_UV))
        return MG_WA_UV;
    if ((ad->flags & MG_WA_FLAG_BS) && !(ad->flags & MG_WA_FLAG_BE))
        return MG_WA_BACKUP_FLAGS;
    return MG_WA_OK;
}

static int offered(int alg, const int *algs, size_t nalgs)
{
    for (size_t i = 0; i < nalgs; i++)
        if (algs[i] == alg)
            return 1;
    return 0;
}

/* The authData checks of a registration, after the attestationObject was
 * decoded; fills out on success. */
static enum mg_webauthn_fail register_authdata(const struct mg_webauthn_rp *rp, const int *algs, size_t nalgs,
                                               const struct mg_wa_attobj *ao, const struct blob *raw_id,
                                               const uint8_t cdh[32], struct mg_webauthn_cred *out)
{
    struct mg_wa_authdata ad;
    enum mg_webauthn_fail res = mg_wa_authdata_parse(ao->authdata, ao->ad_len, &ad);
    if (res != MG_WA_OK)
        return res;
    if ((res = flags_check(&ad, rp)) != MG_WA_OK)
        return res;
    if (!(ad.flags & MG_WA_FLAG_AT))
        return MG_WA_MALFORMED;
    if (ad.cred_id_len > MG_WEBAUTHN_CRED_ID_MAX)
        return MG_WA_CRED_ID_TOO_LONG;
    int alg = 0;
    if ((res = mg_wa_cose_check(ad.cose, ad.cose_len, &alg)) != MG_WA_OK)
        return res;
    if (!offered(alg, algs, nalgs))
        return MG_WA_ALG;
    if (ad.cose_len > sizeof(out->pubkey))
        return MG_WA_MALFORMED;
    if (strcmp(ao->fmt, "none") == 0) {
        if (cbor_map_size(ao->stmt) != 0)
            return MG_WA_ATTESTATION;
    } else if (strcmp(ao->fmt, "packed") == 0) {
        if ((res = mg_wa_packed_verify(ao, &ad, cdh, alg, rp->rp_id)) != MG_WA_OK)
            return res;
    } else {
        return MG_WA_ATTESTATION;
    }
    if (raw_id->len != ad.cred_id_len || memcmp(raw_id->p, ad.cred_id, ad.cred_id_len) != 0)
        return MG_WA_MALFORMED; /* rawId must name the attested credential */
    memcpy(out->id, ad.cred_id, ad.cred_id_len);
    out->id_len = ad.cred_id_len;
    out->alg = alg;
    memcpy(out->pubkey, ad.cose, ad.cose_len);
    out->pubkey_len = ad.cose_len;
    out->sign_count = ad.sign_count;
    out->be = (ad.flags & MG_WA_FLAG_BE) != 0;
    out->bs = (ad.flags & MG_WA_FLAG_BS) != 0;
    return MG_WA_OK;
}

enum mg_webauthn_fail mg_webauthn_register(const struct mg_webauthn_rp *rp, const uint8_t challenge[32],
                                           const int *algs, size_t nalgs, const char *credential_json,
                                           size_t len, struct mg_webauthn_cred *out)
{
    struct cred_json c;
    struct blob cd = {0}, att = {0};
    struct mg_wa_attobj ao = {0};
    uint8_t cdh[32];
    memset(out, 0, sizeof(*out));
    enum mg_webauthn_fail res = cred_json_parse(credential_json, len, &c);
    if (res != MG_WA_OK)
        goto out;
    res = MG_WA_MALFORMED;
    if (!b64_field(c.response, "clientDataJSON", MG_WEBAUTHN_CLIENT_DATA_MAX, &cd) ||
        !b64_field(c.response, "attestationObject", MG_WEBAUTHN_BLOB_MAX, &att))
        goto out;
    if ((res = client_data_check(&cd, "webauthn.create", challenge, rp, cdh)) != MG_WA_OK)
        goto out;
    if ((res = mg_wa_attobj_parse(att.p, att.len, &ao)) != MG_WA_OK)
        goto out;
    res = register_authdata(rp, algs, nalgs, &ao, &c.raw_id, cdh, out);
out:
    if (res != MG_WA_OK)
        memset(out, 0, sizeof(*out));
    mg_wa_attobj_free(&ao);
    blob_free(&cd);
    blob_free(&att);
    cred_json_free(&c);
    return res;
}

enum mg_webauthn_fail mg_webauthn_assert(const struct mg_webauthn_rp *rp, const uint8_t challenge[32],
                                         struct mg_webauthn_cred *cred, const char *credential_json, size_t len)
{
    struct cred_json c;
    struct blob cd = {0}, adb = {0}, sig = {0};
    struct mg_wa_authdata ad;
    uint8_t cdh[32];
    enum mg_webauthn_fail res = cred_json_parse(credential_json, len, &c);
    if (res != MG_WA_OK)
        goto out;
    res = MG_WA_UNKNOWN_CREDENTIAL;
    if (c.raw_id.len != cred->id_len || memcmp(c.raw_id.p, cred->id, cred->id_len) != 0)
        goto out;
    res = MG_WA_MALFORMED;
    if (!b64_field(c.response, "clientDataJSON", MG_WEBAUTHN_CLIENT_DATA_MAX, &cd) ||
        !b64_field(c.response, "authenticatorData", MG_WEBAUTHN_BLOB_MAX, &adb) ||
        !b64_field(c.response, "signature", MG_WEBAUTHN_BLOB_MAX, &sig))
        goto out;
    if ((res = client_data_check(&cd, "webauthn.get", challenge, rp, cdh)) != MG_WA_OK)
        goto out;
    if ((res = mg_wa_authdata_parse(adb.p, adb.len, &ad)) != MG_WA_OK)
        goto out;
    if ((res = flags_check(&ad, rp)) != MG_WA_OK)
        goto out;
    res = MG_WA_BACKUP_FLAGS; /* a credential does not change its backup eligibility */
    if (((ad.flags & MG_WA_FLAG_BE) != 0) != (cred->be != 0))
        goto out;
    if ((res = mg_wa_assert_sig(rp->rp_id, cred->alg, cred->pubkey, cred->pubkey_len, adb.p, adb.len, cdh, sig.p,
                                sig.len)) != MG_WA_OK)
        goto out;
    /* Counter last: only a correctly signed assertion can raise the clone signal. */
    res = MG_WA_SIGN_COUNT;
    if ((cred->sign_count > 0 || ad.sign_count > 0) && ad.sign_count <= cred->sign_count)
        goto out;
    cred->sign_count = ad.sign_count;
    cred->bs = (ad.flags & MG_WA_FLAG_BS) != 0;
    res = MG_WA_OK;
out:
    blob_free(&cd);
    blob_free(&adb);
    blob_free(&sig);
    cred_json_free(&c);
    return res;
}

int mg_webauthn_assertion_id(const char *credential_json, size_t len, uint8_t *id, size_t cap, size_t *id_len)
{
    struct cred_json c;
    int rc = MG_DECLINED;
    *id_len = 0;
    if (cred_json_parse(credential_json, len, &c) == MG_WA_OK && c.raw_id.len <= cap) {
        memcpy(id, c.raw_id.p, c.raw_id.len);
        *id_len = c.raw_id.len;
        rc = MG_OK;
    }
    cred_json_free(&c);
    return rc;
}
