/*
 * platform.c: what the account and admin commands share — the session, the
 * platform API's errors and exit codes, secret input and text tables.
 *
 * The session token is a bearer secret: it goes only to the base URL that
 * issued it (session_base_url in the profile), never into output, and a
 * session the server calls expired or unknown is forgotten at once so the
 * next command asks for a login instead of failing the same way again.
 */
#include "cli/cli.h"
#include "core/mg.h"

#include <curl/curl.h>
#include <signal.h>
#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define PLATFORM_PREFIX "/platform/v1"
#define PW_CAP 1025 /* bytes of a password read for a step-up, NUL included */

/* The platform error codes the CLI treats specially: exit code and, for the
 * session codes, the sentence that says what to run. */
static const struct {
    const char *code;
    int exit;
    const char *say; /* NULL = the API's own message */
} codes[] = {
    {"session_required", MG_EXIT_AUTH, "you are not signed in (or the session was ended); sign in with "
                                       "`maxgate account login --email EMAIL`"},
    {"session_expired", MG_EXIT_AUTH, "your session has expired; sign in again with `maxgate account login`"},
    {"login_failed", MG_EXIT_AUTH, NULL},
    {"forbidden", MG_EXIT_AUTH, NULL},
    {"csrf", MG_EXIT_AUTH, NULL},
    {"reauth_required", MG_EXIT_AUTH, NULL},
    {"account_suspended", MG_EXIT_AUTH, NULL},
    {"plan_required", MG_EXIT_AUTH, NULL}, /* a 403 about what the account may do, as forbidden */
    {"too_many_attempts", MG_EXIT_QUOTA, NULL},
};

int mg_cli_platform_exit(long status, const char *error_code)
{
    if (status / 100 == 2)
        return MG_EXIT_OK;
    for (size_t i = 0; error_code != NULL && i < MG_ARRAY_SIZE(codes); i++)
        if (strcmp(codes[i].code, error_code) == 0) /* mg-allow-cmp: API error codes, not secrets */
            return codes[i].exit;
    if (status == 401)
        return MG_EXIT_AUTH;
    if (status == 429)
        return MG_EXIT_QUOTA;
    if (status == 408 || status == 504)
        return MG_EXIT_TIMEOUT;
    return MG_EXIT_API; /* signup_closed (403) too: the server is fine with who you are */
}

void mg_cli_platform_message(const char *code, const char *message, const char *field, char *out, size_t cap)
{
    const char *say = message;
    for (size_t i = 0; code != NULL && i < MG_ARRAY_SIZE(codes); i++)
        if (strcmp(codes[i].code, code) == 0 && codes[i].say != NULL) /* mg-allow-cmp: API error codes, not secrets */
            say = codes[i].say;
    if (code != NULL && strcmp(code, "signup_closed") == 0) /* mg-allow-cmp: API error codes, not secrets */
        snprintf(out, cap, "%s; this server takes sign-ups by request: run `maxgate account request-access "
                           "--email EMAIL [--note TEXT]`", message ? message : "sign-up is closed");
    else if (field != NULL && field[0])
        snprintf(out, cap, "%s (field %s)", say ? say : "request failed", field);
    else
        snprintf(out, cap, "%s", say ? say : "request failed");
}

static size_t trimmed_len(const char *url)
{
    size_t n = strlen(url);
    while (n > 0 && url[n - 1] == '/')
        n--;
    return n;
}

static int same_url(const char *a, const char *b)
{
    size_t n = trimmed_len(a);
    return n == trimmed_len(b) && strncmp(a, b, n) == 0;
}

