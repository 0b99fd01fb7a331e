/*
 * cmd_account.c: `maxgate account ...`, a customer's side of the platform
 * API (/platform/v1): sign-up or access request, login and logout, the
 * account, its sessions, password change, reset by mail.
 *
 * Passwords are read with echo off from the terminal, or with
 * --password-stdin one per line from stdin (scripts and tests); they never
 * appear in arguments, output or the profile.  The session token is kept in
 * the profile (0600) and never printed.
 */
#include "cli/cli.h"
#include "core/mg.h"

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#define PW_CAP 1025 /* 1024 bytes: the server's 128 characters even in 4-byte UTF-8, twice */

/* Reads a secret, turning the failures into usage errors. */
static int secret(struct mg_cli *cli, const char *prompt, char *out)
{
    int from_stdin = mg_cli_flag(cli, "password-stdin");
    int rc = mg_cli_read_secret(prompt, from_stdin, out, PW_CAP);
    if (rc == MG_DECLINED)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "stdin is not a terminal: pass --password-stdin and write the "
                                               "password as one line to stdin");
    if (rc != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "no password read (empty, or longer than %d bytes)", PW_CAP - 1);
    return MG_EXIT_OK;
}

/* A new password: on a terminal asked twice and compared; from stdin once. */
static int new_secret(struct mg_cli *cli, const char *prompt, char *out)
{
    char again[PW_CAP];
    int rc = secret(cli, prompt, out);
    if (rc != MG_EXIT_OK || mg_cli_flag(cli, "password-stdin"))
        return rc;
    size_t n = strlen(out);
    if ((rc = secret(cli, "Repeat it: ", again)) == MG_EXIT_OK &&
        (strlen(again) != n || sodium_memcmp(out, again, n) != 0))
        rc = mg_cli_fail(cli, MG_EXIT_USAGE, "the two passwords differ; nothing was changed");
    mg_cli_secret_wipe(again, sizeof(again));
    return rc;
}

/* A mail link's token: the bare token, or the whole link (…#token=T). */
static const char *link_token(const char *arg)
{
    const char *t = strstr(arg, "#token=");
    return t ? t + 7 : arg;
}

/* Prints doc (json mode) or the line (text mode); takes doc. */
static int done(struct mg_cli *cli, json_t *doc, const char *line)
{
    if (cli->json)
        mg_cli_print_json(doc);
    else
        printf("%s\n", line);
    json_decref(doc);
    return MG_EXIT_OK;
}

/* GET /config: is sign-up by request only?  1 yes, 0 no or the server does
 * not say (the POST tells), -1 no answer at all (the error is printed). */
static int signup_by_request(struct mg_cli *cli, int *exit)
{
    json_t *doc;
    long status;
    int rc = mg_cli_platform_try(cli, "GET", "/config", NULL, &doc, &status), closed = 0;
    if (rc != MG_EXIT_OK && status == 0) {
        *exit = rc;
        return -1;
    }
    const char *m = json_string_value(json_object_get(doc, "signup_mode"));
    if (rc == MG_EXIT_OK && m != NULL && strcmp(m, "request") == 0)
        closed = 1;
    json_decref(doc);
    return closed;
}

