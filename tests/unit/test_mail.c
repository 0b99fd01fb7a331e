/* Unit tests: mail templates (links from public_base_url only, the token once,
 * no header injection, every kind renders), the RFC 5322 message, the
 * mailer's queue ceiling and the outbox files (0600, one per mail). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <arpa/inet.h>
#include <dirent.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "core/clock.h"
#include "core/mg.h"
#include "mail/mail.h"

#define TOKEN "AbCdEfGhIjKlMnOpQrStUvWxYz0123456789-_abcde" /* 43 chars, base64url */

static char dir[64];

static int setup(void **state)
{
    snprintf(dir, sizeof(dir), "/tmp/mgmail.XXXXXX");
    assert_non_null(mkdtemp(dir));
    return 0;
}

static int teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
    return system(cmd) == 0 ? 0 : -1;
}

static void config(struct mg_mail_config *c)
{
    memset(c, 0, sizeof(*c));
    mg_strlcpy(c->from, "maxgate <noreply@gw.example.com>", sizeof(c->from));
    mg_strlcpy(c->public_base_url, "https://gw.example.com/", sizeof(c->public_base_url));
    mg_strlcpy(c->product, "maxgate", sizeof(c->product));
    snprintf(c->outbox_dir, sizeof(c->outbox_dir), "%s/outbox", dir);
    c->queue_max = 4;
}

static size_t count(const char *hay, const char *needle)
{
    size_t n = 0;
    for (const char *p = hay; (p = strstr(p, needle)) != NULL; p++)
        n++;
    return n;
}

static void links_come_from_public_base_url(void **state)
{
    struct mg_mail_config c;
    char subject[MG_MAIL_SUBJECT_MAX], body[MG_MAIL_BODY_MAX];
    struct mg_mail_vars v = {.token = TOKEN, .ip = "192.0.2.7", .minutes = 0, .detail = "Spending reached 80 % of the cap."};
    static const struct {
        enum mg_mail_kind kind;
        const char *link;
    } want[] = {
        {MG_MAIL_VERIFY, "https://gw.example.com/console/verify#token=" TOKEN},
        {MG_MAIL_SET_PASSWORD, "https://gw.example.com/console/set-password#token=" TOKEN},
        {MG_MAIL_RESET, "https://gw.example.com/console/reset#token=" TOKEN},
        {MG_MAIL_RECOVERY_APPROVED, "https://gw.example.com/console/reset#token=" TOKEN},
    };
    config(&c);
    for (size_t i = 0; i < MG_ARRAY_SIZE(want); i++) {
        assert_true(mg_mail_render(&c, want[i].kind, "alice@example.com", &v, subject, sizeof(subject), body,
                                   sizeof(body)) > 0);
        assert_non_null(strstr(body, want[i].link));
        assert_int_equal(count(body, TOKEN), 1);
        assert_null(strstr(subject, TOKEN));
    }
    /* the link life is spelled out */
    mg_mail_render(&c, MG_MAIL_RESET, "alice@example.com", &v, subject, sizeof(subject), body, sizeof(body));
    assert_non_null(strstr(body, "15 minutes"));
    mg_mail_render(&c, MG_MAIL_VERIFY, "alice@example.com", &v, subject, sizeof(subject), body, sizeof(body));
    assert_non_null(strstr(body, "1 day"));
}

static void every_kind_renders(void **state)
{
    struct mg_mail_config c;
    char subject[MG_MAIL_SUBJECT_MAX], body[MG_MAIL_BODY_MAX];
    struct mg_mail_vars v = {.token = TOKEN, .ip = "2001:db8::1", .minutes = 30};
    config(&c);
    for (int k = 0; k < MG_MAIL_KIND_COUNT; k++) {
        assert_non_null(mg_mail_kind_name((enum mg_mail_kind)k));
        assert_true(mg_mail_render(&c, (enum mg_mail_kind)k, "alice@example.com", &v, subject, sizeof(subject),
                                   body, sizeof(body)) > 0);
        assert_true(strlen(subject) > 5);
        assert_null(strchr(subject, '\n'));
        assert_null(strchr(body, '{')); /* no placeholder left */
        assert_true(count(body, TOKEN) <= 1);
    }
    assert_null(mg_mail_kind_name(MG_MAIL_KIND_COUNT));
    assert_int_equal(mg_mail_render(&c, MG_MAIL_KIND_COUNT, "alice@example.com", &v, subject, sizeof(subject), body,
                                    sizeof(body)),
                     0);
}

