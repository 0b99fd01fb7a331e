/*
 * deliver.c: one message out, on the calling thread: the RFC 5322 message,
 * SMTP through libcurl, or a file in the outbox folder.  Nothing here logs or
 * returns a body, a token or the password.
 */
#include "mail/mail.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mg.h"

#include <curl/curl.h>
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <sodium.h>
#include <stdatomic.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

/* SMTP timeouts: a mail server that does not answer in these is down. */
#define CONNECT_TIMEOUT_S 10L
#define TOTAL_TIMEOUT_S 30L

static int has_crlf(const char *s) { return strpbrk(s, "\r\n") != NULL; }

void mg_mail_mask(const char *to, char *out, size_t cap)
{
    const char *at = to ? strchr(to, '@') : NULL;
    if (at == NULL || at == to)
        snprintf(out, cap, "***");
    else
        snprintf(out, cap, "%c***%.200s", to[0], at);
}

/* The bare address of a From value: "name <a@b>" -> "a@b", "a@b" -> "a@b". */
static int from_address(const char *from, char *out, size_t cap)
{
    const char *lt = strrchr(from, '<');
    const char *s = lt ? lt + 1 : from;
    size_t n = lt ? strcspn(s, ">") : strlen(s);
    if ((lt && s[n] != '>') || n >= cap)
        return MG_DECLINED;
    memcpy(out, s, n);
    out[n] = '\0';
    return mg_mail_address_valid(out) ? MG_OK : MG_DECLINED;
}

int mg_mail_config_check(const struct mg_mail_config *cfg, char *err, size_t errlen)
{
    char addr[256];
    const char *u = cfg->smtp_url;
    if (u[0] != '\0') {
        const char *rest = strncmp(u, "smtp://", 7) == 0 ? u + 7 : strncmp(u, "smtps://", 8) == 0 ? u + 8 : NULL;
        if (rest == NULL || rest[0] == '\0') {
            snprintf(err, errlen, "[mail] smtp_url must be smtp://host:port or smtps://host:port");
            return MG_ERR;
        }
        if (memchr(rest, '@', strcspn(rest, "/")) != NULL) {
            snprintf(err, errlen, "[mail] smtp_url must not hold a user or password; use smtp_user and "
                                  "smtp_password_env or smtp_password_file");
            return MG_ERR;
        }
    }
    if (has_crlf(cfg->from) || from_address(cfg->from, addr, sizeof(addr)) != MG_OK) {
        snprintf(err, errlen, "[mail] from must be an address like 'maxgate <noreply@example.com>'");
        return MG_ERR;
    }
    if (cfg->queue_max < 1) {
        snprintf(err, errlen, "[mail] queue_max must be at least 1");
        return MG_ERR;
    }
    if (u[0] == '\0' && cfg->outbox_dir[0] == '\0') {
        snprintf(err, errlen, "[mail] needs smtp_url or outbox_dir");
        return MG_ERR;
    }
    return MG_OK;
}

size_t mg_mail_message(const struct mg_mail_config *cfg, const char *to, const char *subject, const char *body,
                       char *out, size_t cap)
{
    char date[64], addr[256], id[33];
    uint8_t rnd[16];
    struct tm tm;
    if (!mg_mail_address_valid(to) || has_crlf(subject) || has_crlf(cfg->from) ||
        from_address(cfg->from, addr, sizeof(addr)) != MG_OK)
        return 0;
    time_t now = (time_t)(mg_now_ms() / 1000);
    gmtime_r(&now, &tm);
    strftime(date, sizeof(date), "%a, %d %b %Y %H:%M:%S +0000", &tm);
    mg_random(rnd, sizeof(rnd));
    sodium_bin2hex(id, sizeof(id), rnd, sizeof(rnd));
    int n = snprintf(out, cap,
                     "Date: %s\r\nFrom: %s\r\nTo: %s\r\nSubject: %s\r\nMessage-ID: <%s%s>\r\nMIME-Version: 1.0\r\n"
                     "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n",
                     date, cfg->from, to, subject, id, strchr(addr, '@'));
    if (n < 0 || (size_t)n >= cap)
        return 0;
    size_t len = (size_t)n;
    for (const char *p = body; *p; p++) {
        if (*p == '\r')
            continue;
        if (len + 3 >= cap)
            return 0;
        if (*p == '\n')
            out[len++] = '\r';
        out[len++] = *p;
    }
    out[len] = '\0';
    return len;
}

