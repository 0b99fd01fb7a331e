/*
 * bench_pwhash.c: the CPU cost of one password hash, verify and dummy verify
 * (Argon2id m=19456 KiB, t=2, p=1), and of one policy check.  Sizes the
 * password work queue: a worker thread does about 1 s / (hash time) logins
 * per second.
 *
 * Usage: bench_pwhash [rounds]   (default 10 rounds of one call each)
 */
#include "bench.h"
#include "auth/password.h"
#include "core/mg.h"

#include <string.h>

static const char pw[] = "correct horse battery staple";
static char phc[MG_PW_PHC_MAX];
static struct mg_pw_lists *lists;

static void hash(void *arg) { mg_pw_hash(pw, sizeof pw - 1, phc); }
static void verify(void *arg) { mg_pw_verify(phc, pw, sizeof pw - 1, NULL); }
static void dummy(void *arg) { mg_pw_dummy_verify(pw, sizeof pw - 1); }
static void check(void *arg) { mg_pw_check(lists, MG_PW_DEFAULT, "Qz7!kx9#Mw2$vb-lantern", 22, "a@b.c"); }

int main(int argc, char **argv)
{
    int rounds = argc > 1 ? (int)strtol(argv[1], NULL, 10) : 10;
    char err[256];
    if (mg_pw_init() != MG_OK)
        return 1;
    lists = mg_pw_lists_load(MG_PW_DEFAULT_BLOCKLIST, MG_PW_DEFAULT_DICTIONARY, err, sizeof err);
    if (lists == NULL)
        fprintf(stderr, "bench_pwhash: %s (policy check without lists)\n", err);
    if (mg_pw_hash(pw, sizeof pw - 1, phc) != MG_OK)
        return 1;
    bench_run("mg_pw_hash (Argon2id 19 MiB, t=2)", hash, NULL, rounds, 1);
    bench_run("mg_pw_verify", verify, NULL, rounds, 1);
    bench_run("mg_pw_dummy_verify", dummy, NULL, rounds, 1);
    bench_run("mg_pw_check (default policy, lists)", check, NULL, 11, 2000);
    mg_pw_lists_free(lists);
    return 0;
}
