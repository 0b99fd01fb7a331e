/*
 * templates.c: every mail maxgate sends, in one table (plain text, English).
 * A template's text may name {product}, {link}, {life}, {ip}, {base},
 * {detail} and {to}; {link} is the kind's console path on public_base_url with the token
 * in the fragment, and appears once, so a body holds its token exactly once.
 */
#include "mail/mail.h"
#include "core/mg.h"

#include <stdio.h>
#include <string.h>

/* A link token is base64url; 43 chars today (32 bytes), room for longer ones. */
#define TOKEN_MAX 128

struct tmpl {
    const char *name;
    const char *path; /* console path of the link, NULL = no link */
    int minutes;      /* default link life */
    const char *subject;
    const char *body;
};

#define SIGN "\n-- \n{product}\n{base}\n"
#define NOT_YOU "If this was not you, reply to this mail or contact support.\n"

static const struct tmpl tmpls[MG_MAIL_KIND_COUNT] = {
    [MG_MAIL_VERIFY] = {"verify", "/console/verify", 24 * 60, "Verify your {product} email address",
                        "Hello,\n\nsomeone (we hope you) signed up for {product} with this address.\n"
                        "Open this link to verify it and activate the account:\n\n{link}\n\n"
                        "The link works once and for {life}. If you did not sign up, ignore this mail.\n" SIGN},
    [MG_MAIL_SET_PASSWORD] = {"set_password", "/console/set-password", 72 * 60, "Your {product} access was approved",
                              "Hello,\n\nyour request for access to {product} was approved.\n"
                              "Open this link to choose your password:\n\n{link}\n\n"
                              "The link works once and for {life}.\n" SIGN},
    [MG_MAIL_ACCESS_RECEIVED] = {"access_received", NULL, 0, "We received your {product} access request",
                                 "Hello,\n\nwe received your request for access to {product}.\n"
                                 "We review every request and will write to you when it has been decided.\n" SIGN},
    [MG_MAIL_ACCESS_DENIED] = {"access_denied", NULL, 0, "Your {product} access request",
                               "Hello,\n\nwe are sorry: your request for access to {product} was not approved.\n"
                               "If you think this is a mistake, reply to this mail.\n" SIGN},
    [MG_MAIL_RESET] = {"reset", "/console/reset", 15, "Reset your {product} password",
                       "Hello,\n\nsomeone (we hope you) asked to reset the password of the {product} account of "
                       "this address (from IP {ip}).\nOpen this link to choose a new password:\n\n{link}\n\n"
                       "The link works once and for {life}; a newer link replaces it.\n"
                       "If you did not ask for it, ignore this mail: your password stays as it is.\n" SIGN},
    [MG_MAIL_RESET_DONE] = {"reset_done", NULL, 0, "Your {product} password was reset",
                            "Hello,\n\nthe password of your {product} account was reset (from IP {ip}).\n"
                            "Every session of the account was signed out.\n" NOT_YOU SIGN},
    [MG_MAIL_PASSWORD_CHANGED] = {"password_changed", NULL, 0, "Your {product} password was changed",
                                  "Hello,\n\nthe password of your {product} account was changed (from IP {ip}).\n"
                                  "Every other session of the account was signed out.\n" NOT_YOU SIGN},
    [MG_MAIL_RECOVERY_RECEIVED] = {"recovery_received", NULL, 0, "We received your {product} recovery request",
                                   "Hello,\n\nwe received a request to recover the {product} account of this "
                                   "address.\nSupport reviews it and will write to you when it has been decided.\n"
                                   NOT_YOU SIGN},
    [MG_MAIL_RECOVERY_APPROVED] = {"recovery_approved", "/console/reset", 15, "Your {product} recovery was approved",
                                   "Hello,\n\nyour request to recover your {product} account was approved.\n"
                                   "Open this link to choose a new password:\n\n{link}\n\n"
                                   "The link works once and for {life}.\n" SIGN},
    [MG_MAIL_RECOVERY_DENIED] = {"recovery_denied", NULL, 0, "Your {product} recovery request",
                                 "Hello,\n\nyour request to recover your {product} account was not approved.\n"
                                 "If you think this is a mistake, reply to this mail.\n" SIGN},
    [MG_MAIL_ACCOUNT_LOCKED] = {"account_locked", NULL, 0, "Your {product} account was locked",
                                "Hello,\n\nafter repeated failed sign-ins (the last from IP {ip}) your {product} "
                                "account is locked for {life}.\nYou can sign in again after that, or reset your "
                                "password.\n" NOT_YOU SIGN},
    [MG_MAIL_MFA_CHANGED] = {"mfa_changed", NULL, 0, "Two-step verification changed on your {product} account",
                             "Hello,\n\nthe two-step verification of your {product} account was changed (from IP "
                             "{ip}): a second factor was added or removed, or new recovery codes were made.\n"
                             "See the Security page of the console for what it has now.\n" NOT_YOU SIGN},
    [MG_MAIL_RECOVERY_CODE_USED] = {"recovery_code_used", NULL, 0, "A recovery code signed in to your {product} account",
                                    "Hello,\n\none of the recovery codes of your {product} account was used to sign "
                                    "in (from IP {ip}). Each code works once; make new ones on the Security page "
                                    "when few are left.\n" NOT_YOU SIGN},
    [MG_MAIL_KEY_REVOKED] = {"key_revoked", NULL, 0, "An API key of your {product} account was revoked",
                             "Hello,\n\none of the API keys of your {product} account was found in public and has "
                             "been revoked, so nobody can use it any more.\nThe API keys page of the console names "
                             "it. Make a new key and replace the old one wherever it was used.\n" SIGN},
    [MG_MAIL_SPEND_ALERT] = {"spend_alert", NULL, 0, "{product} spending alert",
                             "Hello,\n\n{detail}\n\nThe Usage & billing page of the console shows where it went, "
                             "and where the cap and the alerts are set.\n" SIGN},
    [MG_MAIL_TEST] = {"test", NULL, 0, "{product} test mail",
                      "Hello,\n\nthis is a test mail from {product} to {to}.\n"
                      "If you read it, the [mail] settings work.\n" SIGN},
    [MG_MAIL_INVOICE_OVERDUE] = {"invoice_overdue", NULL, 0, "Invoice {invoice} from {product} is overdue",
                                 "Hello,\n\ninvoice {invoice} of your {product} account, {amount}, was due on "
                                 "{due} and we have not received its payment yet.\nThe Invoices page of the "
                                 "console has the invoice as PDF with the bank details for the transfer.\n"
                                 "If you paid it in the last days, thank you, and please ignore this mail.\n" SIGN},
};