static void link_kinds_need_token_and_base(void **state)
{
    struct mg_mail_config c;
    char subject[MG_MAIL_SUBJECT_MAX], body[MG_MAIL_BODY_MAX];
    struct mg_mail_vars none = {.token = NULL, .ip = NULL, .minutes = 0}, evil = {.token = "abc\r\nBcc: x@y.z", .ip = NULL, .minutes = 0}, slash = {.token = "a/../b", .ip = NULL, .minutes = 0};
    config(&c);
    assert_int_equal(mg_mail_render(&c, MG_MAIL_RESET, "a@b.c", &none, subject, sizeof(subject), body, sizeof(body)),
                     0);
    assert_int_equal(mg_mail_render(&c, MG_MAIL_RESET, "a@b.c", &evil, subject, sizeof(subject), body, sizeof(body)),
                     0);
    assert_int_equal(mg_mail_render(&c, MG_MAIL_RESET, "a@b.c", &slash, subject, sizeof(subject), body, sizeof(body)),
                     0);
    c.public_base_url[0] = '\0';
    struct mg_mail_vars v = {.token = TOKEN, .ip = NULL, .minutes = 0};
    assert_int_equal(mg_mail_render(&c, MG_MAIL_VERIFY, "a@b.c", &v, subject, sizeof(subject), body, sizeof(body)), 0);
    /* kinds without a link do not need it */
    assert_true(mg_mail_render(&c, MG_MAIL_TEST, "a@b.c", NULL, subject, sizeof(subject), body, sizeof(body)) > 0);
    /* a small buffer is refused, not overrun */
    config(&c);
    assert_int_equal(mg_mail_render(&c, MG_MAIL_VERIFY, "a@b.c", &v, subject, sizeof(subject), body, 40), 0);
}

static void headers_are_not_injectable(void **state)
{
    struct mg_mail_config c;
    char subject[MG_MAIL_SUBJECT_MAX], body[MG_MAIL_BODY_MAX], msg[MG_MAIL_MESSAGE_MAX];
    static const char *bad[] = {"a@b.c\r\nBcc: evil@x.y", "a@b.c\nBcc: evil@x.y", "<a@b.c>", "a b@c.d", "ab.c",
                                "@b.c", "a@", "a@b@c", "", "\"a\"@b.c"};
    config(&c);
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++) {
        assert_false(mg_mail_address_valid(bad[i]));
        assert_int_equal(mg_mail_render(&c, MG_MAIL_TEST, bad[i], NULL, subject, sizeof(subject), body, sizeof(body)),
                         0);
        assert_int_equal(mg_mail_message(&c, bad[i], "s", "b", msg, sizeof(msg)), 0);
    }
    assert_int_equal(mg_mail_message(&c, "a@b.c", "hi\r\nBcc: evil@x.y", "b", msg, sizeof(msg)), 0);
    mg_strlcpy(c.product, "mg\r\nBcc: evil@x.y", sizeof(c.product));
    assert_int_equal(mg_mail_render(&c, MG_MAIL_TEST, "a@b.c", NULL, subject, sizeof(subject), body, sizeof(body)), 0);
    config(&c);
    mg_strlcpy(c.from, "mg <a@b.c>\r\nBcc: evil@x.y", sizeof(c.from));
    assert_int_equal(mg_mail_message(&c, "a@b.c", "s", "b", msg, sizeof(msg)), 0);
    char err[256];
    assert_int_equal(mg_mail_config_check(&c, err, sizeof(err)), MG_ERR);
}

static void message_is_rfc5322_with_crlf(void **state)
{
    struct mg_mail_config c;
    char msg[MG_MAIL_MESSAGE_MAX];
    config(&c);
    mg_clock_set(1764627000000LL); /* Mon, 01 Dec 2025 22:10:00 UTC */
    size_t n = mg_mail_message(&c, "alice@example.com", "Hello", "line one\nline two\n", msg, sizeof(msg));
    mg_clock_set(0);
    assert_true(n > 0);
    assert_int_equal(strlen(msg), n);
    assert_non_null(strstr(msg, "Date: Mon, 01 Dec 2025 22:10:00 +0000\r\n"));
    assert_non_null(strstr(msg, "From: maxgate <noreply@gw.example.com>\r\n"));
    assert_non_null(strstr(msg, "To: alice@example.com\r\nSubject: Hello\r\nMessage-ID: <"));
    assert_non_null(strstr(msg, "@gw.example.com>\r\nMIME-Version: 1.0\r\n"));
    assert_non_null(strstr(msg, "Content-Type: text/plain; charset=utf-8\r\nContent-Transfer-Encoding: 8bit\r\n\r\n"
                                "line one\r\nline two\r\n"));
    for (size_t i = 0; i < n; i++)
        if (msg[i] == '\n')
            assert_int_equal(msg[i - 1], '\r');
    assert_int_equal(mg_mail_message(&c, "alice@example.com", "Hello", "body", msg, 100), 0);
}

