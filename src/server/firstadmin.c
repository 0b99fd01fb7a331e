/*
 * firstadmin.c: `maxgated init` (secrets, database and the first admin) and
 * the passwords operator commands set.  There is no default admin anywhere:
 * init creates one only from a password it is given (prompted, from a file
 * or stdin) or that it generates and prints once (`make run`).  Every such
 * password passes the same policy as the console's.
 */
#include "auth/password.h"
#include "core/clock.h"
#include "core/mg.h"
#include "server/server.h"

#include <errno.h>
#include <getopt.h>
#include <sodium.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#define GEN_LEN 20
#define GEN_TRIES 1000

/* One line from f into out (no newline); MG_OK, MG_DECLINED if empty or too long. */
static int read_line(FILE *f, char *out, size_t cap)
{
    if (fgets(out, (int)cap, f) == NULL)
        return MG_DECLINED;
    size_t n = strcspn(out, "\r\n");
    if (out[n] == '\0' && !feof(f)) {
        sodium_memzero(out, cap);
        return MG_DECLINED;
    }
    out[n] = '\0';
    return n > 0 ? MG_OK : MG_DECLINED;
}

static int prompt(const char *what, char *out, size_t cap)
{
    struct termios old, quiet;
    fprintf(stderr, "%s: ", what);
    fflush(stderr);
    int tty = tcgetattr(STDIN_FILENO, &old) == 0;
    if (tty) {
        quiet = old;
        quiet.c_lflag &= ~(tcflag_t)ECHO;
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
    }
    int rc = read_line(stdin, out, cap);
    if (tty) {
        tcsetattr(STDIN_FILENO, TCSAFLUSH, &old);
        fputc('\n', stderr);
    }
    return rc;
}