static int account_signup(struct mg_cli *cli)
{
    const char *email = mg_cli_opt(cli, "email");
    char pw[PW_CAP], line[600];
    int rc;
    if (mg_cli_check_opts(cli, "email", "password-stdin") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (email == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --email EMAIL");
    if ((rc = mg_cli_platform_begin(cli, 0)) != MG_EXIT_OK)
        return rc;
    int closed = signup_by_request(cli, &rc); /* say so before asking for a password */
    if (closed < 0)
        return rc;
    if (closed)
        return mg_cli_fail(cli, MG_EXIT_API, "this server takes sign-ups by request: run `maxgate account "
                                             "request-access --email %s [--note TEXT]`", email);
    if ((rc = new_secret(cli, "Choose a password: ", pw)) != MG_EXIT_OK)
        return rc;
    json_t *body = json_pack("{s:s,s:s}", "email", email, "password", pw), *doc;
    rc = mg_cli_platform_call(cli, "POST", "/signup", body, &doc);
    json_object_clear(body);
    json_decref(body);
    mg_cli_secret_wipe(pw, sizeof(pw));
    if (rc != MG_EXIT_OK)
        return rc;
    snprintf(line, sizeof(line), "Check your email (%s) for the verification link; open it, or run `maxgate "
                                 "account verify --token LINK`.", email);
    return done(cli, doc ? doc : json_pack("{s:s}", "status", "check_your_email"), line);
}

static int account_verify(struct mg_cli *cli)
{
    const char *token = mg_cli_opt(cli, "token");
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "token", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (token == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --token TOKEN (or the whole link from the mail)");
    if ((rc = mg_cli_platform_begin(cli, 0)) != MG_EXIT_OK)
        return rc;
    json_t *body = json_pack("{s:s}", "token", link_token(token));
    rc = mg_cli_platform_call(cli, "POST", "/signup/verify", body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    return done(cli, doc ? doc : json_pack("{s:s}", "status", "verified"),
                "Your email is verified; sign in with `maxgate account login`.");
}

static int account_request_access(struct mg_cli *cli)
{
    const char *email = mg_cli_opt(cli, "email"), *note = mg_cli_opt(cli, "note");
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "email,note", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (email == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --email EMAIL [--note TEXT]");
    if ((rc = mg_cli_platform_begin(cli, 0)) != MG_EXIT_OK)
        return rc;
    json_t *body = json_pack("{s:s,s:s?}", "email", email, "note", note);
    rc = mg_cli_platform_call(cli, "POST", "/access-requests", body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    return done(cli, doc ? doc : json_pack("{s:s}", "status", "received"),
                "Request received; you get an email when an operator has approved it.");
}

static int account_login(struct mg_cli *cli)
{
    const char *email = mg_cli_opt(cli, "email");
    char pw[PW_CAP], err[1200], line[1200];
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "email,totp-code,recovery-code", "password-stdin") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (email == NULL && cli->prof.session_email[0])
        email = cli->prof.session_email;
    if (email == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --email EMAIL");
    if ((rc = mg_cli_platform_begin(cli, 0)) != MG_EXIT_OK)
        return rc;
    if ((rc = secret(cli, "Password: ", pw)) != MG_EXIT_OK)
        return rc;
    json_t *body = json_pack("{s:s,s:s}", "email", email, "password", pw);
    rc = mg_cli_platform_call(cli, "POST", "/login", body, &doc);
    json_object_clear(body);
    json_decref(body);
    mg_cli_secret_wipe(pw, sizeof(pw));
    if (rc != MG_EXIT_OK)
        return rc;
    if (json_is_true(json_object_get(doc, "mfa_required"))) {
        json_t *second = NULL;
        rc = mg_cli_login_mfa(cli, doc, &second);
        json_decref(doc); /* the mfa_token goes with it */
        if (rc != MG_EXIT_OK)
            return rc;
        doc = second;
    }
    json_t *session = json_object_get(doc, "session"), *account = json_object_get(doc, "account");
    const char *token = json_string_value(json_object_get(session, "token"));
    const char *expires = json_string_value(json_object_get(session, "expires_at"));
    if (token == NULL) {
        json_decref(doc);
        return mg_cli_fail(cli, MG_EXIT_API, "the server's login answer has no session");
    }
    const char *who = json_string_value(json_object_get(account, "email"));
    rc = mg_cli_session_store(cli, token, expires, who ? who : email, err, sizeof(err));
    json_t *out = json_pack("{s:s,s:s,s:s,s:s?,s:O?}", "profile", cli->prof.name, "email", who ? who : email,
                            "base_url", cli->prof.base_url, "expires_at", expires, "account", account);
    json_object_del(json_object_get(out, "account"), "csrf_token");
    snprintf(line, sizeof(line), "Signed in as %s on %s (profile '%s'); the session lasts until %s at most and "
                                 "ends after 24 h without use.",
             who ? who : email, cli->prof.base_url, cli->prof.name, expires ? expires : "?");
    json_decref(doc); /* the token goes with it; the profile holds the copy */
    if (rc != MG_OK) {
        json_decref(out);
        return mg_cli_fail(cli, MG_EXIT_API, "signed in, but the session cannot be saved: %s", err);
    }
    return done(cli, out, line);
}

static int account_logout(struct mg_cli *cli)
{
    char err[1200];
    json_t *doc;
    long status;
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    rc = mg_cli_platform_try(cli, "POST", "/logout", NULL, &doc, &status);
    const char *code = mg_cli_platform_code(doc);
    int gone = code != NULL && (strcmp(code, "session_expired") == 0 || strcmp(code, "session_required") == 0);
    if (rc != MG_EXIT_OK && !gone) {
        rc = status != 0 ? mg_cli_platform_report(cli, rc, status, doc) : rc;
        json_decref(doc);
        return rc; /* the server still has the session: keep it so logout can be retried */
    }
    json_decref(doc);
    if (mg_cli_session_store(cli, NULL, NULL, NULL, err, sizeof(err)) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_API, "%s", err);
    return done(cli, json_pack("{s:s,s:b}", "profile", cli->prof.name, "server_had_session", !gone),
                gone ? "Signed out (the server had already ended the session)." : "Signed out.");
}

static const struct mg_cli_col me_cols[] = {
    {"id", "id", 0},           {"email", "email", 0},
    {"plan", "plan", 0},       {"role", "role", 0},
    {"status", "status", 0},   {"credit (micros)", "credit_micros", 0},
    {"currency", "currency", 0}, {"created", "created_at", 0},
    {"second factor", "mfa.enabled", 0}, {"session", "session.id", 0},
    {"session ends", "session.expires_at", 0}, {"idle until", "session.idle_expires_at", 0},
};

static int account_whoami(struct mg_cli *cli)
{
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_call(cli, "GET", "/me", NULL, &doc)) != MG_EXIT_OK)
        return rc;
    json_object_del(doc, "csrf_token"); /* only for the console's cookie; nothing to show */
    if (cli->json)
        mg_cli_print_json(doc);
    else
        mg_cli_fields(stdout, doc, me_cols, MG_ARRAY_SIZE(me_cols));
    json_decref(doc);
    return MG_EXIT_OK;
}

static const struct mg_cli_col session_cols[] = {
    {"id", "id", 0},           {"this", "current", 0},     {"created", "created_at", 0},
    {"last seen", "last_seen_at", 0}, {"expires", "expires_at", 0}, {"ip", "ip", 40},
    {"client", "user_agent", 40},
};

static int account_sessions(struct mg_cli *cli)
{
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_call(cli, "GET", "/me/sessions", NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json)
        mg_cli_print_json(doc);
    else
        mg_cli_table(stdout, json_object_get(doc, "sessions"), session_cols, MG_ARRAY_SIZE(session_cols),
                     "no sessions");
    json_decref(doc);
    return MG_EXIT_OK;
}

static int account_sessions_end(struct mg_cli *cli)
{
    int64_t id;
    char path[64], line[80];
    int rc;
    if ((rc = mg_cli_id_arg(cli, "session", &id)) != MG_EXIT_OK || (rc = mg_cli_check_opts(cli, "", "")) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    snprintf(path, sizeof(path), "/me/sessions/%lld", (long long)id);
    if ((rc = mg_cli_platform_call(cli, "DELETE", path, NULL, NULL)) != MG_EXIT_OK)
        return rc;
    snprintf(line, sizeof(line), "Session %lld ended.", (long long)id);
    return done(cli, json_pack("{s:I}", "ended", (json_int_t)id), line);
}

static int account_sessions_end_others(struct mg_cli *cli)
{
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_call(cli, "DELETE", "/me/sessions", NULL, NULL)) != MG_EXIT_OK)
        return rc;
    return done(cli, json_pack("{s:s}", "ended", "others"), "Every other session ended; this one stays.");
}

static int account_password(struct mg_cli *cli)
{
    char cur[PW_CAP], pw[PW_CAP];
    json_t *doc;
    long status;
    int rc;
    if (mg_cli_check_opts(cli, "", "password-stdin") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    if ((rc = secret(cli, "Current password: ", cur)) != MG_EXIT_OK)
        return rc;
    if ((rc = new_secret(cli, "New password: ", pw)) != MG_EXIT_OK) {
        mg_cli_secret_wipe(cur, sizeof(cur));
        return rc;
    }
    json_t *body = json_pack("{s:s,s:s}", "current_password", cur, "new_password", pw);
    rc = mg_cli_platform_try(cli, "POST", "/me/password", body, &doc, &status);
    const char *code = mg_cli_platform_code(doc);
    if (rc != MG_EXIT_OK && code != NULL && strcmp(code, "reauth_required") == 0) {
        /* the step-up is the current password the user just gave */
        json_t *re = json_pack("{s:s}", "password", cur);
        json_decref(doc);
        rc = mg_cli_platform_try(cli, "POST", "/me/reauth", re, &doc, &status);
        json_object_clear(re);
        json_decref(re);
        if (rc == MG_EXIT_OK) {
            json_decref(doc);
            rc = mg_cli_platform_try(cli, "POST", "/me/password", body, &doc, &status);
        }
    }
    json_object_clear(body);
    json_decref(body);
    mg_cli_secret_wipe(cur, sizeof(cur));
    mg_cli_secret_wipe(pw, sizeof(pw));
    if (rc != MG_EXIT_OK) {
        rc = status != 0 ? mg_cli_platform_report(cli, rc, status, doc) : rc;
        json_decref(doc);
        return rc;
    }
    json_decref(doc);
    return done(cli, json_pack("{s:s}", "status", "changed"),
                "Password changed; every other session was ended.");
}

static int account_forgot(struct mg_cli *cli)
{
    const char *email = mg_cli_opt(cli, "email");
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "email", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (email == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --email EMAIL");
    if ((rc = mg_cli_platform_begin(cli, 0)) != MG_EXIT_OK)
        return rc;
    json_t *body = json_pack("{s:s}", "email", email);
    rc = mg_cli_platform_call(cli, "POST", "/password/forgot", body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    return done(cli, doc ? doc : json_pack("{s:s}", "status", "check_your_email"),
                "If an account has this email, a reset link is on its way (valid 15 minutes); then run `maxgate "
                "account reset --token LINK`.");
}

/* reset and set-password: a mail token and a new password. */
static int token_password(struct mg_cli *cli, const char *path, const char *line)
{
    const char *token = mg_cli_opt(cli, "token");
    char pw[PW_CAP];
    int rc;
    if (mg_cli_check_opts(cli, "token", "password-stdin") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (token == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --token TOKEN (or the whole link from the mail)");
    if ((rc = mg_cli_platform_begin(cli, 0)) != MG_EXIT_OK)
        return rc;
    if ((rc = new_secret(cli, "New password: ", pw)) != MG_EXIT_OK)
        return rc;
    json_t *body = json_pack("{s:s,s:s}", "token", link_token(token), "new_password", pw);
    rc = mg_cli_platform_call(cli, "POST", path, body, NULL);
    json_object_clear(body);
    json_decref(body);
    mg_cli_secret_wipe(pw, sizeof(pw));
    if (rc != MG_EXIT_OK)
        return rc;
    return done(cli, json_pack("{s:s}", "status", "password_set"), line);
}

static int account_reset(struct mg_cli *cli)
{
    return token_password(cli, "/password/reset",
                          "Password set; every session was ended. Sign in with `maxgate account login`.");
}

static int account_set_password(struct mg_cli *cli)
{
    return token_password(cli, "/password/set", "Password set. Sign in with `maxgate account login`.");
}

static int account_recover(struct mg_cli *cli)
{
    const char *email = mg_cli_opt(cli, "email"), *desc = mg_cli_opt(cli, "description");
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "email,description", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (email == NULL || desc == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --email EMAIL --description TEXT (what support can check)");
    if ((rc = mg_cli_platform_begin(cli, 0)) != MG_EXIT_OK)
        return rc;
    json_t *body = json_pack("{s:s,s:s}", "email", email, "description", desc);
    rc = mg_cli_platform_call(cli, "POST", "/recovery-requests", body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    return done(cli, doc ? doc : json_pack("{s:s}", "status", "received"),
                "Recovery request received; support reviews it and answers by email.");
}

static const struct mg_cli_col event_cols[] = {
    {"id", "id", 0},      {"time", "time", 0},  {"type", "type", 0}, {"account", "account_id", 0},
    {"actor", "actor_id", 0}, {"ip", "ip", 40}, {"detail", "detail", 60},
};

int mg_cli_print_events(struct mg_cli *cli, json_t *doc)
{
    if (cli->json) {
        mg_cli_print_json(doc);
        return MG_EXIT_OK;
    }
    mg_cli_table(stdout, json_object_get(doc, "events"), event_cols, MG_ARRAY_SIZE(event_cols), "no events");
    const char *next = json_string_value(json_object_get(doc, "next_cursor"));
    if (next != NULL)
        printf("(more: add --cursor %s)\n", next);
    return MG_EXIT_OK;
}

static int account_audit(struct mg_cli *cli)
{
    char path[512] = "/me/audit";
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "cursor,limit", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (mg_cli_query_add(path, sizeof(path), "cursor", mg_cli_opt(cli, "cursor")) != MG_OK ||
        mg_cli_query_add(path, sizeof(path), "limit", mg_cli_opt(cli, "limit")) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--cursor or --limit is too long");
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_call(cli, "GET", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    mg_cli_print_events(cli, doc);
    json_decref(doc);
    return MG_EXIT_OK;
}

const struct mg_cmd mg_cli_account_cmds[] = {
    {"account signup", account_signup, "create an account (open sign-up); the mail has the verification link",
     "--email EMAIL [--password-stdin]"},
    {"account verify", account_verify, "verify the email with the link from the sign-up mail", "--token TOKEN|LINK"},
    {"account request-access", account_request_access, "leave your email; an operator approves the account",
     "--email EMAIL [--note TEXT]"},
    {"account login", account_login, "sign in; the session is kept in the profile (never printed)",
     "--email EMAIL [--password-stdin] [--totp-code CODE | --recovery-code CODE] [--base-url URL] [--profile NAME]"},
    {"account logout", account_logout, "end this session on the server and forget it", ""},
    {"account whoami", account_whoami, "the signed-in account and session", ""},
    {"account sessions", account_sessions, "list your sessions", ""},
    {"account sessions list", account_sessions, "list your sessions", ""},
    {"account sessions end", account_sessions_end, "end one of your sessions", "ID"},
    {"account sessions end-others", account_sessions_end_others, "sign out everywhere else", ""},
    {"account password", account_password, "change the password (ends every other session)",
     "[--password-stdin: two lines, the current password then the new one]"},
    {"account forgot", account_forgot, "mail a password reset link", "--email EMAIL"},
    {"account reset", account_reset, "set a new password with the reset link", "--token TOKEN|LINK [--password-stdin]"},
    {"account set-password", account_set_password, "set the first password with the link of an approved request",
     "--token TOKEN|LINK [--password-stdin]"},
    {"account recover", account_recover, "lost password and second factor: ask support to review",
     "--email EMAIL --description TEXT"},
    {"account audit", account_audit, "your security events", "[--cursor C] [--limit N]"},
    {NULL, NULL, NULL, NULL},
};