static void config_check_refuses_credentials_in_url(void **state)
{
    struct mg_mail_config c;
    char err[256];
    config(&c);
    assert_int_equal(mg_mail_config_check(&c, err, sizeof(err)), MG_OK);
    mg_strlcpy(c.smtp_url, "smtp://user:pw@mail.example.com:587", sizeof(c.smtp_url));
    assert_int_equal(mg_mail_config_check(&c, err, sizeof(err)), MG_ERR);
    assert_null(strstr(err, "pw@"));
    mg_strlcpy(c.smtp_url, "http://mail.example.com", sizeof(c.smtp_url));
    assert_int_equal(mg_mail_config_check(&c, err, sizeof(err)), MG_ERR);
    mg_strlcpy(c.smtp_url, "smtps://mail.example.com:465", sizeof(c.smtp_url));
    assert_int_equal(mg_mail_config_check(&c, err, sizeof(err)), MG_OK);
    c.queue_max = 0;
    assert_int_equal(mg_mail_config_check(&c, err, sizeof(err)), MG_ERR);
}

static void mask_keeps_domain(void **state)
{
    char out[64];
    mg_mail_mask("alice@example.com", out, sizeof(out));
    assert_string_equal(out, "a***@example.com");
    mg_mail_mask("nonsense", out, sizeof(out));
    assert_string_equal(out, "***");
}

static size_t outbox_files(unsigned *mode_or)
{
    char path[256];
    snprintf(path, sizeof(path), "%s/outbox", dir);
    DIR *d = opendir(path);
    size_t n = 0;
    struct dirent *e;
    *mode_or = 0;
    if (d == NULL)
        return 0;
    while ((e = readdir(d)) != NULL) {
        size_t len = strlen(e->d_name);
        if (e->d_name[0] == '.')
            continue;
        assert_true(len > 4 && strcmp(e->d_name + len - 4, ".eml") == 0);
        char file[600];
        struct stat st;
        snprintf(file, sizeof(file), "%s/%s", path, e->d_name);
        assert_int_equal(stat(file, &st), 0);
        *mode_or |= st.st_mode & 0777;
        n++;
    }
    closedir(d);
    return n;
}

static void queue_ceiling_refuses_the_next_mail(void **state)
{
    struct mg_mail_config c;
    char err[256];
    unsigned mode;
    struct mg_mail_vars v = {.token = TOKEN, .ip = NULL, .minutes = 0};
    config(&c);
    struct mg_mailer *m = mg_mailer_new(&c, err, sizeof(err));
    assert_non_null(m);
    mg_mailer_hold(m, 1);
    for (size_t i = 0; i < c.queue_max; i++)
        assert_int_equal(mg_mailer_send(m, MG_MAIL_VERIFY, "alice@example.com", &v), MG_OK);
    assert_int_equal(mg_mailer_send(m, MG_MAIL_VERIFY, "alice@example.com", &v), MG_AGAIN);
    struct mg_mail_stats st;
    mg_mailer_stats(m, &st);
    assert_int_equal(st.queued, c.queue_max);
    assert_int_equal(st.refused, 1);
    assert_int_equal(st.sent, 0);
    assert_int_equal(outbox_files(&mode), 0);
    /* a mail that does not render is declined, not queued */
    assert_int_equal(mg_mailer_send(m, MG_MAIL_TEST, "bad\r\naddress", NULL), MG_DECLINED);
    /* free sends what is queued, although held */
    mg_mailer_free(m);
    assert_int_equal(outbox_files(&mode), c.queue_max);
}

