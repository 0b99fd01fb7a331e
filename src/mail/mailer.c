/*
 * mailer.c: the mail queue and its one thread.
 *
 * mg_mailer_send() renders on the caller's thread (cheap, no I/O) and appends
 * the whole message to a list under a mutex, up to queue_max mails; past that
 * it answers MG_AGAIN.  The mailer's own thread takes the oldest mail that is
 * due and delivers it (SMTP can block for its 30 s timeout, which is why it
 * never runs on a loop thread or a database worker).  A failed attempt puts
 * the mail back with a later due time (MAX_ATTEMPTS in all); after the last
 * one it is logged (address masked) and dropped.  mg_mailer_free() lets the
 * thread give every queued mail one (last) attempt for MG_MAILER_DRAIN_MS,
 * then aborts the transfer in progress and drops (and counts) what is left.
 */
#include "mail/mail.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mg.h"

#include <pthread.h>
#include <stdint.h>
#include <sodium.h>
#include <stdatomic.h>
#include <string.h>
#include <time.h>

/* A transient failure (a restarting relay, a greylisting 4xx) gets two more
 * tries, 2 s and then 8 s later; a longer outage is the operator's to see in the log. */
#define MAX_ATTEMPTS 3
static const int64_t backoff_ms[MAX_ATTEMPTS] = {0, 2000, 8000};

struct item {
    struct item *next;
    char *to;
    char *msg;
    size_t len;
    int attempts;
    int64_t due_us; /* monotonic */
    enum mg_mail_kind kind;
};

struct mg_mailer {
    struct mg_mail_config cfg;
    pthread_t thread;
    pthread_mutex_t mu;
    pthread_cond_t cv;
    struct item *head, **tail;
    size_t n;
    int hold, stopping;
    int64_t drain_until_us;
    atomic_int abort_send; /* set past the drain deadline: ends the transfer in progress */
    struct mg_mail_stats st;
};

static void item_free(struct item *it)
{
    if (it == NULL)
        return;
    sodium_memzero(it->msg, it->len);
    free(it->msg);
    free(it->to);
    free(it);
}

static void append(struct mg_mailer *m, struct item *it)
{
    it->next = NULL;
    *m->tail = it;
    m->tail = &it->next;
    m->n++;
}

/* Takes the first due item off the list (NULL if none); *wait_us is how long
 * until the next one is due. */
static struct item *take_due(struct mg_mailer *m, int64_t now_us, int64_t *wait_us)
{
    *wait_us = -1;
    for (struct item **pp = &m->head; *pp; pp = &(*pp)->next) {
        struct item *it = *pp;
        if (it->due_us <= now_us) {
            *pp = it->next;
            if (m->tail == &it->next)
                m->tail = pp;
            m->n--;
            return it;
        }
        if (*wait_us < 0 || it->due_us - now_us < *wait_us)
            *wait_us = it->due_us - now_us;
    }
    return NULL;
}

static void wait_on(struct mg_mailer *m, int64_t wait_us)
{
    if (wait_us < 0) {
        pthread_cond_wait(&m->cv, &m->mu);
        return;
    }
    struct timespec ts;
    clock_gettime(CLOCK_MONOTONIC, &ts);
    int64_t ns = (int64_t)ts.tv_nsec + (wait_us % 1000000) * 1000;
    ts.tv_sec += (time_t)(wait_us / 1000000 + ns / 1000000000);
    ts.tv_nsec = (long)(ns % 1000000000);
    pthread_cond_timedwait(&m->cv, &m->mu, &ts);
}

static void drop_all(struct mg_mailer *m)
{
    size_t n = 0;
    while (m->head) {
        struct item *it = m->head;
        m->head = it->next;
        item_free(it);
        n++;
    }
    m->tail = &m->head;
    m->n = 0;
    m->st.dropped += n;
    if (n > 0)
        mg_log(MG_LOG_WARN, "mail: %zu mail(s) not sent at shutdown (dropped)", n);
}