int mg_cli_platform_begin(struct mg_cli *cli, int need_session)
{
    cli->cred = need_session ? MG_CLI_CRED_SESSION : MG_CLI_CRED_NONE;
    if (cli->prof.base_url[0] == '\0')
        return mg_cli_fail(cli, MG_EXIT_USAGE, "account and admin commands talk to a maxgate server: add --base-url "
                                               "https://your-maxgate-server (or set MAXGATE_BASE_URL)");
    if (!need_session)
        return MG_EXIT_OK;
    if (cli->prof.session_token[0] == '\0')
        return mg_cli_fail(cli, MG_EXIT_AUTH, "you are not signed in (profile '%s'); sign in with `maxgate account "
                                              "login --email EMAIL`", cli->prof.name);
    if (!same_url(cli->prof.session_base_url, cli->prof.base_url))
        return mg_cli_fail(cli, MG_EXIT_AUTH, "the session of profile '%s' belongs to %s, not %s; sign in there "
                                              "with `maxgate account login` (or use --profile)",
                           cli->prof.name, cli->prof.session_base_url, cli->prof.base_url);
    return MG_EXIT_OK;
}

int mg_cli_session_store(struct mg_cli *cli, const char *token, const char *expires_at, const char *email,
                         char *err, size_t errlen)
{
    struct mg_profile *p = &cli->prof;
    if (token != NULL) {
        if (strlen(token) >= sizeof(p->session_token)) {
            snprintf(err, errlen, "the server sent a session token longer than %zu bytes",
                     sizeof(p->session_token) - 1);
            return MG_ERR;
        }
        mg_strlcpy(p->session_token, token, sizeof(p->session_token));
        mg_strlcpy(p->session_expires_at, expires_at ? expires_at : "", sizeof(p->session_expires_at));
        mg_strlcpy(p->session_base_url, p->base_url, sizeof(p->session_base_url));
        if (email != NULL)
            mg_strlcpy(p->session_email, email, sizeof(p->session_email));
    } else {
        sodium_memzero(p->session_token, sizeof(p->session_token));
        p->session_expires_at[0] = p->session_base_url[0] = '\0';
    }
    /* a flag's base URL is not made the profile's by forgetting a session */
    struct mg_profile saved;
    int rc;
    if (token == NULL && mg_cli_config_load(cli->config_path, p->name, &saved, err, errlen) == MG_OK) {
        sodium_memzero(saved.session_token, sizeof(saved.session_token));
        saved.session_expires_at[0] = saved.session_base_url[0] = '\0';
        rc = mg_cli_config_save(cli->config_path, &saved, 0, err, errlen);
        sodium_memzero(&saved, sizeof(saved));
    } else {
        rc = mg_cli_config_save(cli->config_path, p, token != NULL, err, errlen);
    }
    return rc;
}

/* Prints a platform failure (text, or JSON on stderr) and returns its exit. */
static int platform_fail(struct mg_cli *cli, int exit, long status, json_t *err, const char *request_id)
{
    const char *code = json_string_value(json_object_get(err, "code"));
    const char *message = json_string_value(json_object_get(err, "message"));
    const char *field = json_string_value(json_object_get(err, "field"));
    char msg[1200], fallback[700];
    if (!json_is_object(err)) {
        snprintf(fallback, sizeof(fallback), "HTTP %ld without a platform error; is %s a maxgate server with the "
                                             "platform API?", status, cli->prof.base_url);
        message = fallback;
    }
    mg_cli_platform_message(code, message, field, msg, sizeof(msg));
    if (!cli->json) {
        fprintf(stderr, "maxgate: %s\n", msg);
        return exit;
    }
    json_t *o = json_pack("{s:{s:i,s:s,s:I}}", "error", "code", exit, "message", msg, "status", (json_int_t)status);
    json_t *e = json_object_get(o, "error");
    if (code != NULL)
        json_object_set_new(e, "api_code", json_string(code));
    if (field != NULL)
        json_object_set_new(e, "field", json_string(field));
    if (request_id != NULL)
        json_object_set_new(e, "request_id", json_string(request_id));
    char *s = json_dumps(o, JSON_COMPACT);
    fprintf(stderr, "%s\n", s);
    free(s);
    json_decref(o);
    return exit;
}