const char *mg_mail_kind_name(enum mg_mail_kind kind)
{
    return (unsigned)kind < MG_MAIL_KIND_COUNT ? tmpls[kind].name : NULL;
}

static int has_crlf(const char *s) { return s != NULL && strpbrk(s, "\r\n") != NULL; }

int mg_mail_address_valid(const char *to)
{
    if (to == NULL)
        return 0;
    size_t n = strlen(to);
    const char *at = strchr(to, '@');
    if (n < 3 || n > 254 || at == NULL || at == to || at[1] == '\0' || strchr(at + 1, '@') != NULL)
        return 0;
    for (const unsigned char *p = (const unsigned char *)to; *p; p++)
        if (*p <= ' ' || *p == 0x7f || strchr("<>\"(),;:\\[]", *p) != NULL)
            return 0;
    return 1;
}

static int token_valid(const char *t)
{
    size_t n = t ? strlen(t) : 0;
    if (n == 0 || n > TOKEN_MAX)
        return 0;
    for (size_t i = 0; i < n; i++) {
        char c = t[i];
        if (!((c >= 'A' && c <= 'Z') || (c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '-' || c == '_'))
            return 0;
    }
    return 1;
}

/* An IP as mails show it: digits, hex letters, '.' and ':' only, else "unknown". */
static const char *ip_shown(const char *ip)
{
    if (ip == NULL || ip[0] == '\0' || strlen(ip) > 45 || strspn(ip, "0123456789abcdefABCDEF.:") != strlen(ip))
        return "unknown";
    return ip;
}

static void life_text(int minutes, char *out, size_t cap)
{
    if (minutes % (24 * 60) == 0)
        snprintf(out, cap, "%d day%s", minutes / (24 * 60), minutes == 24 * 60 ? "" : "s");
    else if (minutes % 60 == 0)
        snprintf(out, cap, "%d hour%s", minutes / 60, minutes == 60 ? "" : "s");
    else
        snprintf(out, cap, "%d minute%s", minutes, minutes == 1 ? "" : "s");
}

struct expand {
    const char *product, *link, *life, *ip, *base, *to, *detail, *invoice, *amount, *due;
};

/* Copies src into out[cap] replacing the {names}.  Returns the length, or
 * (size_t)-1 if out is too small or a name is unknown. */
static size_t expand(const char *src, const struct expand *x, char *out, size_t cap)
{
    static const struct {
        const char *name;
        size_t off;
    } names[] = {
        {"{product}", offsetof(struct expand, product)}, {"{link}", offsetof(struct expand, link)},
        {"{life}", offsetof(struct expand, life)},       {"{ip}", offsetof(struct expand, ip)},
        {"{base}", offsetof(struct expand, base)},       {"{to}", offsetof(struct expand, to)},
        {"{detail}", offsetof(struct expand, detail)},
        {"{invoice}", offsetof(struct expand, invoice)}, {"{amount}", offsetof(struct expand, amount)},
        {"{due}", offsetof(struct expand, due)},
    };
    size_t n = 0;
    while (*src) {
        const char *val = NULL;
        size_t skip = 1;
        if (*src == '{') {
            for (size_t i = 0; i < MG_ARRAY_SIZE(names) && val == NULL; i++)
                if (strncmp(src, names[i].name, strlen(names[i].name)) == 0) {
                    val = *(const char *const *)((const char *)x + names[i].off);
                    skip = strlen(names[i].name);
                }
            if (val == NULL)
                return (size_t)-1;
        }
        size_t len = val ? strlen(val) : 1;
        if (n + len >= cap)
            return (size_t)-1;
        memcpy(out + n, val ? val : src, len);
        n += len;
        src += skip;
    }
    out[n] = '\0';
    return n;
}

size_t mg_mail_render(const struct mg_mail_config *cfg, enum mg_mail_kind kind, const char *to,
                      const struct mg_mail_vars *vars, char *subject, size_t scap, char *body, size_t bcap)
{
    static const struct mg_mail_vars none = {NULL, NULL, 0, NULL, NULL, NULL, NULL};
    char link[sizeof(cfg->public_base_url) + 64 + TOKEN_MAX], life[32], base[sizeof(cfg->public_base_url)];
    if ((unsigned)kind >= MG_MAIL_KIND_COUNT || !mg_mail_address_valid(to) || has_crlf(cfg->product) ||
        has_crlf(cfg->public_base_url) || scap == 0 || bcap == 0)
        return 0;
    const struct tmpl *t = &tmpls[kind];
    vars = vars ? vars : &none;
    size_t blen = mg_strlcpy(base, cfg->public_base_url, sizeof(base));
    while (blen > 0 && base[blen - 1] == '/')
        base[--blen] = '\0';
    link[0] = '\0';
    if (t->path != NULL) {
        if (!token_valid(vars->token) || blen == 0)
            return 0;
        snprintf(link, sizeof(link), "%s%s#token=%s", base, t->path, vars->token);
    }
    int minutes = vars->minutes > 0 ? vars->minutes : t->minutes > 0 ? t->minutes : 15;
    life_text(minutes, life, sizeof(life));
    if (has_crlf(vars->invoice) || has_crlf(vars->amount) || has_crlf(vars->due))
        return 0;
    const char *detail = vars->detail && !strchr(vars->detail, '\r') ? vars->detail : "";
    struct expand x = {cfg->product[0] ? cfg->product : "maxgate", link, life, ip_shown(vars->ip),
                       blen ? base : "", to, detail, vars->invoice ? vars->invoice : "",
                       vars->amount ? vars->amount : "", vars->due ? vars->due : ""};
    if (expand(t->subject, &x, subject, scap) == (size_t)-1 || has_crlf(subject))
        return 0;
    size_t n = expand(t->body, &x, body, bcap);
    return n == (size_t)-1 ? 0 : n;
}