static void deliver_one(struct mg_mailer *m, struct item *it)
{
    char err[512] = "", where[1200] = "", masked[256];
    int rc = mg_mail_deliver_until(&m->cfg, it->to, it->msg, it->len, &m->abort_send, where, sizeof(where), err,
                                   sizeof(err));
    mg_mail_mask(it->to, masked, sizeof(masked));
    pthread_mutex_lock(&m->mu);
    it->attempts++;
    if (rc == MG_OK) {
        m->st.sent++;
        pthread_mutex_unlock(&m->mu);
        if (where[0])
            mg_log(MG_LOG_INFO, "mail: %s mail to %s written to the outbox: %s", mg_mail_kind_name(it->kind), masked,
                   where);
        else
            mg_log(MG_LOG_INFO, "mail: %s mail to %s sent", mg_mail_kind_name(it->kind), masked);
        item_free(it);
        return;
    }
    if (it->attempts < MAX_ATTEMPTS && !m->stopping) {
        m->st.retried++;
        it->due_us = mg_monotonic_us() + backoff_ms[it->attempts] * 1000;
        append(m, it);
        pthread_mutex_unlock(&m->mu);
        mg_log(MG_LOG_WARN, "mail: %s mail to %s failed (attempt %d of %d, tried again in %lld s): %s",
               mg_mail_kind_name(it->kind), masked, it->attempts, MAX_ATTEMPTS,
               (long long)(backoff_ms[it->attempts] / 1000), err);
        return;
    }
    m->st.dropped++;
    pthread_mutex_unlock(&m->mu);
    mg_log(MG_LOG_ERROR, "mail: %s mail to %s dropped after %d attempt(s): %s", mg_mail_kind_name(it->kind), masked,
           it->attempts, err);
    item_free(it);
}

static void *run(void *arg)
{
    struct mg_mailer *m = arg;
    pthread_mutex_lock(&m->mu);
    for (;;) {
        int64_t now = mg_monotonic_us(), wait_us = -1;
        if (m->stopping && (m->head == NULL || now >= m->drain_until_us))
            break;
        /* stopping, every mail left is due: a retry waiting for its backoff
         * gets its last attempt now instead of outliving the drain */
        struct item *it = m->hold && !m->stopping ? NULL : take_due(m, m->stopping ? INT64_MAX : now, &wait_us);
        if (it == NULL) {
            wait_on(m, wait_us);
            continue;
        }
        m->st.queued = m->n;
        pthread_mutex_unlock(&m->mu);
        deliver_one(m, it);
        pthread_mutex_lock(&m->mu);
    }
    drop_all(m);
    pthread_mutex_unlock(&m->mu);
    return NULL;
}

struct mg_mailer *mg_mailer_new(const struct mg_mail_config *cfg, char *err, size_t errlen)
{
    if (mg_mail_config_check(cfg, err, errlen) != MG_OK)
        return NULL;
    struct mg_mailer *m = mg_calloc(1, sizeof(*m));
    m->cfg = *cfg;
    m->tail = &m->head;
    pthread_mutex_init(&m->mu, NULL);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&m->cv, &ca);
    pthread_condattr_destroy(&ca);
    if (pthread_create(&m->thread, NULL, run, m) != 0) {
        snprintf(err, errlen, "cannot start the mail thread");
        pthread_cond_destroy(&m->cv);
        pthread_mutex_destroy(&m->mu);
        sodium_memzero(&m->cfg, sizeof(m->cfg));
        free(m);
        return NULL;
    }
    if (cfg->smtp_url[0])
        mg_log(MG_LOG_INFO, "mail: sending through %s (starttls %s)", cfg->smtp_url,
               cfg->starttls == MG_STARTTLS_REQUIRED ? "required"
               : cfg->starttls == MG_STARTTLS_OPPORTUNISTIC ? "opportunistic" : "off");
    else
        mg_log(MG_LOG_INFO, "mail: no smtp_url, mails are written to %s", cfg->outbox_dir);
    if (cfg->public_base_url[0] == '\0')
        mg_log(MG_LOG_WARN, "mail: [server] public_base_url is not set: mails with a link cannot be sent");
    return m;
}

