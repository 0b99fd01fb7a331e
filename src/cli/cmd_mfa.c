/*
 * cmd_mfa.c: second factors in the CLI: the login's second step
 * (POST /login/mfa with an authenticator or recovery code) and
 * `maxgate account mfa status`.  A security key is a browser-only factor:
 * the CLI says so and points at the console.
 *
 * A code comes from --totp-code / --recovery-code, else (with
 * --password-stdin) the line after the password on stdin, else a prompt on
 * the terminal (echo on: a one-time code is not a password).  Codes never
 * appear in output or the profile.
 */
#include "cli/cli.h"
#include "core/mg.h"

#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define CODE_CAP 65 /* a recovery code is far shorter; a longer line is refused */
#define PROMPT_TRIES 3

int mg_cli_mfa_code(const char *typed, char *out, size_t cap)
{
    size_t n = 0, digits = 0;
    if (typed == NULL || cap == 0)
        return MG_CLI_MFA_NONE;
    for (const char *p = typed; *p; p++) {
        unsigned char c = (unsigned char)*p;
        if (isspace(c))
            continue;
        if (!isalnum(c) && c != '-')
            goto bad;
        if (n + 1 >= cap)
            goto bad;
        digits += isdigit(c) ? 1 : 0;
        out[n++] = (char)c;
    }
    out[n] = '\0';
    if (n == 6 && digits == 6)
        return MG_CLI_MFA_TOTP;
    if (n >= 8)
        return MG_CLI_MFA_RECOVERY;
bad:
    mg_cli_secret_wipe(out, cap);
    return MG_CLI_MFA_NONE;
}

unsigned mg_cli_mfa_methods(json_t *methods)
{
    unsigned bits = 0;
    size_t i;
    json_t *m;
    json_array_foreach(methods, i, m)
    {
        const char *s = json_string_value(m);
        if (s == NULL)
            continue;
        bits |= strcmp(s, "totp") == 0 ? MG_CLI_MFA_HAS_TOTP : 0;
        bits |= strcmp(s, "recovery_code") == 0 ? MG_CLI_MFA_HAS_RECOVERY : 0;
        bits |= strcmp(s, "webauthn") == 0 ? MG_CLI_MFA_HAS_WEBAUTHN : 0;
    }
    return bits;
}

/* One line from the terminal with echo on; MG_OK or MG_ERR (EOF, too long). */
static int prompt_line(const char *prompt, char *out, size_t cap)
{
    fprintf(stderr, "%s", prompt);
    fflush(stderr);
    if (fgets(out, (int)cap, stdin) == NULL)
        return MG_ERR;
    size_t n = strlen(out);
    if (n == 0 || out[n - 1] != '\n') {
        int c;
        while ((c = getchar()) != EOF && c != '\n')
            ;
        return n + 1 >= cap ? MG_ERR : MG_OK; /* a last line without newline is fine */
    }
    out[n - 1] = '\0';
    return MG_OK;
}

/* Where this try's code comes from: 1 read, 0 none (usage error printed), -1 read failed. */
static int next_code(struct mg_cli *cli, int try, char *typed, size_t cap)
{
    const char *totp = mg_cli_opt(cli, "totp-code"), *rec = mg_cli_opt(cli, "recovery-code");
    if (totp || rec) {
        if (try > 0)
            return 0;
        snprintf(typed, cap, "%s", totp ? totp : rec);
        return 1;
    }
    if (mg_cli_flag(cli, "password-stdin"))
        return try == 0 ? (mg_cli_read_secret("", 1, typed, cap) == MG_OK ? 1 : -1) : 0;
    if (!isatty(STDIN_FILENO))
        return -1;
    return prompt_line("Authenticator code (or a recovery code): ", typed, cap) == MG_OK ? 1 : -1;
}

/* The error names the attempt itself (field mfa_token): expired, used, or too many wrong codes. */
static int attempt_over(json_t *answer)
{
    const char *field = json_string_value(json_object_get(json_object_get(answer, "error"), "field"));
    return field != NULL && strcmp(field, "mfa_token") == 0; /* mg-allow-cmp: a field name, no secret */
}

