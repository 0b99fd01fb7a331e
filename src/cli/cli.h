/*
 * cli.h: maxgate, the command-line client.
 *
 * Layers: main.c parses the global options and walks the command table;
 * config.c keeps profiles in $XDG_CONFIG_HOME/maxgate/config.json (0600,
 * written atomically); http.c is the one HTTP client (libcurl) that picks
 * the auth header, talks JSON, multipart and SSE, and maps every failure to
 * an exit code; each command group is a file with its own table
 * (cmd_auth.c, cmd_api.c, cmd_config.c, cmd_account.c, cmd_admin.c).  A new
 * group (keys, billing) is a new file and one line in main.c's group list.
 * platform.c is what the platform-API groups share: the session, errors
 * and exit codes of /platform/v1, password input and tables.
 */
#ifndef MG_CLI_CLI_H
#define MG_CLI_CLI_H

#include <jansson.h>
#include <stddef.h>
#include <stdio.h>
#include <stdint.h>
#include "core/region.h"

/* Exit codes (PRODUCT.md section 6). */
enum {
    MG_EXIT_OK = 0,
    MG_EXIT_API = 1,
    MG_EXIT_USAGE = 2,
    MG_EXIT_AUTH = 3,
    MG_EXIT_QUOTA = 4,
    MG_EXIT_TIMEOUT = 5,
    MG_EXIT_NETWORK = 6,
    MG_EXIT_FILTER = 10,
    MG_EXIT_INTERRUPTED = 130,
};

struct mg_profile {
    char name[64];
    char api_key[256];
    char region[16];   /* "global" | "cn" | "" */
    char base_url[512];
    char output[8];    /* "text" | "json" | "" */
    int64_t timeout_s; /* 0 = default */
    /* the platform session (`account login`); sent only to session_base_url */
    char session_token[128];
    char session_expires_at[40];
    char session_email[320];
    char session_base_url[512];
};

/* Everything a command needs: resolved settings and the argument vector. */
struct mg_cli {
    struct mg_profile prof;   /* after flags > env > config precedence */
    char config_path[1024];
    int json;                 /* --output json (default when stdout is not a terminal) */
    int verbose;
    int tty_out, tty_err;
    int64_t timeout_s;
    int cred;                 /* which credential goes out: enum mg_cli_cred */
    const char *region_flag;  /* --region as typed (a global option; `keys create` uses it too), or NULL */
    int argc;                 /* the command's own arguments (after the command words) */
    char **argv;
};

/* The credential a request carries: the API key (MiniMax API), the platform
 * session (account and admin commands), or none (sign-up, login, reset). */
enum mg_cli_cred { MG_CLI_CRED_KEY = 0, MG_CLI_CRED_SESSION, MG_CLI_CRED_NONE };

/* One command: words ("text chat"), handler, one-line help and flag help. */
struct mg_cmd {
    const char *words;
    int (*run)(struct mg_cli *cli);
    const char *summary;
    const char *usage;
};

/* Command tables of the groups. */
extern const struct mg_cmd mg_cli_auth_cmds[];
extern const struct mg_cmd mg_cli_api_cmds[];
extern const struct mg_cmd mg_cli_config_cmds[];
extern const struct mg_cmd mg_cli_account_cmds[];
extern const struct mg_cmd mg_cli_admin_cmds[];
extern const struct mg_cmd mg_cli_mfa_cmds[];
extern const struct mg_cmd mg_cli_keys_cmds[];
extern const struct mg_cmd mg_cli_usage_cmds[];
extern const struct mg_cmd mg_cli_billing_cmds[];
extern const struct mg_cmd mg_cli_spend_cmds[];

/* ---- API keys (cmd_keys.c) ---- */
/* "chat,speech" -> a JSON array of the families (trimmed; at most 64; the
 * quota family and unknown names refused, an empty list refused).  NULL
 * with err filled on a bad list; the caller owns the array. */
json_t *mg_cli_keys_scopes(const char *csv, char *err, size_t errlen);
/* "a,b" -> a JSON array of model names (1..128 printable bytes without
 * quotes or spaces, at most 64); "" is [] (any model).  NULL with err. */
json_t *mg_cli_keys_models(const char *csv, char *err, size_t errlen);
/* --window-seconds: a whole number 0..2592000 -> *out; MG_ERR otherwise. */
int mg_cli_keys_window(const char *s, int64_t *out);
/* 1 if s can be a key's public id (1..64 of [A-Za-z0-9_-]), else 0. */
int mg_cli_key_id_ok(const char *s);

/* ---- second factors (cmd_mfa.c) ---- */

