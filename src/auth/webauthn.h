/*
 * webauthn.h: server-side WebAuthn (FIDO2 security key) verification, pure
 * library code: no I/O, no clock, no database.  SECURITY-REFERENCES §3.1,
 * §3.2, §8 items 18-22.
 *
 * Inputs are what the console posts: the PublicKeyCredential as JSON, every
 * binary field base64url without padding:
 *   {"id","rawId","type":"public-key","response":{"clientDataJSON",
 *    "attestationObject" | "authenticatorData","signature","userHandle"}}
 *
 * What is checked here (the spec's RP steps): clientDataJSON type
 * ("webauthn.create" / "webauthn.get"), challenge (exactly base64url of the
 * 32 bytes the server issued, compared in constant time), origin (exactly the
 * configured one), crossOrigin true or a topOrigin refused (no iframes);
 * rpIdHash == SHA-256(RP ID); UP set; UV set when the RP requires it; BE=0
 * implies BS=0 (and at sign-in BE equals the stored BE); the credential's
 * COSE alg is supported (-7 ES256, -8 EdDSA, -257 RS256) and was offered; the
 * key is well-formed (a P-256 point on the curve, 32-byte Ed25519, RSA n/e);
 * the credential id is at most 1023 bytes and equals rawId; attestation fmt
 * "none" or "packed" (self, or x5c: the signature is verified with the leaf
 * certificate's key; no trust path, certificate or AAGUID policy beyond that,
 * so a packed attestation proves nothing about the key's maker here).
 * libfido2 verifies the signatures of ES256 and EdDSA credentials:
 * fido_assert_verify (assertions, over authData || SHA-256(clientDataJSON))
 * and fido_cred_verify / fido_cred_verify_self (packed attestation), and
 * checks rpIdHash and UP again on the way.  RS256 credentials are verified
 * with OpenSSL (RSASSA-PKCS1-v1_5, SHA-256, n >= 2048 bits): libfido2 1.12's
 * rs256 key holds exactly 2048-bit moduli.  libcbor decodes; every CBOR input
 * is first walked here without allocating (definite lengths within the
 * input, depth <= 16), since libcbor 0.8 allocates a declared size first.
 *
 * Left to the caller: issuing the challenge (32 CSPRNG bytes), storing it
 * server-side, binding it to the ceremony, its 5-minute life and its single
 * use (consume it before calling, so a replay finds none); matching the
 * assertion's id to a credential of the right account and the userHandle;
 * refusing a credential id already registered to any user (§3.1 step 13).
 *
 * signCount policy: when the stored or the received count is non-zero and
 * received <= stored, the assertion is refused with MG_WA_SIGN_COUNT (a
 * possibly cloned authenticator; the caller audit-logs it).  Both zero (keys
 * without a counter, passkeys) is accepted.  The stored record is updated
 * only when every check passed.
 * All functions are thread-safe; each costs one signature verification.
 */
#ifndef MG_AUTH_WEBAUTHN_H
#define MG_AUTH_WEBAUTHN_H

#include <stddef.h>
#include <stdint.h>

#define MG_WEBAUTHN_CHALLENGE_LEN 32
#define MG_WEBAUTHN_CRED_ID_MAX 1023   /* WebAuthn §7.1 step: credentialId length */
#define MG_WEBAUTHN_PUBKEY_MAX 600     /* COSE_Key bytes: room for RSA-4096 (n 512 + e + labels) */
#define MG_WEBAUTHN_JSON_MAX 65536     /* a credential's JSON: x5c chains are a few KiB */
#define MG_WEBAUTHN_CLIENT_DATA_MAX 4096 /* decoded clientDataJSON: ~200 bytes in practice */
#define MG_WEBAUTHN_BLOB_MAX 16384     /* decoded attestationObject / authenticatorData / signature */

#define MG_WEBAUTHN_ES256 (-7)
#define MG_WEBAUTHN_EDDSA (-8)
#define MG_WEBAUTHN_RS256 (-257)

struct mg_webauthn_rp {
    const char *rp_id;  /* e.g. "example.org" */
    const char *origin; /* e.g. "https://example.org", compared exactly */
    int require_uv;     /* userVerification "required": the UV bit must be set */
};

/* What the platform stores per security key. */
struct mg_webauthn_cred {
    uint8_t id[MG_WEBAUTHN_CRED_ID_MAX];
    size_t id_len;
    int alg; /* -7, -8, -257 */
    uint8_t pubkey[MG_WEBAUTHN_PUBKEY_MAX];
    size_t pubkey_len; /* COSE_Key bytes as registered */
    uint32_t sign_count;
    int be, bs; /* backup eligible / backed up, 0 or 1 */
};

enum mg_webauthn_fail {
    MG_WA_OK,
    MG_WA_MALFORMED,          /* not the JSON/CBOR/authData shape, too large, bad key encoding */
    MG_WA_TYPE,               /* clientDataJSON type, or credential type not "public-key" */
    MG_WA_CHALLENGE,
    MG_WA_ORIGIN,
    MG_WA_CROSS_ORIGIN,       /* crossOrigin true or topOrigin present */
    MG_WA_RP_ID,              /* rpIdHash != SHA-256(RP ID) */
    MG_WA_UP,
    MG_WA_UV,
    MG_WA_BACKUP_FLAGS,       /* BS without BE, or BE differs from the stored one */
    MG_WA_ALG,                /* unsupported or not offered */
    MG_WA_SIGNATURE,          /* assertion signature (or the stored key is unusable) */
    MG_WA_ATTESTATION,        /* fmt not none/packed, or the packed signature fails */
    MG_WA_CRED_ID_TOO_LONG,
    MG_WA_SIGN_COUNT,         /* counter did not increase: possible clone, audit-log it */
    MG_WA_UNKNOWN_CREDENTIAL, /* the assertion names another credential than the one given */
};

/* A stable lower-case name for f ("ok", "malformed", "sign_count", ...), for
 * logs and audit records; "unknown" for a value outside the enum. */
const char *mg_webauthn_fail_name(enum mg_webauthn_fail f);

/* Verifies a registration (navigator.credentials.create result) against the
 * challenge the server issued and the algorithms it offered (algs[0..nalgs)).
 * MG_WA_OK fills *out (id, alg, COSE key, sign_count, be, bs) for the caller to
 * store; on any failure *out is zeroed. */
enum mg_webauthn_fail mg_webauthn_register(const struct mg_webauthn_rp *rp, const uint8_t challenge[32],
                                           const int *algs, size_t nalgs, const char *credential_json,
                                           size_t len, struct mg_webauthn_cred *out);

/* Verifies an assertion (navigator.credentials.get result) against the stored
 * credential cred (looked up by the caller, see mg_webauthn_assertion_id).
 * MG_WA_OK updates cred->sign_count and cred->bs; any failure leaves *cred
 * unchanged.  MG_WA_SIGN_COUNT means the signature was valid but the counter
 * did not increase. */
enum mg_webauthn_fail mg_webauthn_assert(const struct mg_webauthn_rp *rp, const uint8_t challenge[32],
                                         struct mg_webauthn_cred *cred, const char *credential_json, size_t len);

/* The raw credential id an assertion's JSON names (rawId), to look up the
 * stored credential: MG_OK with id[0..*id_len); MG_DECLINED if the JSON is
 * malformed or the id is empty or longer than cap. */
int mg_webauthn_assertion_id(const char *credential_json, size_t len, uint8_t *id, size_t cap, size_t *id_len);

#endif
