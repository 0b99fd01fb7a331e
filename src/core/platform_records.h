/*
 * platform_records.h: the account platform's records as the store keeps them
 * (sessions, one-time tokens, audit events, access and recovery requests,
 * in-app notifications).  The platform layer owns their meaning; times are
 * Unix milliseconds.  No record holds a secret: tokens are kept as SHA-256.
 */
#ifndef MG_CORE_PLATFORM_RECORDS_H
#define MG_CORE_PLATFORM_RECORDS_H

#include <stdint.h>

struct mg_session {
    int64_t id, account_id;
    uint8_t token_hash[32];    /* SHA-256 of the session token */
    int64_t created_ms, last_seen_ms, expires_ms /* absolute end */, reauth_ms /* last step-up, 0 = none */;
    char ip[64];
    char user_agent[256];
};

enum mg_token_kind { MG_TOKEN_VERIFY = 1, MG_TOKEN_RESET = 2, MG_TOKEN_SET_PASSWORD = 3 };

struct mg_audit_event {
    int64_t id, ts_ms;
    char type[40];             /* "login.failure" ... (docs/api.md) */
    int64_t account_id;        /* whom it concerns; 0 = no account (unknown email) */
    int64_t actor_id;          /* who did it (an admin, or the account itself); 0 = anonymous */
    char ip[64];
    char detail[256];          /* no secrets, ever */
};

enum mg_request_kind { MG_REQ_ACCESS = 1, MG_REQ_RECOVERY = 2 };
enum mg_request_status { MG_REQ_PENDING = 0, MG_REQ_APPROVED = 1, MG_REQ_DENIED = 2 };

struct mg_request {
    int64_t id;
    enum mg_request_kind kind;
    char email[256];
    int64_t account_id;        /* recovery: the account of that email, 0 if none */
    char text[1024];           /* access note / recovery description */
    enum mg_request_status status;
    int64_t created_ms, decided_ms, decided_by;
};

struct mg_notification {
    int64_t id, account_id, ts_ms;
    char kind[32];
    char text[512];
    int read;
};

/* A spending alert (BL-4): fires once per billing period when the month's
 * spend on `service` ("all" = every family) reaches threshold_percent of
 * the account's cap. */
enum { MG_ALERT_EMAIL = 1, MG_ALERT_IN_APP = 2 };
struct mg_alert {
    int64_t id, account_id;
    char service[16];      /* "all" or mg_service_name() */
    int threshold_percent; /* 1..100 */
    unsigned channels;     /* MG_ALERT_* bits, at least one */
    int64_t fired_month;   /* -1 = never */
    int64_t created_ms;
};
/* An alert that has not fired this month, with what firing needs of its account. */
struct mg_alert_due {
    struct mg_alert a;
    int64_t cap_micros;
    char email[256];
};

#endif