/* ---- outbox ------------------------------------------------------------------------ */

static atomic_uint outbox_seq;

static int write_outbox(const struct mg_mail_config *cfg, const char *msg, size_t len, char *where, size_t wcap,
                        char *err, size_t errlen)
{
    char tmp[1200], path[1200];
    if (mkdir(cfg->outbox_dir, 0700) != 0 && errno != EEXIST) {
        snprintf(err, errlen, "cannot create the outbox folder %s: %s", cfg->outbox_dir, strerror(errno));
        return MG_ERR;
    }
    unsigned n = atomic_fetch_add(&outbox_seq, 1) + 1;
    snprintf(tmp, sizeof(tmp), "%s/.tmp-%ld-%u", cfg->outbox_dir, (long)getpid(), n);
    int fd = open(tmp, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write to the outbox folder %s: %s", cfg->outbox_dir, strerror(errno));
        return MG_ERR;
    }
    int ok = write(fd, msg, len) == (ssize_t)len && fsync(fd) == 0;
    ok = close(fd) == 0 && ok;
    /* link() never replaces a file: another process's mail of the same
     * millisecond makes us take the next number instead */
    int linked = 0;
    for (int tries = 0; ok && !linked && tries < 1000; tries++) {
        snprintf(path, sizeof(path), "%s/%lld-%u.eml", cfg->outbox_dir, (long long)mg_now_ms(), n);
        if (link(tmp, path) == 0)
            linked = 1;
        else if (errno == EEXIST)
            n = atomic_fetch_add(&outbox_seq, 1) + 1;
        else
            ok = 0;
    }
    unlink(tmp);
    if (!ok || !linked) {
        snprintf(err, errlen, "cannot write to the outbox folder %s: %s", cfg->outbox_dir, strerror(errno));
        return MG_ERR;
    }
    if (where != NULL)
        mg_strlcpy(where, path, wcap);
    return MG_OK;
}

/* ---- SMTP ------------------------------------------------------------------------------ */

struct upload {
    const char *p;
    size_t left;
};

static size_t read_cb(char *buf, size_t size, size_t nmemb, void *arg)
{
    struct upload *u = arg;
    size_t n = MG_MIN(size * nmemb, u->left);
    memcpy(buf, u->p, n);
    u->p += n;
    u->left -= n;
    return n;
}

static pthread_once_t curl_once = PTHREAD_ONCE_INIT;
static void curl_init(void) { curl_global_init(CURL_GLOBAL_DEFAULT); }

/* Ends a transfer once *stop is set (the mailer's drain deadline passed). */
static int progress_cb(void *arg, curl_off_t dt, curl_off_t dn, curl_off_t ut, curl_off_t un)
{
    const atomic_int *stop = arg;
    return stop != NULL && atomic_load(stop) ? 1 : 0;
}

