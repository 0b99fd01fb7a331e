/*
 * account.h: an account and a key bound to it, as the key cache and the gateway
 * see them (the store keeps them; auth and the gateway own their meaning).
 */
#ifndef MG_CORE_ACCOUNT_H
#define MG_CORE_ACCOUNT_H

#include <stdint.h>
#include "core/apikey.h"
#include "core/region.h"

#define MG_KEY_RATE_MAX 1000000000LL           /* rpm and tpm at most: one a minute to a billion */
#define MG_KEY_CAP_MAX ((1LL << 48) - 1)         /* micros: what a month's spend word holds (billing/spendword.h) */

enum mg_key_status { MG_KEY_ACTIVE = 0, MG_KEY_REVOKED = 1 };

enum mg_account_status { MG_ACCT_ACTIVE = 0, MG_ACCT_PENDING = 1 /* email not verified, or no password set yet */ };

struct mg_account {
    int64_t id;
    char email[256];      /* stored lower-cased */
    int is_admin;
    int suspended;
    int64_t cap_micros;   /* monthly hard cap; 0 = none */
    int64_t created_ms;
    enum mg_account_status status;
    char plan[16];             /* "free" | "professional" | "enterprise" */
    char password_phc[160];    /* "" = none */
    int failed_logins;         /* consecutive */
    int64_t locked_until_ms;   /* 0 = not locked */
    int64_t last_login_ms;     /* 0 = never */
    int64_t credit_micros;
    int invoice_billing;       /* 1: billed by invoice with net-30 terms (AC-11: enterprise) */
    int wallet_only;           /* 1: may spend only its prepaid credit (the gateway caps it at the balance) */
};

/* A key as the gateway needs it (joined with its account). */
struct mg_key_record {
    int64_t id;
    int64_t account_id;
    char public_id[MG_KEY_PUBID_LEN + 1];
    char name[128];
    enum mg_region region;
    uint32_t scopes;             /* MG_SCOPE bits */
    enum mg_key_status status;
    int64_t expires_ms;          /* 0 = never */
    int64_t created_ms;
    int64_t last_used_ms;
    uint8_t digest[MG_KEY_DIGEST_LEN];
    char models[512];            /* comma-separated allowlist; "" = any */
    int64_t rpm, tpm;            /* GW-9: requests / tokens per minute; 0 = no limit */
    int64_t cap_micros;          /* the key's own monthly cap; 0 = none */
    /* from the account */
    int account_suspended;
    int64_t account_cap_micros;  /* the effective cap: for a wallet_only account min(cap if > 0, max(credit, 1)) */
    int64_t account_credit_micros;
    int account_wallet_only;
    int64_t account_closed_month; /* the last month invoiced (its usage debited from the wallet); -1 = none */
    int64_t account_ratio_ppm;   /* the account's price ratio (its own, else its plan's); -1 = the operator's */
    int64_t seq;                 /* change sequence: bumps on every change of the key or its account */
};

#endif