int mg_mailer_send(struct mg_mailer *m, enum mg_mail_kind kind, const char *to, const struct mg_mail_vars *vars)
{
    char subject[MG_MAIL_SUBJECT_MAX], body[MG_MAIL_BODY_MAX], masked[256];
    char *msg = mg_malloc(MG_MAIL_MESSAGE_MAX);
    size_t len = 0;
    if (mg_mail_render(&m->cfg, kind, to, vars, subject, sizeof(subject), body, sizeof(body)) == 0 ||
        (len = mg_mail_message(&m->cfg, to, subject, body, msg, MG_MAIL_MESSAGE_MAX)) == 0) {
        sodium_memzero(body, sizeof(body));
        free(msg);
        mg_mail_mask(to, masked, sizeof(masked));
        mg_log(MG_LOG_WARN, "mail: %s mail to %s does not render (address, token or public_base_url)",
               mg_mail_kind_name(kind) ? mg_mail_kind_name(kind) : "unknown", masked);
        return MG_DECLINED;
    }
    sodium_memzero(body, sizeof(body));
    pthread_mutex_lock(&m->mu);
    if (m->n >= m->cfg.queue_max || m->stopping) {
        m->st.refused++;
        pthread_mutex_unlock(&m->mu);
        sodium_memzero(msg, len);
        free(msg);
        mg_mail_mask(to, masked, sizeof(masked));
        mg_log(MG_LOG_WARN, "mail: queue full (%zu mails), %s mail to %s refused", m->cfg.queue_max,
               mg_mail_kind_name(kind), masked);
        return MG_AGAIN;
    }
    struct item *it = mg_calloc(1, sizeof(*it));
    it->to = mg_strdup(to);
    it->msg = mg_realloc(msg, len + 1);
    it->len = len;
    it->kind = kind;
    it->due_us = 0;
    append(m, it);
    m->st.queued = m->n;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    return MG_OK;
}

void mg_mailer_hold(struct mg_mailer *m, int hold)
{
    pthread_mutex_lock(&m->mu);
    m->hold = hold;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
}

void mg_mailer_stats(struct mg_mailer *m, struct mg_mail_stats *out)
{
    pthread_mutex_lock(&m->mu);
    *out = m->st;
    out->queued = m->n;
    pthread_mutex_unlock(&m->mu);
}

size_t mg_mailer_sent(struct mg_mailer *m)
{
    struct mg_mail_stats st;
    mg_mailer_stats(m, &st);
    return st.sent;
}

void mg_mailer_free(struct mg_mailer *m)
{
    if (m == NULL)
        return;
    pthread_mutex_lock(&m->mu);
    m->stopping = 1;
    m->drain_until_us = mg_monotonic_us() + (int64_t)MG_MAILER_DRAIN_MS * 1000;
    pthread_cond_signal(&m->cv);
    pthread_mutex_unlock(&m->mu);
    /* the thread stops taking mails at the deadline; a transfer still running then is aborted */
    struct timespec ts;
    clock_gettime(CLOCK_REALTIME, &ts);
    ts.tv_sec += MG_MAILER_DRAIN_MS / 1000 + 1;
    if (pthread_timedjoin_np(m->thread, NULL, &ts) != 0) {
        atomic_store(&m->abort_send, 1);
        pthread_join(m->thread, NULL);
    }
    pthread_cond_destroy(&m->cv);
    pthread_mutex_destroy(&m->mu);
    sodium_memzero(&m->cfg, sizeof(m->cfg));
    free(m);
}