static int send_smtp(const struct mg_mail_config *cfg, const char *to, const char *msg, size_t len,
                     const atomic_int *stop, char *err, size_t errlen)
{
    char from[260], rcpt[300], cerr[CURL_ERROR_SIZE] = "";
    struct upload up = {msg, len};
    pthread_once(&curl_once, curl_init);
    CURL *c = curl_easy_init();
    if (c == NULL) {
        snprintf(err, errlen, "cannot start libcurl");
        return MG_ERR;
    }
    char addr[256];
    from_address(cfg->from, addr, sizeof(addr));
    snprintf(from, sizeof(from), "<%s>", addr);
    snprintf(rcpt, sizeof(rcpt), "<%s>", to);
    struct curl_slist *rcpts = curl_slist_append(NULL, rcpt);
    curl_easy_setopt(c, CURLOPT_URL, cfg->smtp_url);
    curl_easy_setopt(c, CURLOPT_PROTOCOLS_STR, "smtp,smtps");
    curl_easy_setopt(c, CURLOPT_NOSIGNAL, 1L);
    curl_easy_setopt(c, CURLOPT_ERRORBUFFER, cerr);
    curl_easy_setopt(c, CURLOPT_CONNECTTIMEOUT, CONNECT_TIMEOUT_S);
    curl_easy_setopt(c, CURLOPT_TIMEOUT, TOTAL_TIMEOUT_S);
    if (strncmp(cfg->smtp_url, "smtp://", 7) == 0 && cfg->starttls != MG_STARTTLS_OFF)
        curl_easy_setopt(c, CURLOPT_USE_SSL,
                         cfg->starttls == MG_STARTTLS_REQUIRED ? (long)CURLUSESSL_ALL : (long)CURLUSESSL_TRY);
    if (cfg->ca_file[0])
        curl_easy_setopt(c, CURLOPT_CAINFO, cfg->ca_file);
    if (cfg->user[0]) {
        curl_easy_setopt(c, CURLOPT_USERNAME, cfg->user);
        curl_easy_setopt(c, CURLOPT_PASSWORD, cfg->password);
    }
    curl_easy_setopt(c, CURLOPT_MAIL_FROM, from);
    curl_easy_setopt(c, CURLOPT_MAIL_RCPT, rcpts);
    curl_easy_setopt(c, CURLOPT_READFUNCTION, read_cb);
    curl_easy_setopt(c, CURLOPT_READDATA, &up);
    curl_easy_setopt(c, CURLOPT_UPLOAD, 1L);
    if (stop != NULL) {
        curl_easy_setopt(c, CURLOPT_XFERINFOFUNCTION, progress_cb);
        curl_easy_setopt(c, CURLOPT_XFERINFODATA, (void *)stop);
        curl_easy_setopt(c, CURLOPT_NOPROGRESS, 0L);
    }
    curl_easy_setopt(c, CURLOPT_INFILESIZE_LARGE, (curl_off_t)len);
    CURLcode rc = curl_easy_perform(c);
    long code = 0;
    curl_easy_getinfo(c, CURLINFO_RESPONSE_CODE, &code);
    curl_slist_free_all(rcpts);
    curl_easy_cleanup(c);
    if (rc != CURLE_OK) {
        snprintf(err, errlen, "%s (SMTP %ld): %s", curl_easy_strerror(rc), code, cerr[0] ? cerr : "no detail");
        return MG_ERR;
    }
    return MG_OK;
}

int mg_mail_deliver_until(const struct mg_mail_config *cfg, const char *to, const char *msg, size_t len,
                          const atomic_int *stop, char *where, size_t wherecap, char *err, size_t errlen)
{
    if (where != NULL && wherecap > 0)
        where[0] = '\0';
    if (cfg->smtp_url[0] == '\0')
        return write_outbox(cfg, msg, len, where, wherecap, err, errlen);
    return send_smtp(cfg, to, msg, len, stop, err, errlen);
}

int mg_mail_deliver(const struct mg_mail_config *cfg, const char *to, const char *msg, size_t len, char *where,
                    size_t wherecap, char *err, size_t errlen)
{
    return mg_mail_deliver_until(cfg, to, msg, len, NULL, where, wherecap, err, errlen);
}

int mg_mail_send_now(const struct mg_mail_config *cfg, enum mg_mail_kind kind, const char *to,
                     const struct mg_mail_vars *vars, char *where, size_t wherecap, char *err, size_t errlen)
{
    char subject[MG_MAIL_SUBJECT_MAX], body[MG_MAIL_BODY_MAX];
    char *msg = mg_malloc(MG_MAIL_MESSAGE_MAX);
    size_t len = 0;
    int rc = MG_DECLINED;
    if (mg_mail_render(cfg, kind, to, vars, subject, sizeof(subject), body, sizeof(body)) > 0 &&
        (len = mg_mail_message(cfg, to, subject, body, msg, MG_MAIL_MESSAGE_MAX)) > 0)
        rc = mg_mail_deliver(cfg, to, msg, len, where, wherecap, err, errlen);
    else
        snprintf(err, errlen, "the mail does not render (check the address and [mail] from)");
    sodium_memzero(msg, MG_MAIL_MESSAGE_MAX);
    sodium_memzero(body, sizeof(body));
    free(msg);
    return rc;
}
