/*
 * mail.h: outgoing mail.  Every template lives in templates.c; every link in a
 * mail is built from public_base_url (never a request's Host header) with the
 * token in the fragment, so it stays out of access logs.  A mailer owns ONE
 * thread of its own that sends what mg_mailer_send() queued: SMTP through
 * libcurl (STARTTLS, AUTH), or, with no smtp_url, one file per mail in an
 * outbox folder.  The mail layer includes only core and mail.
 */
#ifndef MG_MAIL_MAIL_H
#define MG_MAIL_MAIL_H

#include <stdatomic.h>
#include <stddef.h>

/* What the mail layer needs of the configuration; the caller fills it (the
 * server from its [mail] and [server] sections) and resolves the password. */
struct mg_mail_config {
    char smtp_url[512];  /* smtp://host:port or smtps://host:port; "" = outbox folder */
    char user[256];      /* "" = no AUTH */
    char password[256];  /* resolved by the caller; never logged */
    enum { MG_STARTTLS_REQUIRED, MG_STARTTLS_OPPORTUNISTIC, MG_STARTTLS_OFF } starttls;
    char ca_file[1024];  /* "" = the system's CAs */
    char from[256];      /* "maxgate <noreply@localhost>" */
    char outbox_dir[1024];
    size_t queue_max;    /* mails waiting to be sent, at most */
    char public_base_url[256];
    char product[64];    /* the name mails speak of ("maxgate") */
};

enum mg_mail_kind {
    MG_MAIL_VERIFY,            /* sign-up: verify the address (link) */
    MG_MAIL_SET_PASSWORD,      /* access request approved: set a password (link) */
    MG_MAIL_ACCESS_RECEIVED,   /* access request received */
    MG_MAIL_ACCESS_DENIED,
    MG_MAIL_RESET,             /* forgot password: reset (link) */
    MG_MAIL_RESET_DONE,        /* the password was reset */
    MG_MAIL_PASSWORD_CHANGED,
    MG_MAIL_RECOVERY_RECEIVED,
    MG_MAIL_RECOVERY_APPROVED, /* recovery approved: reset (link) */
    MG_MAIL_RECOVERY_DENIED,
    MG_MAIL_ACCOUNT_LOCKED,
    MG_MAIL_MFA_CHANGED,       /* a second factor was added or removed, or recovery codes renewed */
    MG_MAIL_RECOVERY_CODE_USED, /* a recovery code signed in */
    MG_MAIL_KEY_REVOKED,       /* an API key found in public was revoked (leaked-key revocation) */
    MG_MAIL_SPEND_ALERT,       /* a spending alert reached its threshold (BL-4); vars.detail says which */
    MG_MAIL_TEST,              /* `maxgated admin mail test` */
    MG_MAIL_INVOICE_OVERDUE,   /* an invoice-billed (net-30) invoice passed its due date unpaid: once */
    MG_MAIL_KIND_COUNT
};

struct mg_mail_vars {
    const char *token; /* link token (base64url) for the kinds with a link, else NULL */
    const char *ip;    /* client IP the mail speaks of, or NULL */
    int minutes;       /* link life; 0 = the kind's default (reset 15, verify 1440, set password 4320) */
    const char *detail; /* {detail}: a sentence maxgate made (no CR), for the kinds that name it; else NULL */
    const char *invoice; /* invoice mails: the number, the amount due ("USD 12.34"), the due date; one line each */
    const char *amount;
    const char *due;
};

/* Longest subject and body a template renders (with a 128-char token). */
#define MG_MAIL_SUBJECT_MAX 256
#define MG_MAIL_BODY_MAX 4096
/* A whole message (headers + body) as queued: the body plus room for headers. */
#define MG_MAIL_MESSAGE_MAX (MG_MAIL_BODY_MAX * 2 + 2048)

/* The kind's name ("verify", "reset", ...) for logs and metrics; NULL if unknown. */
const char *mg_mail_kind_name(enum mg_mail_kind kind);

/* 1 if `to` is a plain address that may go into a header: 3..254 bytes, one
 * '@' with text on both sides, no spaces, controls, CR/LF, quotes or <>. */
int mg_mail_address_valid(const char *to);

