/*
 * mfa_records.h: the second factors as the store keeps them (issue 10): an
 * account's TOTP secret (sealed: encrypted by the platform with a key outside
 * the database), its security keys (WebAuthn credentials), the WebAuthn
 * challenges and the second-step logins.  Recovery codes are kept as SHA-256
 * of the normalized code only; an mfa login as SHA-256 of its mfa_token.  The
 * platform layer owns their meaning; times are Unix milliseconds.
 */
#ifndef MG_CORE_MFA_RECORDS_H
#define MG_CORE_MFA_RECORDS_H

#include <stddef.h>
#include <stdint.h>

/* An account's authenticator-app secret: at most one per account. */
struct mg_totp_record {
    int64_t account_id;
    uint8_t sealed[128]; /* the secret as the platform sealed it; the store never sees it in the clear */
    size_t sealed_len;
    int confirmed;       /* 0: pending (enrolment not completed by a first valid code) */
    int64_t last_step;   /* the highest RFC 6238 time step used; a code of this or an older step is refused */
    int64_t created_ms;
};

/* A registered security key.  cred_id is unique across all accounts. */
struct mg_webauthn_record {
    int64_t id, account_id;
    uint8_t cred_id[1023]; /* the W3C ceiling of a credential id */
    size_t cred_id_len;
    char name[64];         /* the user's label ("YubiKey") */
    int alg;               /* COSE algorithm: -7 ES256, -8 EdDSA, -257 RS256 */
    uint8_t pubkey[600];   /* the credential's public key as the verifier stores it */
    size_t pubkey_len;
    uint32_t sign_count;
    int be, bs;            /* backup eligible / backup state flags as last seen */
    int64_t created_ms, last_used_ms /* 0 = never */;
};

/* What a WebAuthn challenge is for; its owner is a session id (register,
 * reauth) or an mfa login's row id (login). */
enum mg_challenge_kind { MG_CHALLENGE_REGISTER = 1, MG_CHALLENGE_LOGIN = 2, MG_CHALLENGE_REAUTH = 3 };

/* A second-step login: the password was right, the second factor is due. */
struct mg_mfa_login {
    uint8_t hash[32]; /* SHA-256 of the mfa_token */
    int64_t account_id, created_ms, expires_ms;
    int failures;     /* wrong codes so far */
};

#endif
