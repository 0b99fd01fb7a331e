/*
 * server.h: the pieces of maxgated's main program.
 */
#ifndef MG_SERVER_SERVER_H
#define MG_SERVER_SERVER_H

#include <stddef.h>
#include <stdint.h>
#include "auth/keycache.h"
#include "auth/password.h"
#include "billing/pricebook.h"
#include "platform/platform.h"
#include "runtime/pool.h"
#include "server/config.h"
#include "mail/mail.h"
#include "store/store.h"

#include <jansson.h>

#define MG_SECRET_LEN 32

/* Reads the secrets file: 64 hex characters, not readable by group or others.
 * MG_ERR with a message that says what to do. */
int mg_secret_load(const char *path, uint8_t out[MG_SECRET_LEN], char *err, size_t errlen);
/* Creates the secrets file if it does not exist (0600). MG_OK if it exists or was made. */
int mg_secret_create(const char *path, char *err, size_t errlen);

/* Encrypts / decrypts an upstream key for storage in the database with a key
 * derived from the server secret.  out must hold len + 40 bytes; decrypt
 * returns a malloc'd NUL-terminated key or NULL. */
size_t mg_secret_seal(const uint8_t secret[MG_SECRET_LEN], const char *plain, uint8_t *out, size_t cap);
char *mg_secret_open(const uint8_t secret[MG_SECRET_LEN], const uint8_t *sealed, size_t len);

/* Opens the configured store and brings its schema up to date. */
struct mg_store *mg_server_store(const struct mg_config *cfg, char *err, size_t errlen);

/* The mail layer's configuration from [mail] and [server] public_base_url:
 * the SMTP password read from smtp_password_env / smtp_password_file, the
 * starttls default (required; opportunistic for a loopback host).  MG_OK, or
 * MG_ERR with a message (never the password) in err.  Wipe out->password with
 * sodium_memzero when done. */
int mg_server_mail_config(const struct mg_config *cfg, struct mg_mail_config *out, char *err, size_t errlen);
/* `maxgated admin mail test --to ADDRESS`: one test mail, synchronously. */
int mg_cmd_admin_mail(const struct mg_config *cfg, const char *verb, const char *to);

/* Where an operator command takes a password from: generated (and shown once), a file's first line,
 * standard input's first line, or a prompt with echo off (the default on a terminal). */
struct mg_password_source {
    int generate;
    const char *file;
    int from_stdin;
};
/* Gets the password from src, checks it against the configured policy (email for the context rule) and
 * hashes it into phc; shown (may be NULL) gets the password itself when it was generated.  MG_OK, or
 * MG_ERR after saying why on stderr. */
int mg_server_password(const struct mg_config *cfg, const struct mg_password_source *src, const char *email,
                       char phc[MG_PW_PHC_MAX], char *shown, size_t shown_cap);

/* An audit event made by an operator command (actor none, IP "local"). */
void mg_server_audit(struct mg_store *s, const char *type, int64_t account_id, const char *detail);

/* `maxgated init [--admin-email E [--admin-password-file F | --admin-password-stdin | --generate-admin-password]]` */
int mg_cmd_init(const struct mg_config *cfg, int argc, char **argv);

/* The platform's parts of a running server (serve_platform.c). */
struct mg_server_platform {
    struct mg_pool *pool;      /* the platform's own workers */
    struct mg_pw_lists *lists;
    struct mg_mailer *mailer;
    struct mg_platform *pf;
};
/* Builds them from cfg ([accounts], [mail], [server] platform_*); keys is this node's key cache,
 * serves[r] says whether a channel serves region r.  MG_OK, or MG_ERR with a message in err. */
int mg_server_platform_start(const struct mg_config *cfg, const char *spec, const uint8_t secret[MG_SECRET_LEN],
                             struct mg_keycache *keys, const int serves[MG_REGION__COUNT],
                             struct mg_server_platform *p, char *err, size_t errlen);
/* Stops the workers, sends what the mailer holds, frees everything; a zeroed struct is fine. */
void mg_server_platform_stop(struct mg_server_platform *p);
int mg_cmd_admin(const struct mg_config *cfg, int argc, char **argv);
/* `maxgated admin accounts|access-requests|recovery-requests|audit`: argv starts at the verb (or the
 * options, for audit); argv[-1] must be readable (getopt's program name). */
int mg_cmd_admin_platform(const struct mg_config *cfg, const char *noun, int argc, char **argv);

