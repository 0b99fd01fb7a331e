/*
 * wallet_records.h: the wallet's ledger entries and redeem codes (issue 12,
 * BL-7) as the store keeps them.  Money is integer micro-units, times Unix ms.
 * The platform (platform/h_wallet.c) and the period close (billing/close.c)
 * give them their meaning.
 */
#ifndef MG_CORE_WALLET_RECORDS_H
#define MG_CORE_WALLET_RECORDS_H

#include <stdint.h>

#define MG_LEDGER_REFERENCE_MAX 200 /* bytes of a ledger entry's reference */
#define MG_REDEEM_BATCH_MAX 64      /* bytes of a redeem code batch's label */

/* One movement of an account's credit: amount > 0 credits, < 0 debits.
 * kind: "opening" | "free_credit" | "redeem" | "topup" | "adjustment" | "invoice". */
struct mg_ledger_entry {
    int64_t id, account_id;
    int64_t amount_micros;
    char kind[16];
    char reference[MG_LEDGER_REFERENCE_MAX + 1];
    int64_t actor_account_id; /* 0 = the system or the operator */
    int64_t created_ms;
};

/* A redeem code as stored: the SHA-256 of the normalized code, never the code. */
struct mg_redeem_code {
    int64_t id;
    uint8_t code_hash[32];
    char hint[8];            /* the first 4 characters after "MGR-" */
    int64_t value_micros;
    char batch[MG_REDEEM_BATCH_MAX + 1];
    int64_t created_by, created_ms;
    int64_t expires_ms;      /* 0 = never */
    int64_t redeemed_by;     /* 0 = not yet */
    int64_t redeemed_ms;
};

#endif