/* A random password the default policy accepts: letters, digits and symbols. */
static void generate(const struct mg_pw_lists *lists, char *out)
{
    static const char set[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789-_.!";
    for (int t = 0; t < GEN_TRIES; t++) {
        for (int i = 0; i < GEN_LEN; i++)
            out[i] = set[randombytes_uniform(sizeof(set) - 1)];
        out[GEN_LEN] = '\0';
        if (mg_pw_check(lists, MG_PW_DEFAULT, out, GEN_LEN, NULL) == MG_PW_OK)
            return;
    }
}

void mg_server_audit(struct mg_store *s, const char *type, int64_t account_id, const char *detail)
{
    struct mg_audit_event e;
    memset(&e, 0, sizeof(e));
    e.ts_ms = mg_now_ms();
    mg_strlcpy(e.type, type, sizeof(e.type));
    e.account_id = account_id;
    mg_strlcpy(e.ip, "local", sizeof(e.ip));
    mg_strlcpy(e.detail, detail, sizeof(e.detail));
    if (s->ops->audit_append(s, &e) != MG_OK)
        fprintf(stderr, "maxgated: could not record %s in the audit log\n", type);
}

int mg_server_password(const struct mg_config *cfg, const struct mg_password_source *src, const char *email,
                       char phc[MG_PW_PHC_MAX], char *shown, size_t shown_cap)
{
    char pw[1100], again[1100], err[512];
    int rc = MG_ERR;
    struct mg_pw_lists *lists = mg_pw_lists_load(cfg->password_blocklist, cfg->password_dictionary, err, sizeof(err));
    enum mg_pw_policy policy = MG_PW_DEFAULT;
    if (lists == NULL) {
        fprintf(stderr, "maxgated: %s\n", err);
        return MG_ERR;
    }
    mg_pw_policy_parse(cfg->password_policy, &policy);
    if (src->generate) {
        generate(lists, pw);
    } else if (src->file != NULL) {
        FILE *f = fopen(src->file, "r");
        if (f == NULL) {
            fprintf(stderr, "maxgated: cannot read the password file %s: %s\n", src->file, strerror(errno));
            goto out;
        }
        int ok = read_line(f, pw, sizeof(pw));
        fclose(f);
        if (ok != MG_OK) {
            fprintf(stderr, "maxgated: the password file %s must hold the password on its first line\n", src->file);
            goto out;
        }
    } else if (src->from_stdin || !isatty(STDIN_FILENO)) {
        if (read_line(stdin, pw, sizeof(pw)) != MG_OK) {
            fprintf(stderr, "maxgated: give the password as the first line of standard input\n");
            goto out;
        }
    } else {
        if (prompt("Password for the admin", pw, sizeof(pw)) != MG_OK ||
            prompt("The same password again", again, sizeof(again)) != MG_OK || strcmp(pw, again) != 0) {
            fprintf(stderr, "maxgated: the passwords were empty or did not match\n");
            goto out;
        }
    }
    enum mg_pw_rule r = mg_pw_check(lists, policy, pw, strlen(pw), email);
    if (r != MG_PW_OK) {
        fprintf(stderr, "maxgated: this password is not allowed: %s\n", mg_pw_rule_message(r));
        goto out;
    }
    if (mg_pw_hash(pw, strlen(pw), phc) != MG_OK) {
        fprintf(stderr, "maxgated: cannot hash the password\n");
        goto out;
    }
    if (shown != NULL)
        mg_strlcpy(shown, pw, shown_cap);
    rc = MG_OK;
out:
    sodium_memzero(pw, sizeof(pw));
    sodium_memzero(again, sizeof(again));
    mg_pw_lists_free(lists);
    return rc;
}

int mg_cmd_init(const struct mg_config *cfg, int argc, char **argv)
{
    static const struct option opts[] = {{"admin-email", required_argument, NULL, 'e'},
                                         {"admin-password-file", required_argument, NULL, 'f'},
                                         {"admin-password-stdin", no_argument, NULL, 's'},
                                         {"generate-admin-password", no_argument, NULL, 'g'},
                                         {NULL, 0, NULL, 0}};
    struct mg_password_source src = {0};
    const char *email = NULL;
    char err[512], phc[MG_PW_PHC_MAX], shown[64] = "";
    int ch;
    optind = 1;
    opterr = 0;
    while ((ch = getopt_long(argc, argv, "", opts, NULL)) != -1) {
        switch (ch) {
        case 'e': email = optarg; break;
        case 'f': src.file = optarg; break;
        case 's': src.from_stdin = 1; break;
        case 'g': src.generate = 1; break;
        default:
            fprintf(stderr, "maxgated init: unknown option '%s' (--admin-email E [--admin-password-file F | "
                            "--admin-password-stdin | --generate-admin-password])\n", argv[optind - 1]);
            return 2;
        }
    }
    if (mg_secret_create(cfg->secrets_file, err, sizeof(err)) != MG_OK) {
        fprintf(stderr, "maxgated init: %s\n", err);
        return 1;
    }
    uint8_t secret[MG_SECRET_LEN];
    if (mg_secret_load(cfg->secrets_file, secret, err, sizeof(err)) != MG_OK) {
        fprintf(stderr, "maxgated init: %s\n", err);
        return 1;
    }
    sodium_memzero(secret, sizeof(secret));
    if (mg_pw_init() != MG_OK) {
        fprintf(stderr, "maxgated init: cannot set up password hashing\n");
        return 1;
    }
    struct mg_store *s = mg_server_store(cfg, err, sizeof(err));
    if (s == NULL) {
        fprintf(stderr, "maxgated init: %s\n", err);
        return 1;
    }
    int rc = 0;
    if (email != NULL) {
        struct mg_account a;
        if (s->ops->account_by_email(s, email, &a) == MG_OK) {
            fprintf(stderr, "maxgated init: %s has an account already; nothing changed\n", email);
        } else if (mg_server_password(cfg, &src, email, phc, shown, sizeof(shown)) != MG_OK) {
            rc = 1;
        } else {
            int64_t id;
            int r = s->ops->account_create(s, email, phc, 1, &id);
            sodium_memzero(phc, sizeof(phc));
            if (r != MG_OK) {
                fprintf(stderr, "maxgated init: cannot create the admin %s\n", email);
                rc = 1;
            } else {
                fprintf(stderr, "maxgated init: admin %s created\n", email);
                mg_server_audit(s, "admin.created", id, "the first admin, by maxgated init");
                if (src.generate) /* the one time it is shown */
                    printf("%s\n", shown);
            }
        }
        sodium_memzero(shown, sizeof(shown));
    }
    s->ops->close(s);
    if (rc == 0)
        fprintf(stderr, "maxgated init: database %s and secrets %s are ready\n", cfg->database, cfg->secrets_file);
    return rc;
}