/* admin_keys.c: `maxgated admin key ...` verbs that run the platform's key handlers in this process
 * (validated, audited, mailed as through the API).  Each returns the exit code (0, 1 failed, 2 usage).
 * revoke_text: a full key (its checksum checked first) or a public id, as a leaked key: the owner is told.
 * edit: name/scopes ("chat,speech" or "all")/models ("a,b"; "" = any)/rpm/tpm ("N" or "none")/cap ("5.00" or
 * "none") that are not NULL.
 * rotate: the new key alone on stdout; window_seconds < 0 = the default (24 h), 0 = the old one ends now. */
int mg_admin_key_revoke_text(const struct mg_config *cfg, struct mg_store *s, const char *key);
/* Runs one platform route in this process as the operator (validated and audited as through the API);
 * *doc gets the answer on a 2xx.  0, or 1 with the reason on stderr. */
int mg_admin_platform_call(const struct mg_config *cfg, struct mg_store *s, const char *method, const char *path,
                           json_t *body, json_t **doc);
/* admin_prices.c: `maxgated admin price list|set|remove|ratio`; argv starts at the verb.
 * mg_admin_flags: the --flag value pairs of argv[1..] into values (by names' order); MG_ERR (said on stderr)
 * on an unknown or valueless flag. */
int mg_cmd_admin_price(const struct mg_config *cfg, struct mg_store *s, const char *noun, int argc, char **argv);
int mg_admin_flags(int argc, char **argv, const char *const *names, const char **values, size_t n);
/* admin_wallet.c: `maxgated admin redeem-codes create|list` and `maxgated admin credit`; argv starts at the
 * verb (redeem-codes) or the first option (credit). */
int mg_cmd_admin_wallet(const struct mg_config *cfg, struct mg_store *s, const char *noun, int argc, char **argv);
struct mg_admin_key_edit {
    const char *name, *scopes, *models, *rpm, *tpm, *cap;
};
int mg_admin_key_edit(const struct mg_config *cfg, struct mg_store *s, const char *public_id,
                      const struct mg_admin_key_edit *e);
int mg_admin_key_rotate(const struct mg_config *cfg, struct mg_store *s, const char *public_id,
                        int64_t window_seconds);
int mg_cmd_serve(const struct mg_config *cfg);

/* prices_live.c: live prices.  mg_server_prices_build: the built-in table, the config's [price.*] rows,
 * the database's rows (s may be NULL: none), the ratio (the database's global one, else the config's);
 * NULL if the store cannot be read.  The reloader builds the book's first table, then polls price_seq
 * and publishes a new table when it moved (mg_price_reloader_now: at once, on the caller's store handle,
 * after a change in this process).  NULL with a message in err at start. */
struct mg_price_reloader;
struct mg_price_table *mg_server_prices_build(const struct mg_config *cfg, struct mg_store *s);
struct mg_price_reloader *mg_price_reloader_start(const struct mg_config *cfg, const char *spec,
                                                  struct mg_pricebook *book, char *err, size_t errlen);
int mg_price_reloader_now(struct mg_price_reloader *r, struct mg_store *s);
void mg_price_reloader_stop(struct mg_price_reloader *r);
/* serve_billing.c: the [billing] section as invoices need it, and the server's billing thread (closes the
 * previous month after its end, sends overdue reminders through mailer; see the file).  start: NULL if the
 * thread could not start (logged); stop joins it (NULL is fine). */
struct mg_billing_config;
void mg_server_billing_config(const struct mg_config *cfg, struct mg_billing_config *out);
struct mg_billing_thread;
struct mg_billing_thread *mg_billing_start(const struct mg_config *cfg, const char *spec, struct mg_mailer *mailer);
void mg_billing_stop(struct mg_billing_thread *t);
/* serve_channels.c: the upstream channels of `maxgated serve`.
 * load_channels: the config's channels then the database's (a disabled one is loaded switched off, so
 * the console can switch it on; one whose key cannot be had is then left out with a warning), each with
 * its plaintext key (the caller's, wiped by the gateway).  MG_OK, or MG_ERR with a message in err.
 * channel_ops: gives the platform its channel callbacks (struct mg_platform_channel_ops) on gw, with a
 * copy of the secret kept until channel_ops_end (after the platform stopped), and starts the thread that
 * keeps gw's database channels in step with the database of spec (each second; ops_end stops it). */
struct mg_gateway;
struct mg_channel_spec;
int mg_server_load_channels(const struct mg_config *cfg, struct mg_store *s, const uint8_t secret[MG_SECRET_LEN],
                            struct mg_channel_spec **out, size_t *n, char *err, size_t errlen);
void mg_server_channel_ops(const struct mg_config *cfg, const char *spec, struct mg_gateway *gw,
                           struct mg_platform *pf, const uint8_t secret[MG_SECRET_LEN]);
void mg_server_channel_ops_end(void);

#endif