static void outbox_files_are_private(void **state)
{
    struct mg_mail_config c;
    char err[256], where[1200];
    unsigned mode;
    config(&c);
    umask(0);
    struct mg_mailer *m = mg_mailer_new(&c, err, sizeof(err));
    assert_non_null(m);
    assert_int_equal(mg_mailer_send(m, MG_MAIL_TEST, "alice@example.com", NULL), MG_OK);
    assert_int_equal(mg_mailer_send(m, MG_MAIL_ACCESS_RECEIVED, "bob@example.com", NULL), MG_OK);
    mg_mailer_free(m);
    umask(022);
    assert_int_equal(outbox_files(&mode), 2);
    assert_int_equal(mode, 0600);
    /* the synchronous path writes one more and says where */
    assert_int_equal(mg_mail_send_now(&c, MG_MAIL_TEST, "carol@example.com", NULL, where, sizeof(where), err,
                                      sizeof(err)),
                     MG_OK);
    assert_non_null(strstr(where, "/outbox/"));
    assert_int_equal(outbox_files(&mode), 3);
    FILE *f = fopen(where, "r");
    char buf[4096];
    size_t n = fread(buf, 1, sizeof(buf) - 1, f);
    fclose(f);
    buf[n] = '\0';
    assert_non_null(strstr(buf, "To: carol@example.com\r\n"));
}

static void mailer_counts_sent(void **state)
{
    struct mg_mail_config c;
    char err[256];
    config(&c);
    struct mg_mailer *m = mg_mailer_new(&c, err, sizeof(err));
    assert_non_null(m);
    assert_int_equal(mg_mailer_send(m, MG_MAIL_TEST, "alice@example.com", NULL), MG_OK);
    /* the thread delivers on its own: wait for the fact, with a deadline */
    int64_t deadline = mg_monotonic_us() + 15 * 1000000LL;
    while (mg_mailer_sent(m) == 0 && mg_monotonic_us() < deadline)
        usleep(1000);
    assert_int_equal(mg_mailer_sent(m), 1);
    mg_mailer_free(m);
    mg_mailer_free(NULL);
    c.queue_max = 0;
    assert_null(mg_mailer_new(&c, err, sizeof(err)));
}

/* A failed send is tried again later; at shutdown it gets its last attempt
 * and is dropped (and counted), never kept past the drain. */
static void failed_send_is_retried_then_dropped(void **state)
{
    struct mg_mail_config c;
    char err[256];
    struct sockaddr_in sa = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    socklen_t sl = sizeof(sa);
    int fd = socket(AF_INET, SOCK_STREAM, 0); /* bound, never listening: connections are refused */
    assert_int_equal(bind(fd, (struct sockaddr *)&sa, sizeof(sa)), 0);
    assert_int_equal(getsockname(fd, (struct sockaddr *)&sa, &sl), 0);
    config(&c);
    snprintf(c.smtp_url, sizeof(c.smtp_url), "smtp://127.0.0.1:%d", ntohs(sa.sin_port));
    c.starttls = MG_STARTTLS_OFF;
    struct mg_mailer *m = mg_mailer_new(&c, err, sizeof(err));
    assert_non_null(m);
    assert_int_equal(mg_mailer_send(m, MG_MAIL_TEST, "alice@example.com", NULL), MG_OK);
    struct mg_mail_stats st;
    int64_t deadline = mg_monotonic_us() + 15 * 1000000LL;
    do {
        usleep(1000);
        mg_mailer_stats(m, &st);
    } while (st.retried == 0 && mg_monotonic_us() < deadline);
    assert_int_equal(st.retried, 1);
    assert_int_equal(st.queued, 1); /* waiting for its backoff */
    int64_t t0 = mg_monotonic_us();
    mg_mailer_free(m);
    assert_true(mg_monotonic_us() - t0 < (int64_t)MG_MAILER_DRAIN_MS * 1000);
    close(fd);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(links_come_from_public_base_url),
        cmocka_unit_test(every_kind_renders),
        cmocka_unit_test(link_kinds_need_token_and_base),
        cmocka_unit_test(headers_are_not_injectable),
        cmocka_unit_test(message_is_rfc5322_with_crlf),
        cmocka_unit_test(config_check_refuses_credentials_in_url),
        cmocka_unit_test(mask_keeps_domain),
        cmocka_unit_test_setup_teardown(queue_ceiling_refuses_the_next_mail, setup, teardown),
        cmocka_unit_test_setup_teardown(outbox_files_are_private, setup, teardown),
        cmocka_unit_test_setup_teardown(mailer_counts_sent, setup, teardown),
        cmocka_unit_test_setup_teardown(failed_send_is_retried_then_dropped, setup, teardown),
    };
    return cmocka_run_group_tests(tests, NULL, NULL);
}