int mg_cli_platform_try(struct mg_cli *cli, const char *method, const char *path, json_t *body, json_t **doc,
                       long *status)
{
    struct mg_http_result res;
    char full[1200];
    *doc = NULL;
    *status = 0;
    snprintf(full, sizeof(full), PLATFORM_PREFIX "%s", path);
    mg_cli_request(cli, method, full, body, &res);
    if (res.curl_code != CURLE_OK) {
        int rc = mg_cli_check(cli, &res, NULL); /* timeout / network wording */
        mg_cli_result_free(&res);
        return rc;
    }
    *status = res.status;
    json_t *d = res.len > 0 ? json_loadb(res.body, res.len, 0, NULL) : NULL;
    mg_cli_result_free(&res);
    int exit = mg_cli_platform_exit(*status, json_string_value(json_object_get(json_object_get(d, "error"), "code")));
    if (exit == MG_EXIT_OK && d == NULL && *status != 204 && *status != 202) {
        *status = 0;
        return mg_cli_fail(cli, MG_EXIT_API, "the server answered with a body that is not JSON");
    }
    *doc = d;
    return exit;
}

const char *mg_cli_platform_code(json_t *doc)
{
    return json_string_value(json_object_get(json_object_get(doc, "error"), "code"));
}

int mg_cli_platform_report(struct mg_cli *cli, int exit, long status, json_t *doc)
{
    const char *code = mg_cli_platform_code(doc);
    if (cli->cred == MG_CLI_CRED_SESSION && code != NULL &&
        (strcmp(code, "session_expired") == 0 || strcmp(code, "session_required") == 0)) {
        char e[1200];
        mg_cli_session_store(cli, NULL, NULL, NULL, e, sizeof(e)); /* useless now; best effort */
    }
    return platform_fail(cli, exit, status, json_object_get(doc, "error"),
                         json_string_value(json_object_get(doc, "request_id")));
}

int mg_cli_platform_call(struct mg_cli *cli, const char *method, const char *path, json_t *body, json_t **doc)
{
    json_t *d;
    long status;
    if (doc != NULL)
        *doc = NULL;
    int rc = mg_cli_platform_try(cli, method, path, body, &d, &status);
    if (rc != MG_EXIT_OK && status != 0)
        rc = mg_cli_platform_report(cli, rc, status, d);
    if (rc == MG_EXIT_OK && doc != NULL)
        *doc = d;
    else
        json_decref(d);
    return rc;
}