/* Renders a kind's subject and body (plain text, English, LF line ends) into
 * the caller's buffers.  Returns the body's length, or 0 if it cannot: unknown
 * kind, invalid `to`, a link kind without a well-formed token or without
 * public_base_url, CR/LF in product, or a buffer too small. */
size_t mg_mail_render(const struct mg_mail_config *cfg, enum mg_mail_kind kind, const char *to,
                      const struct mg_mail_vars *vars, char *subject, size_t scap, char *body, size_t bcap);

/* Builds the RFC 5322 message (Date, From, To, Subject, Message-ID,
 * MIME-Version, text/plain utf-8, 8bit; CRLF line ends) from a rendered
 * subject and body.  Returns its length, 0 if a header value holds CR/LF or
 * out is too small. */
size_t mg_mail_message(const struct mg_mail_config *cfg, const char *to, const char *subject, const char *body,
                       char *out, size_t cap);

/* Checks a mail configuration (URL scheme, no credentials in the URL, a valid
 * From address, queue_max >= 1).  MG_OK or MG_ERR with a message in err. */
int mg_mail_config_check(const struct mg_mail_config *cfg, char *err, size_t errlen);

/* Delivers one message now, on the calling thread (it blocks up to the SMTP
 * timeouts: never call it on an event-loop thread): one SMTP attempt, or one
 * outbox file.  MG_OK, or MG_ERR with what failed in err (no secret, no body).
 * The outbox file's path, if one was written, goes to where (may be NULL). */
int mg_mail_deliver(const struct mg_mail_config *cfg, const char *to, const char *msg, size_t len, char *where,
                    size_t wherecap, char *err, size_t errlen);

/* mg_mail_deliver() that gives up as soon as *stop becomes non-zero (the
 * mailer's drain deadline); stop may be NULL. */
int mg_mail_deliver_until(const struct mg_mail_config *cfg, const char *to, const char *msg, size_t len,
                          const atomic_int *stop, char *where, size_t wherecap, char *err, size_t errlen);

/* Renders and delivers one mail synchronously (the operator's `mail test`).
 * MG_OK, MG_DECLINED (it does not render: bad address), or MG_ERR (err says why). */
int mg_mail_send_now(const struct mg_mail_config *cfg, enum mg_mail_kind kind, const char *to,
                     const struct mg_mail_vars *vars, char *where, size_t wherecap, char *err, size_t errlen);

/* The address for logs: "alice@example.com" -> "a***@example.com". */
void mg_mail_mask(const char *to, char *out, size_t cap);

/* ---- the mailer: a queue and one thread ------------------------------------------ */

struct mg_mailer;

struct mg_mail_stats {
    size_t queued;  /* waiting now (retries included) */
    size_t sent;    /* delivered (or written to the outbox) */
    size_t retried; /* attempts that failed and were tried again */
    size_t dropped; /* given up after the last attempt, or left at shutdown */
    size_t refused; /* mg_mailer_send() answered MG_AGAIN (queue full) */
};

/* Checks cfg, copies it and starts the mailer's own thread.  NULL with a
 * message in err if the configuration is not usable.  Free with
 * mg_mailer_free(). */
struct mg_mailer *mg_mailer_new(const struct mg_mail_config *cfg, char *err, size_t errlen);

/* Renders a mail and queues it; safe from any thread, never blocks on I/O.
 * MG_OK; MG_AGAIN when queue_max mails wait already (one log line, the mail
 * is not queued); MG_DECLINED when it does not render (bad address, missing
 * token).  The token is never logged. */
int mg_mailer_send(struct mg_mailer *m, enum mg_mail_kind kind, const char *to, const struct mg_mail_vars *vars);

/* Stops (1) or resumes (0) taking mails off the queue; tests use it to hold
 * the thread while they fill the queue. */
void mg_mailer_hold(struct mg_mailer *m, int hold);

/* Counters for tests and /metrics. */
void mg_mailer_stats(struct mg_mailer *m, struct mg_mail_stats *out);
size_t mg_mailer_sent(struct mg_mailer *m);

/* Sends what is queued (for at most MG_MAILER_DRAIN_MS; the rest is dropped
 * and logged), stops the thread and frees.  Accepts NULL. */
void mg_mailer_free(struct mg_mailer *m);

/* How long mg_mailer_free() keeps sending what is queued. */
#define MG_MAILER_DRAIN_MS 5000

#endif