/* What a typed second-factor code is. */
enum mg_cli_mfa_kind { MG_CLI_MFA_NONE = 0, MG_CLI_MFA_TOTP, MG_CLI_MFA_RECOVERY };
/* Bits of mg_cli_mfa_methods. */
enum { MG_CLI_MFA_HAS_TOTP = 1, MG_CLI_MFA_HAS_RECOVERY = 2, MG_CLI_MFA_HAS_WEBAUTHN = 4 };
/* Classifies a typed code and writes it without whitespace to out (cap
 * bytes): exactly six digits are an authenticator code, eight or more
 * letters, digits and '-' a recovery code; anything else (other characters,
 * too long for cap) is MG_CLI_MFA_NONE with out wiped. */
int mg_cli_mfa_code(const char *typed, char *out, size_t cap);
/* The methods array of a login or GET /me answer as MG_CLI_MFA_HAS_* bits
 * (unknown names and non-strings ignored; NULL is 0). */
unsigned mg_cli_mfa_methods(json_t *methods);
/* The login's second step for an mfa_required answer `first`: reads a code
 * (flags, stdin line, or prompt), POSTs /login/mfa and on MG_EXIT_OK gives
 * the answer with the session in *doc.  A security key alone is refused
 * with a pointer to the console.  Errors are printed; returns the exit code. */
int mg_cli_login_mfa(struct mg_cli *cli, json_t *first, json_t **doc);

/* ---- options ---- */
/* Finds "--name value" / "--name=value" in cli->argv; NULL if absent. */
const char *mg_cli_opt(struct mg_cli *cli, const char *name);
/* All values of a repeatable option, in order; returns the count (<= max). */
size_t mg_cli_opts(struct mg_cli *cli, const char *name, const char **out, size_t max);
int mg_cli_flag(struct mg_cli *cli, const char *name);
/* Fails with a usage error on any option not in the comma-separated `known`
 * list ("message,stream,..."; flags and valued options alike). */
int mg_cli_check_opts(struct mg_cli *cli, const char *known, const char *flags);

/* ---- config ---- */
int mg_cli_config_path(char *out, size_t cap);
/* Loads profile `name` ("" = the current one); a missing file is empty.
 * MG_DECLINED (with out->name set) if a named profile does not exist. */
int mg_cli_config_load(const char *path, const char *name, struct mg_profile *out, char *err, size_t errlen);
/* Writes (creates) profile p, optionally making it current; atomic, 0600. */
int mg_cli_config_save(const char *path, const struct mg_profile *p, int make_current, char *err, size_t errlen);
int mg_cli_config_remove_key(const char *path, const char *name, char *err, size_t errlen);
json_t *mg_cli_config_read(const char *path);

/* ---- HTTP ---- */
struct mg_http_result {
    long status;
    char *body; /* NUL-terminated, malloc'd */
    size_t len;
    char content_type[128];
    int curl_code;
};

/* Called per SSE event; return non-zero to stop. */
typedef int (*mg_cli_sse_cb)(void *arg, const char *event, const char *data);

const char *mg_cli_base_url(const struct mg_cli *cli);
int mg_cli_request(struct mg_cli *cli, const char *method, const char *path, json_t *body,
                   struct mg_http_result *res);
int mg_cli_upload(struct mg_cli *cli, const char *path, const char *file, const char *purpose,
                  struct mg_http_result *res);
int mg_cli_stream(struct mg_cli *cli, const char *path, json_t *body, mg_cli_sse_cb cb, void *arg,
                  struct mg_http_result *res);
/* Downloads an absolute URL (no credentials: it is another host) to a file. */
int mg_cli_download(struct mg_cli *cli, const char *url, const char *file, size_t *bytes);
void mg_cli_result_free(struct mg_http_result *res);

/* Turns a finished request into an exit code, printing the error (text or
 * JSON to stderr) if there was one.  On MG_EXIT_OK, *doc (if not NULL) gets
 * the parsed body. */