int mg_cli_url_escape(const char *s, char *out, size_t cap)
{
    static const char hex[] = "0123456789ABCDEF";
    size_t k = 0;
    for (const unsigned char *p = (const unsigned char *)s; *p; p++) {
        int plain = (*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') || (*p >= '0' && *p <= '9') ||
                    *p == '-' || *p == '_' || *p == '.' || *p == '~';
        if (k + (plain ? 1 : 3) >= cap)
            return MG_ERR;
        if (plain) {
            out[k++] = (char)*p;
        } else {
            out[k++] = '%';
            out[k++] = hex[*p >> 4];
            out[k++] = hex[*p & 15];
        }
    }
    if (k >= cap)
        return MG_ERR;
    out[k] = '\0';
    return MG_OK;
}

int mg_cli_query_add(char *path, size_t cap, const char *name, const char *value)
{
    char esc[1024];
    if (value == NULL)
        return MG_OK;
    if (mg_cli_url_escape(value, esc, sizeof(esc)) != MG_OK)
        return MG_ERR;
    size_t n = strlen(path);
    int w = snprintf(path + n, cap - n, "%c%s=%s", strchr(path, '?') ? '&' : '?', name, esc);
    if (w < 0 || (size_t)w >= cap - n) {
        path[n] = '\0';
        return MG_ERR;
    }
    return MG_OK;
}

const char *mg_cli_positional(struct mg_cli *cli)
{
    if (cli->argc == 0 || strncmp(cli->argv[0], "--", 2) == 0)
        return NULL;
    cli->argc--;
    return *cli->argv++;
}

int mg_cli_id_arg(struct mg_cli *cli, const char *what, int64_t *id)
{
    const char *s = mg_cli_positional(cli);
    if (s == NULL || mg_parse_i64(s, strlen(s), id) != MG_OK || *id <= 0)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give the %s id (a positive number; see the list)", what);
    return MG_EXIT_OK;
}

/* ---- secrets ---- */

static struct termios saved_tty;
static volatile sig_atomic_t tty_changed;

static void restore_and_exit(int sig)
{
    (void)sig;
    if (tty_changed)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
    _exit(MG_EXIT_INTERRUPTED);
}

static int read_line(FILE *f, char *out, size_t cap)
{
    size_t n = 0;
    int c;
    while ((c = getc(f)) != EOF && c != '\n') {
        if (n + 1 >= cap) { /* never truncated: too long is an error */
            while ((c = getc(f)) != EOF && c != '\n')
                ;
            sodium_memzero(out, cap);
            return MG_ERR;
        }
        out[n++] = (char)c;
    }
    if (n > 0 && out[n - 1] == '\r')
        n--;
    out[n] = '\0';
    return n > 0 ? MG_OK : MG_ERR;
}

int mg_cli_read_secret(const char *prompt, int from_stdin, char *out, size_t cap)
{
    if (from_stdin)
        return read_line(stdin, out, cap);
    if (!isatty(STDIN_FILENO))
        return MG_DECLINED;
    struct termios quiet;
    if (tcgetattr(STDIN_FILENO, &saved_tty) != 0)
        return MG_DECLINED;
    quiet = saved_tty;
    quiet.c_lflag &= ~(tcflag_t)ECHO;
    quiet.c_lflag |= ECHONL;
    void (*old)(int) = signal(SIGINT, restore_and_exit);
    fprintf(stderr, "%s", prompt);
    fflush(stderr);
    tty_changed = tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet) == 0;
    int rc = read_line(stdin, out, cap);
    if (tty_changed)
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved_tty);
    tty_changed = 0;
    signal(SIGINT, old);
    return rc;
}

void mg_cli_secret_wipe(char *buf, size_t cap)
{
    sodium_memzero(buf, cap);
}

/* ---- tables ---- */

/* Member "a.b" of obj (one level of nesting is enough for the shapes). */
static json_t *member(json_t *obj, const char *key)
{
    const char *dot = strchr(key, '.');
    if (dot == NULL)
        return json_object_get(obj, key);
    char head[64];
    snprintf(head, sizeof(head), "%.*s", (int)(dot - key), key);
    return json_object_get(json_object_get(obj, head), dot + 1);
}

static void cell(json_t *v, char *out, size_t cap)
{
    if (json_is_string(v))
        snprintf(out, cap, "%s", json_string_value(v));
    else if (json_is_integer(v))
        snprintf(out, cap, "%lld", (long long)json_integer_value(v));
    else if (json_is_boolean(v))
        snprintf(out, cap, "%s", json_is_true(v) ? "yes" : "no");
    else if (json_is_real(v))
        snprintf(out, cap, "%g", json_real_value(v));
    else if (json_is_array(v))
        snprintf(out, cap, "%zu item%s", json_array_size(v), json_array_size(v) == 1 ? "" : "s");
    else
        snprintf(out, cap, "-");
    for (char *p = out; *p; p++) /* one row is one line */
        if (*p == '\n' || *p == '\r' || *p == '\t')
            *p = ' ';
}

/* Cuts s to at most w bytes (on a UTF-8 boundary), marking the cut with '~'. */
static void fit(char *s, size_t w)
{
    if (w == 0 || strlen(s) <= w)
        return;
    size_t n = w - 1;
    while (n > 0 && ((unsigned char)s[n] & 0xC0) == 0x80)
        n--;
    s[n] = '~';
    s[n + 1] = '\0';
}

#define CELL_MAX 256