int mg_cli_login_mfa(struct mg_cli *cli, json_t *first, json_t **doc)
{
    const char *token = json_string_value(json_object_get(first, "mfa_token"));
    unsigned has = mg_cli_mfa_methods(json_object_get(first, "methods"));
    char typed[CODE_CAP], code[CODE_CAP];
    *doc = NULL;
    if (token == NULL)
        return mg_cli_fail(cli, MG_EXIT_API, "the server asked for a second factor but sent no mfa_token");
    if ((has & (MG_CLI_MFA_HAS_TOTP | MG_CLI_MFA_HAS_RECOVERY)) == 0)
        return mg_cli_fail(cli, MG_EXIT_AUTH,
                           "this account's second factor is a security key, which works only in a browser: sign in "
                           "with the console at %s/console/ (the command line takes authenticator and recovery codes)",
                           cli->prof.base_url);
    int interactive = mg_cli_opt(cli, "totp-code") == NULL && mg_cli_opt(cli, "recovery-code") == NULL &&
                      !mg_cli_flag(cli, "password-stdin") && isatty(STDIN_FILENO);
    for (int try = 0; try < (interactive ? PROMPT_TRIES : 1); try++) {
        int got = next_code(cli, try, typed, sizeof(typed));
        if (got <= 0)
            return mg_cli_fail(cli, MG_EXIT_USAGE,
                               "no second-factor code read: pass --totp-code CODE or --recovery-code CODE, or with "
                               "--password-stdin write the code on the line after the password%s%s%s",
                               has & MG_CLI_MFA_HAS_WEBAUTHN ? " (the account's security key works only in a browser: "
                                                               "sign in with the console at "
                                                             : "",
                               has & MG_CLI_MFA_HAS_WEBAUTHN ? cli->prof.base_url : "",
                               has & MG_CLI_MFA_HAS_WEBAUTHN ? "/console/)" : "");
        int kind = mg_cli_mfa_code(typed, code, sizeof(code));
        mg_cli_secret_wipe(typed, sizeof(typed));
        if (mg_cli_opt(cli, "recovery-code") && kind != MG_CLI_MFA_NONE)
            kind = MG_CLI_MFA_RECOVERY;
        if (kind == MG_CLI_MFA_NONE) {
            if (interactive) {
                fprintf(stderr, "That is neither a 6-digit code nor a recovery code.\n");
                continue;
            }
            return mg_cli_fail(cli, MG_EXIT_USAGE, "the code is neither 6 digits nor a recovery code");
        }
        json_t *body = json_pack("{s:s,s:s}", "mfa_token", token,
                                 kind == MG_CLI_MFA_TOTP ? "totp_code" : "recovery_code", code);
        mg_cli_secret_wipe(code, sizeof(code));
        long status = 0;
        json_t *answer = NULL;
        int rc = mg_cli_platform_try(cli, "POST", "/login/mfa", body, &answer, &status);
        json_object_clear(body);
        json_decref(body);
        if (rc == MG_EXIT_OK) {
            *doc = answer;
            return MG_EXIT_OK;
        }
        const char *ecode = mg_cli_platform_code(answer);
        int over = attempt_over(answer);
        int retry = interactive && status == 401 && ecode && strcmp(ecode, "mfa_failed") == 0 && !over &&
                    try + 1 < PROMPT_TRIES;
        if (retry) {
            fprintf(stderr, "That code was not accepted; try the current one.\n");
            json_decref(answer);
            continue;
        }
        if (status == 401 && over) {
            json_decref(answer);
            return mg_cli_fail(cli, MG_EXIT_AUTH, "this sign-in attempt has ended (expired, or too many wrong codes): "
                                                  "run `maxgate account login` again");
        }
        rc = status != 0 ? mg_cli_platform_report(cli, rc, status, answer) : rc;
        json_decref(answer);
        return rc;
    }
    return mg_cli_fail(cli, MG_EXIT_AUTH, "no accepted code; run `maxgate account login` again");
}

static int mfa_status(struct mg_cli *cli)
{
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    if ((rc = mg_cli_platform_call(cli, "GET", "/me", NULL, &doc)) != MG_EXIT_OK)
        return rc;
    json_t *mfa = json_object_get(doc, "mfa");
    if (cli->json) {
        mg_cli_print_json(mfa ? mfa : json_object());
        json_decref(doc);
        return MG_EXIT_OK;
    }
    unsigned has = mg_cli_mfa_methods(json_object_get(mfa, "methods"));
    json_t *left = json_object_get(mfa, "recovery_codes_left");
    printf("two-step verification  %s\n", json_is_true(json_object_get(mfa, "enabled")) ? "on" : "off");
    printf("authenticator app      %s\n", has & MG_CLI_MFA_HAS_TOTP ? "set up" : "not set up");
    printf("security keys          %s\n", has & MG_CLI_MFA_HAS_WEBAUTHN ? "registered (browser only)" : "none");
    printf("recovery codes left    %lld\n", json_is_integer(left) ? (long long)json_integer_value(left) : 0LL);
    if (!(has & (MG_CLI_MFA_HAS_TOTP | MG_CLI_MFA_HAS_WEBAUTHN)))
        printf("Set up a second factor on the console's Security page: %s/console/security\n", cli->prof.base_url);
    json_decref(doc);
    return MG_EXIT_OK;
}

const struct mg_cmd mg_cli_mfa_cmds[] = {
    {"account mfa status", mfa_status, "your second factors: authenticator app, security keys, recovery codes left",
     ""},
    {NULL, NULL, NULL, NULL},
};