int mg_cli_check(struct mg_cli *cli, struct mg_http_result *res, json_t **doc);
/* Prints a usage or local error and returns code. */
int mg_cli_fail(struct mg_cli *cli, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints a JSON document (json mode) to stdout. */
void mg_cli_print_json(json_t *doc);

/* Exit code for an HTTP status and MiniMax/maxgate error codes (pure; unit-tested). */
int mg_cli_exit_code(long status, int base_code, const char *error_code);

/* ---- the platform API (platform.c) ---- */
/* Exit code for a platform error (status + error.code; pure; unit-tested):
 * session_required, session_expired, login_failed, forbidden, csrf,
 * reauth_required, plan_required -> 3; too_many_attempts / 429 -> 4; 408/504 -> 5;
 * other 4xx/5xx -> 1. */
int mg_cli_platform_exit(long status, const char *error_code);
/* The message the CLI prints for a platform error: the API's message, with
 * the field and a hint of what to run for the session codes.  Writes at most
 * cap bytes (always NUL-terminated). */
void mg_cli_platform_message(const char *code, const char *message, const char *field, char *out, size_t cap);
/* Sets cli up for the platform API: the base URL must be a maxgate server
 * (profile, --base-url or MAXGATE_BASE_URL).  With need_session, a session
 * of `account login` for that same base URL must be stored; the token is
 * never sent to any other URL.  MG_EXIT_OK, or the exit code after printing
 * the error. */
int mg_cli_platform_begin(struct mg_cli *cli, int need_session);
/* One platform call: method, path (under /platform/v1), optional body.  On
 * MG_EXIT_OK *doc (if not NULL) gets the parsed answer (NULL for 204).
 * Errors are printed (text or JSON) and mapped to exit codes; a session the
 * server calls expired or unknown is forgotten from the profile. */
int mg_cli_platform_call(struct mg_cli *cli, const char *method, const char *path, json_t *body, json_t **doc);
/* The same call without printing an API error: returns the exit code; on an
 * API error *status is the HTTP status and *doc the error document (the
 * caller owns it and may pass it to mg_cli_platform_report).  *status is 0
 * when no HTTP answer came (the network error is already printed). */
int mg_cli_platform_try(struct mg_cli *cli, const char *method, const char *path, json_t *body, json_t **doc,
                        long *status);
/* A call that may need a recent sign-in: on reauth_required proves it once
 * (--totp-code, else the password: the terminal, or stdin with
 * --password-stdin), POSTs /me/reauth and calls again.  As platform_call;
 * the command's check_opts must know totp-code and password-stdin. */
int mg_cli_stepped_call(struct mg_cli *cli, const char *method, const char *path, json_t *body, json_t **doc);
/* Prints the API error in doc, forgets a dead session; returns exit. */
int mg_cli_platform_report(struct mg_cli *cli, int exit, long status, json_t *doc);
/* error.code of an error document, or NULL. */
const char *mg_cli_platform_code(json_t *doc);
/* Stores (token != NULL) or forgets (token == NULL) the session in the
 * current profile.  MG_OK or MG_ERR with err filled. */
int mg_cli_session_store(struct mg_cli *cli, const char *token, const char *expires_at, const char *email,
                         char *err, size_t errlen);
/* Percent-encodes s for a query string into out (cap bytes); MG_ERR if it
 * does not fit. */
int mg_cli_url_escape(const char *s, char *out, size_t cap);
/* Appends "&name=value" (or "?name=value" for the first) to a path of cap
 * bytes when value is not NULL.  MG_ERR if it does not fit. */
int mg_cli_query_add(char *path, size_t cap, const char *name, const char *value);

/* Takes a leading positional argument (an id, an email) off cli's
 * arguments; NULL when the next argument is an option or there is none. */
const char *mg_cli_positional(struct mg_cli *cli);
/* The same, as a positive integer id; a usage error (printed) otherwise. */
int mg_cli_id_arg(struct mg_cli *cli, const char *what, int64_t *id);
/* Prints {events, next_cursor} (me/audit, admin/audit): a table and the
 * cursor of the next page, or the JSON. */
int mg_cli_print_events(struct mg_cli *cli, json_t *doc);

/* Reads one secret line: from stdin when from_stdin (a script or a test
 * feeds it), else from the terminal with echo off after printing prompt to
 * stderr.  Refuses a non-terminal stdin without from_stdin (MG_DECLINED), a
 * line longer than cap - 1 bytes, and an empty line (MG_ERR).  The trailing
 * newline is removed; the caller wipes out with mg_cli_secret_wipe. */
int mg_cli_read_secret(const char *prompt, int from_stdin, char *out, size_t cap);
void mg_cli_secret_wipe(char *buf, size_t cap);

/* One column of a text table: a header, the member of each row object, and
 * a fixed width (0 = as wide as the header, last column may be longer). */
struct mg_cli_col {
    const char *header;
    const char *key;
    int width;
};
/* Prints rows (an array of objects) as a table to f: strings as they are,
 * integers as numbers, booleans as yes/no, null or missing as "-"; a value
 * wider than its column is cut with "~"; an empty array prints `empty`. */
void mg_cli_table(FILE *f, json_t *rows, const struct mg_cli_col *cols, size_t ncols, const char *empty);
/* Prints an object's members as "name  value" lines (text mode of show). */
void mg_cli_fields(FILE *f, json_t *obj, const struct mg_cli_col *cols, size_t ncols);

#endif