/* One cell, padded to its width; the last of a row ends the line instead. */
static void put_cell(FILE *f, const char *s, size_t width, int last)
{
    if (last)
        fprintf(f, "%s\n", s);
    else
        fprintf(f, "%-*s  ", (int)width, s);
}

void mg_cli_table(FILE *f, json_t *rows, const struct mg_cli_col *cols, size_t ncols, const char *empty)
{
    size_t width[16], i;
    json_t *row;
    char buf[CELL_MAX];
    ncols = ncols < MG_ARRAY_SIZE(width) ? ncols : MG_ARRAY_SIZE(width);
    if (json_array_size(rows) == 0) {
        fprintf(f, "%s\n", empty);
        return;
    }
    for (size_t c = 0; c < ncols; c++) {
        width[c] = strlen(cols[c].header);
        json_array_foreach(rows, i, row)
        {
            cell(member(row, cols[c].key), buf, sizeof(buf));
            fit(buf, (size_t)cols[c].width);
            width[c] = strlen(buf) > width[c] ? strlen(buf) : width[c];
        }
    }
    for (size_t c = 0; c < ncols; c++)
        put_cell(f, cols[c].header, width[c], c + 1 == ncols);
    json_array_foreach(rows, i, row)
    {
        for (size_t c = 0; c < ncols; c++) {
            cell(member(row, cols[c].key), buf, sizeof(buf));
            fit(buf, (size_t)cols[c].width);
            put_cell(f, buf, width[c], c + 1 == ncols);
        }
    }
}

void mg_cli_fields(FILE *f, json_t *obj, const struct mg_cli_col *cols, size_t ncols)
{
    size_t w = 0;
    char buf[CELL_MAX];
    for (size_t c = 0; c < ncols; c++)
        w = strlen(cols[c].header) > w ? strlen(cols[c].header) : w;
    for (size_t c = 0; c < ncols; c++) {
        cell(member(obj, cols[c].key), buf, sizeof(buf));
        fprintf(f, "%-*s  %s\n", (int)w, cols[c].header, buf);
    }
}

/* A call that may need a recent sign-in (see cli.h). */
int mg_cli_stepped_call(struct mg_cli *cli, const char *method, const char *path, json_t *body, json_t **doc)
{
    long status;
    json_t *d;
    int rc = mg_cli_platform_try(cli, method, path, body, &d, &status);
    const char *code = mg_cli_platform_code(d);
    if (rc != MG_EXIT_OK && code != NULL && strcmp(code, "reauth_required") == 0) { /* mg-allow-cmp: API error codes, not secrets */
        const char *totp = mg_cli_opt(cli, "totp-code");
        char pw[PW_CAP];
        json_t *re;
        json_decref(d);
        d = NULL;
        if (totp != NULL) {
            re = json_pack("{s:s}", "totp_code", totp);
        } else {
            int r = mg_cli_read_secret("This needs your password again: ", mg_cli_flag(cli, "password-stdin"), pw,
                                       sizeof(pw));
            if (r == MG_DECLINED)
                return mg_cli_fail(cli, MG_EXIT_AUTH, "this needs a recent sign-in: pass --password-stdin and "
                                                      "write the password to stdin (or --totp-code CODE)");
            if (r != MG_OK)
                return mg_cli_fail(cli, MG_EXIT_USAGE, "no password read (empty, or too long)");
            re = json_pack("{s:s}", "password", pw);
            mg_cli_secret_wipe(pw, sizeof(pw));
        }
        rc = mg_cli_platform_try(cli, "POST", "/me/reauth", re, &d, &status);
        json_object_clear(re);
        json_decref(re);
        if (rc == MG_EXIT_OK) {
            json_decref(d);
            d = NULL;
            rc = mg_cli_platform_try(cli, method, path, body, &d, &status);
        }
    }
    if (rc != MG_EXIT_OK) {
        if (status != 0)
            rc = mg_cli_platform_report(cli, rc, status, d);
        json_decref(d);
        return rc;
    }
    *doc = d;
    return MG_EXIT_OK;
}
