/*
 * webauthn_cbor.h: the binary half of WebAuthn verification (internal to
 * auth/webauthn.c): authenticator data, COSE keys, the attestation object
 * and signature checks (libcbor, libfido2, OpenSSL).  Every parser works on
 * borrowed bytes and copies nothing; lengths are checked before each read.
 */
#ifndef MG_AUTH_WEBAUTHN_CBOR_H
#define MG_AUTH_WEBAUTHN_CBOR_H

#include <stddef.h>
#include <stdint.h>

#include <cbor.h>

#include "auth/webauthn.h"

#define MG_WA_FLAG_UP 0x01
#define MG_WA_FLAG_UV 0x04
#define MG_WA_FLAG_BE 0x08
#define MG_WA_FLAG_BS 0x10
#define MG_WA_FLAG_AT 0x40
#define MG_WA_FLAG_ED 0x80

/* Parsed authenticator data (§6.1); pointers into the caller's bytes. */
struct mg_wa_authdata {
    const uint8_t *raw;
    size_t len;
    const uint8_t *rp_id_hash; /* 32 bytes */
    uint8_t flags;
    uint32_t sign_count;
    const uint8_t *cred_id; /* attested credential data, when AT is set */
    size_t cred_id_len;
    const uint8_t *cose; /* the credential public key's CBOR */
    size_t cose_len;
};

/* Parses authData: the fixed 37 bytes, attested credential data when AT is
 * set (the COSE key's length found by decoding it), extensions when ED is set,
 * and nothing after.  MG_WA_OK or MG_WA_MALFORMED. */
enum mg_webauthn_fail mg_wa_authdata_parse(const uint8_t *p, size_t len, struct mg_wa_authdata *out);

/* Decodes a COSE_Key and checks it is a supported, well-formed key: *alg gets
 * its alg.  MG_WA_OK; MG_WA_ALG for an alg other than -7/-8/-257;
 * MG_WA_MALFORMED for a bad encoding, wrong kty/crv, or an off-curve point. */
enum mg_webauthn_fail mg_wa_cose_check(const uint8_t *cose, size_t len, int *alg);

/* A decoded attestationObject {fmt, attStmt, authData}; authdata and stmt
 * point into root, which mg_wa_attobj_free() releases. */
struct mg_wa_attobj {
    cbor_item_t *root;
    char fmt[16]; /* "none", "packed", ... (longer names are cut, never match) */
    const uint8_t *authdata;
    size_t ad_len;
    cbor_item_t *stmt; /* a map */
};

/* Decodes an attestationObject: a map with exactly the text keys fmt, attStmt
 * and authData.  MG_WA_OK (free with mg_wa_attobj_free) or MG_WA_MALFORMED
 * (nothing to free). */
enum mg_webauthn_fail mg_wa_attobj_parse(const uint8_t *p, size_t len, struct mg_wa_attobj *out);
void mg_wa_attobj_free(struct mg_wa_attobj *a);

/* Verifies a "packed" attStmt {alg, sig[, x5c]} over authData || cdh: self
 * attestation with the credential key (whose alg must be the statement's),
 * x5c with the leaf certificate's key; the certificate itself and any chain
 * are not judged.  ES256 and EdDSA credentials through libfido2
 * (fido_cred_verify / fido_cred_verify_self, which also check rpIdHash
 * against rp_id and UP), RS256 credentials through OpenSSL.
 * MG_WA_OK or MG_WA_ATTESTATION. */
enum mg_webauthn_fail mg_wa_packed_verify(const struct mg_wa_attobj *a, const struct mg_wa_authdata *ad,
                                          const uint8_t cdh[32], int cred_alg, const char *rp_id);

/* Verifies an assertion signature over authData || cdh with the stored COSE
 * key: ES256 and EdDSA through libfido2's fido_assert_verify (which also
 * checks rpIdHash against rp_id and UP), RS256 through OpenSSL.
 * MG_WA_OK or MG_WA_SIGNATURE. */
enum mg_webauthn_fail mg_wa_assert_sig(const char *rp_id, int alg, const uint8_t *cose, size_t cose_len,
                                       const uint8_t *authdata, size_t ad_len, const uint8_t cdh[32],
                                       const uint8_t *sig, size_t sig_len);

#endif
