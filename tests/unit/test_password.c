/* Unit tests: Argon2id hashing and the password policy (auth/password.c,
 * auth/pwpolicy.c): SECURITY-REFERENCES §8 items 1-4, every default-policy
 * rule and its message, the list files and their ceilings.
 *
 * RFC 9106 §5.3's Argon2id vector (p=4, a secret and associated data) cannot
 * be expressed through libsodium's API, which is what we ship; the reference
 * CLI's PHC strings of §1.3 are checked instead. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include <sodium.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "auth/password.h"
#include "core/mg.h"

static const char ref_65536[] = "$argon2id$v=19$m=65536,t=2,p=1$c29tZXNhbHQ$CTFhFdXPJO1aFaMaO6Mm5c8y7cJHAph8ArZWb2GRPPc";
static const char ref_19456[] = "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ$PL01amPyeUuxG7H0vIr5X+qHkZvWnHmGBGXFYvh8z2E";

static struct mg_pw_lists *lists; /* the Debian files, loaded once */

static int have_files(void)
{
    return access(MG_PW_DEFAULT_BLOCKLIST, R_OK) == 0 && access(MG_PW_DEFAULT_DICTIONARY, R_OK) == 0;
}

#define NEED_LISTS()                                                                                           \
    do {                                                                                                       \
        if (lists == NULL) {                                                                                   \
            fprintf(stderr, "SKIP: %s or %s missing (Debian john-data, wamerican; run scripts/deps.sh)\n",     \
                    MG_PW_DEFAULT_BLOCKLIST, MG_PW_DEFAULT_DICTIONARY);                                        \
            skip();                                                                                            \
        }                                                                                                      \
    } while (0)

static int setup(void **state)
{
    char err[256] = "";
    if (mg_pw_init() != MG_OK)
        return -1;
    if (have_files()) {
        lists = mg_pw_lists_load(MG_PW_DEFAULT_BLOCKLIST, MG_PW_DEFAULT_DICTIONARY, err, sizeof err);
        if (lists == NULL) {
            fprintf(stderr, "lists: %s\n", err);
            return -1;
        }
    }
    return 0;
}

static int teardown(void **state)
{
    mg_pw_lists_free(lists);
    return 0;
}

/* Appends code point cp as UTF-8. */
static size_t put_cp(char *out, uint32_t cp)
{
    if (cp < 0x80) {
        out[0] = (char)cp;
        return 1;
    }
    if (cp < 0x800) {
        out[0] = (char)(0xc0 | cp >> 6);
        out[1] = (char)(0x80 | (cp & 0x3f));
        return 2;
    }
    if (cp < 0x10000) {
        out[0] = (char)(0xe0 | cp >> 12);
        out[1] = (char)(0x80 | ((cp >> 6) & 0x3f));
        out[2] = (char)(0x80 | (cp & 0x3f));
        return 3;
    }
    out[0] = (char)(0xf0 | cp >> 18);
    out[1] = (char)(0x80 | ((cp >> 12) & 0x3f));
    out[2] = (char)(0x80 | ((cp >> 6) & 0x3f));
    out[3] = (char)(0x80 | (cp & 0x3f));
    return 4;
}

/* n different pictographs (U+1F300..U+1F37F in a scrambled order: no runs,
 * no period), NUL-terminated; returns the byte length. */
static size_t emoji(char *out, size_t n)
{
    size_t len = 0;
    for (size_t i = 0; i < n; i++)
        len += put_cp(out + len, 0x1F300 + (uint32_t)((i * 37) % 128));
    out[len] = '\0';
    return len;
}

static enum mg_pw_rule check(enum mg_pw_policy p, const char *pw, const char *email)
{
    return mg_pw_check(lists, p, pw, strlen(pw), email);
}

#define ASSERT_RULE(p, pw, email, want)                                                                        \
    do {                                                                                                       \
        enum mg_pw_rule got_ = check((p), (pw), (email));                                                      \
        if (got_ != (want))                                                                                    \
            fail_msg("%s: got %s, want %s", (pw), mg_pw_rule_name(got_), mg_pw_rule_name(want));               \
    } while (0)

/* ---- §8 item 1: the reference PHC strings ---------------------------- */

static void verifies_reference_phc(void **state)
{
    int rehash = -1;
    assert_int_equal(mg_pw_verify(ref_65536, "password", 8, &rehash), MG_OK);
    assert_int_equal(rehash, 1); /* m=65536 is not the current parameter set */
    assert_int_equal(mg_pw_verify(ref_65536, "passwore", 8, &rehash), MG_DECLINED);
    assert_int_equal(rehash, 0);
    assert_int_equal(mg_pw_verify(ref_19456, "password", 8, &rehash), MG_OK);
    assert_int_equal(rehash, 0); /* libsodium compares t and m only, not the (8-byte) salt */
    assert_int_equal(mg_pw_verify(ref_19456, "passwore", 8, NULL), MG_DECLINED);
    assert_int_equal(mg_pw_verify(ref_19456, "Password", 8, NULL), MG_DECLINED); /* case is kept */
}

static void refuses_unparsable_phc(void **state)
{
    char huge[300];
    memset(huge, 'a', sizeof huge - 1);
    huge[sizeof huge - 1] = '\0';
    const char *bad[] = {"", "password", "$argon2id$v=19$m=19456,t=2,p=1$c29tZXNhbHQ", "$2b$10$abcdefghijklmnopqrstuv",
                         huge};
    for (size_t i = 0; i < MG_ARRAY_SIZE(bad); i++)
        assert_int_equal(mg_pw_verify(bad[i], "password", 8, NULL), MG_DECLINED);
    assert_int_equal(mg_pw_verify(NULL, "password", 8, NULL), MG_DECLINED);
    assert_int_equal(mg_pw_verify(ref_19456, "pass\xffword", 9, NULL), MG_DECLINED); /* not UTF-8 */
}

/* ---- §8 item 2: new hashes ------------------------------------------- */

static void new_hash_uses_owasp_parameters(void **state)
{
    static const char prefix[] = "$argon2id$v=19$m=19456,t=2,p=1$";
    char a[MG_PW_PHC_MAX], b[MG_PW_PHC_MAX];
    const char *pw = "correct horse battery";
    assert_int_equal(mg_pw_hash(pw, strlen(pw), a), MG_OK);
    assert_int_equal(mg_pw_hash(pw, strlen(pw), b), MG_OK);
    assert_memory_equal(a, prefix, sizeof prefix - 1);
    assert_string_not_equal(a, b); /* a fresh salt each time */
    /* salt and tag: standard base64 without padding, 16 and 32 bytes */
    const char *salt = a + sizeof prefix - 1;
    const char *dollar = strchr(salt, '$');
    assert_non_null(dollar);
    uint8_t bin[64];
    size_t n = 0;
    assert_int_equal(sodium_base642bin(bin, sizeof bin, salt, (size_t)(dollar - salt), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL_NO_PADDING),
                     0);
    assert_int_equal(n, 16);
    assert_int_equal(sodium_base642bin(bin, sizeof bin, dollar + 1, strlen(dollar + 1), NULL, &n, NULL,
                                       sodium_base64_VARIANT_ORIGINAL_NO_PADDING),
                     0);
    assert_int_equal(n, 32);
    int rehash = -1;
    assert_int_equal(mg_pw_verify(a, pw, strlen(pw), &rehash), MG_OK);
    assert_int_equal(rehash, 0);
    assert_int_equal(mg_pw_verify(b, pw, strlen(pw), &rehash), MG_OK);
    assert_int_equal(mg_pw_verify(a, "correct horse batterx", strlen(pw), NULL), MG_DECLINED);
}

static void old_parameters_need_rehash(void **state)
{
    /* t=1 and a larger m: libsodium's own string, verifiable, not current */
    char old[MG_PW_PHC_MAX];
    const char *pw = "an older hash of mine";
    assert_int_equal(crypto_pwhash_str_alg(old, pw, strlen(pw), 1, 8192 * 1024, crypto_pwhash_ALG_ARGON2ID13), 0);
    int rehash = 0;
    assert_int_equal(mg_pw_verify(old, pw, strlen(pw), &rehash), MG_OK);
    assert_int_equal(rehash, 1);
    /* an Argon2i hash still verifies and is upgraded */
    assert_int_equal(crypto_pwhash_str_alg(old, pw, strlen(pw), 3, 8192 * 1024, crypto_pwhash_ALG_ARGON2I13), 0);
    rehash = 0;
    assert_int_equal(mg_pw_verify(old, pw, strlen(pw), &rehash), MG_OK);
    assert_int_equal(rehash, 1);
}

static void hash_refuses_invalid_input(void **state)
{
    char out[MG_PW_PHC_MAX];
    assert_int_equal(mg_pw_hash("bad\xc3(utf8 here", 15, out), MG_DECLINED);
    assert_string_equal(out, "");
    char *big = mg_malloc(MG_PW_INPUT_MAX + 1);
    memset(big, 'x', MG_PW_INPUT_MAX + 1);
    assert_int_equal(mg_pw_hash(big, MG_PW_INPUT_MAX + 1, out), MG_DECLINED);
    assert_int_equal(mg_pw_verify(ref_19456, big, MG_PW_INPUT_MAX + 1, NULL), MG_DECLINED);
    free(big);
}

static void dummy_verify_runs(void **state)
{
    /* No result to check; it must cost a verify and never crash on odd input. */
    mg_pw_dummy_verify("someone@example.com's guess", 27);
    mg_pw_dummy_verify("\xff\xfe", 2);
    mg_pw_dummy_verify("", 0);
    assert_int_equal(mg_pw_init(), MG_OK);
}

/* ---- §8 item 4: no truncation, case, NFKC ----------------------------- */

static void nfkc_composed_equals_decomposed(void **state)
{
    const char *composed = "caf\xc3\xa9 au lait du matin";  /* U+00E9 */
    const char *decomposed = "cafe\xcc\x81 au lait du matin"; /* e + U+0301 */
    char phc[MG_PW_PHC_MAX];
    assert_int_equal(mg_pw_hash(composed, strlen(composed), phc), MG_OK);
    assert_int_equal(mg_pw_verify(phc, decomposed, strlen(decomposed), NULL), MG_OK);
    assert_int_equal(mg_pw_hash(decomposed, strlen(decomposed), phc), MG_OK);
    assert_int_equal(mg_pw_verify(phc, composed, strlen(composed), NULL), MG_OK);
    /* compatibility forms too: the ligature U+FB01 is "fi" */
    assert_int_equal(mg_pw_hash("\xef\xac\x81ne print here", 16, phc), MG_OK);
    assert_int_equal(mg_pw_verify(phc, "fine print here", 15, NULL), MG_OK);
    assert_int_equal(mg_pw_verify(phc, "Fine print here", 15, NULL), MG_DECLINED);
}

static void hundredth_character_matters(void **state)
{
    char a[129], b[129];
    for (int i = 0; i < 128; i++)
        a[i] = (char)('a' + (i * 7) % 26);
    a[128] = '\0';
    memcpy(b, a, sizeof a);
    b[99] = b[99] == 'z' ? 'y' : 'z';
    char phc[MG_PW_PHC_MAX];
    assert_int_equal(mg_pw_hash(a, 128, phc), MG_OK);
    assert_int_equal(mg_pw_verify(phc, a, 128, NULL), MG_OK);
    assert_int_equal(mg_pw_verify(phc, b, 128, NULL), MG_DECLINED);
    assert_int_equal(mg_pw_verify(phc, a, 127, NULL), MG_DECLINED); /* the last one too */
    /* a 128-code-point emoji password (512 bytes) round-trips whole */
    char e[600], f[600];
    size_t n = emoji(e, 128);
    assert_int_equal(n, 512);
    memcpy(f, e, n + 1);
    f[n - 1] ^= 1; /* the 128th pictograph */
    assert_int_equal(mg_pw_hash(e, n, phc), MG_OK);
    assert_int_equal(mg_pw_verify(phc, e, n, NULL), MG_OK);
    assert_int_equal(mg_pw_verify(phc, f, n, NULL), MG_DECLINED);
}

/* ---- §8 item 3: the NIST policy ---------------------------------------- */

static void nist_accepts(void **state)
{
    NEED_LISTS();
    char e[600];
    char s64[65];
    for (int i = 0; i < 64; i++)
        s64[i] = "the quick brown fox jumps over a lazy dog "[i % 42];
    s64[64] = '\0';
    const char *ok[] = {
        "correct horse battery",              /* no digit, no symbol, no capital */
        "twelve chars",                       /* exactly 12 */
        s64,                                  /* 64 */
        "espa\xc3\xb1ol con \xc3\xb1" "and\xc3\xba y caf\xc3\xa9", /* non-ASCII letters */
        "\xf0\x9f\x90\xb1 cats \xf0\x9f\x90\xb6 dogs \xf0\x9f\x90\xa6", /* emoji and spaces */
    };
    for (size_t i = 0; i < MG_ARRAY_SIZE(ok); i++)
        ASSERT_RULE(MG_PW_NIST, ok[i], "jane.doe@example.com", MG_PW_OK);
    emoji(e, 128);
    ASSERT_RULE(MG_PW_NIST, e, NULL, MG_PW_OK);
    /* a local part shorter than 3 characters is not a rule */
    ASSERT_RULE(MG_PW_NIST, "jo likes long walks", "jo@example.com", MG_PW_OK);
}

static void nist_refuses(void **state)
{
    NEED_LISTS();
    char e[700];
    emoji(e, 129);
    ASSERT_RULE(MG_PW_NIST, e, NULL, MG_PW_TOO_LONG);
    char a129[130];
    uint32_t x = 12345; /* letters from an LCG: no run, no period */
    for (int i = 0; i < 129; i++) {
        x = x * 1103515245u + 12345u;
        a129[i] = (char)('a' + (x >> 16) % 26);
    }
    a129[129] = '\0';
    ASSERT_RULE(MG_PW_NIST, a129, NULL, MG_PW_TOO_LONG);
    a129[128] = '\0';
    ASSERT_RULE(MG_PW_NIST, a129, NULL, MG_PW_OK); /* 128 */
    ASSERT_RULE(MG_PW_NIST, "eleven char", NULL, MG_PW_TOO_SHORT);
    /* 11 decomposed e-acutes are 22 code points but 11 after NFKC */
    char d[64];
    size_t n = 0;
    for (int i = 0; i < 11; i++)
        n += (size_t)snprintf(d + n, sizeof d - n, "e\xcc\x81");
    ASSERT_RULE(MG_PW_NIST, d, NULL, MG_PW_TOO_SHORT);
    /* the blocklist, case-insensitive, also without trailing digits/symbols */
    ASSERT_RULE(MG_PW_NIST, "password1234", NULL, MG_PW_BLOCKLISTED);
    ASSERT_RULE(MG_PW_NIST, "PASSWORD1234", NULL, MG_PW_BLOCKLISTED);
    ASSERT_RULE(MG_PW_NIST, "Password1234!", NULL, MG_PW_BLOCKLISTED);
    ASSERT_RULE(MG_PW_NIST, "qwertyuiop12", NULL, MG_PW_BLOCKLISTED);
    /* "123456789012" is a sequence (no letters: nothing left to look up) */
    ASSERT_RULE(MG_PW_NIST, "123456789012", NULL, MG_PW_REPETITIVE);
    /* the product name, anywhere */
    ASSERT_RULE(MG_PW_NIST, "maxgate rocks my world", NULL, MG_PW_BLOCKLISTED);
    ASSERT_RULE(MG_PW_NIST, "I love MaxGate so much", NULL, MG_PW_BLOCKLISTED);
    ASSERT_RULE(MG_PW_NIST, "my minimax password", NULL, MG_PW_BLOCKLISTED);
    /* the email, whole or its local part, any case */
    ASSERT_RULE(MG_PW_NIST, "jane.doe is my name", "jane.doe@example.com", MG_PW_CONTAINS_EMAIL);
    ASSERT_RULE(MG_PW_NIST, "JANE.DOE is my name", "Jane.Doe@Example.com", MG_PW_CONTAINS_EMAIL);
    ASSERT_RULE(MG_PW_NIST, "x jane.doe@example.com", "jane.doe@example.com", MG_PW_CONTAINS_EMAIL);
    /* repetitive and sequential */
    ASSERT_RULE(MG_PW_NIST, "aaaaaaaaaaaa", NULL, MG_PW_REPETITIVE);
    ASSERT_RULE(MG_PW_NIST, "zyxwvutsrqpo", NULL, MG_PW_REPETITIVE);
    ASSERT_RULE(MG_PW_NIST, "1234abcd1234abcd", NULL, MG_PW_REPETITIVE);
    ASSERT_RULE(MG_PW_NIST, "xq7!xq7!xq7!", NULL, MG_PW_REPETITIVE); /* a repeated unit */
    ASSERT_RULE(MG_PW_NIST, "\xff not utf-8 at all", NULL, MG_PW_INVALID_UTF8);
    ASSERT_RULE(MG_PW_NIST, "overlong \xc0\xaf slash!", NULL, MG_PW_INVALID_UTF8);
}

/* No class rule exists in the NIST policy. */
static void nist_has_no_class_rules(void **state)
{
    NEED_LISTS();
    ASSERT_RULE(MG_PW_NIST, "all lower case words", NULL, MG_PW_OK);
    ASSERT_RULE(MG_PW_NIST, "ALL UPPER CASE WORDS", NULL, MG_PW_OK);
    ASSERT_RULE(MG_PW_NIST, "no digits or symbols", NULL, MG_PW_OK);
}

/* ---- the default policy: every rule and its message ------------------ */

static void default_policy_rules(void **state)
{
    NEED_LISTS();
    const char *email = "zorvik.q@example.com";
    struct {
        const char *pw;
        enum mg_pw_rule want;
    } v[] = {
        {"Qz7!kx9#Mw2$vb", MG_PW_OK},
        {"Qz7!k\xc3\xa9x9#Mw2 vb", MG_PW_OK}, /* a space counts as special */
        {"Qz7!kx9#Mw2", MG_PW_TOO_SHORT},
        {"qz7!kx9#mw2$vb", MG_PW_NEEDS_UPPER},
        {"QZ7!KX9#MW2$VB", MG_PW_NEEDS_LOWER},
        {"Qzq!kxp#Mwr$vb", MG_PW_NEEDS_DIGIT},
        {"Qz7kkx9qMw2zvb", MG_PW_NEEDS_SPECIAL},
        {"Zorvik.Q#2026x", MG_PW_CONTAINS_EMAIL},
        {"Password1234!", MG_PW_BLOCKLISTED},
        {"Maxgate#2026qx", MG_PW_BLOCKLISTED},
        {"Qz7!elephant#", MG_PW_DICTIONARY_WORD},
        {"Qz7!kx9#ELEPHANT", MG_PW_DICTIONARY_WORD},
        {"Qxxxxxxx1234!", MG_PW_REPETITIVE},
        {"Qz7!kx9#\xffMw2$vb", MG_PW_INVALID_UTF8},
        {"correct horse battery", MG_PW_NEEDS_UPPER}, /* only the NIST policy takes it */
    };
    for (size_t i = 0; i < MG_ARRAY_SIZE(v); i++)
        ASSERT_RULE(MG_PW_DEFAULT, v[i].pw, email, v[i].want);
    char long_pw[140];
    for (int i = 0; i < 129; i++)
        long_pw[i] = "Qz7!kx9#Mw2$vb"[i % 14];
    long_pw[129] = '\0';
    ASSERT_RULE(MG_PW_DEFAULT, long_pw, email, MG_PW_TOO_LONG);
}

static void rule_messages(void **state)
{
    assert_string_equal(mg_pw_rule_message(MG_PW_TOO_SHORT), "Too short: use at least 12 characters.");
    assert_string_equal(mg_pw_rule_message(MG_PW_TOO_LONG), "Too long: use at most 128 characters.");
    assert_string_equal(mg_pw_rule_name(MG_PW_NEEDS_DIGIT), "NEEDS_DIGIT");
    for (int r = 0; r < MG_PW_RULE_COUNT; r++) {
        const char *m = mg_pw_rule_message((enum mg_pw_rule)r);
        assert_non_null(m);
        assert_true(strlen(m) > 10);
        assert_int_equal(m[strlen(m) - 1], '.');
        for (int s = 0; s < r; s++)
            assert_string_not_equal(m, mg_pw_rule_message((enum mg_pw_rule)s));
    }
    assert_string_equal(mg_pw_rule_message((enum mg_pw_rule)99), mg_pw_rule_message(MG_PW_OK));
    enum mg_pw_policy p;
    assert_int_equal(mg_pw_policy_parse("nist", &p), MG_OK);
    assert_int_equal(p, MG_PW_NIST);
    assert_int_equal(mg_pw_policy_parse("default", &p), MG_OK);
    assert_int_equal(p, MG_PW_DEFAULT);
    assert_int_equal(mg_pw_policy_parse("strong", &p), MG_DECLINED);
    assert_string_equal(mg_pw_policy_name(MG_PW_NIST), "nist");
}

/* Without lists only the built-in context words are blocked. */
static void no_lists_still_blocks_context_words(void **state)
{
    assert_int_equal(mg_pw_check(NULL, MG_PW_NIST, "maxgate rocks my world", 22, NULL), MG_PW_BLOCKLISTED);
    assert_int_equal(mg_pw_check(NULL, MG_PW_NIST, "password1234", 12, NULL), MG_PW_OK);
    assert_int_equal(mg_pw_check(NULL, MG_PW_DEFAULT, "Qz7!elephant#", 13, NULL), MG_PW_OK);
}

/* ---- the list files ---------------------------------------------------- */

static void debian_lists_load(void **state)
{
    NEED_LISTS();
    /* john's 3546 entries less duplicates after case folding; wamerican's
     * all-lowercase words of 5+ letters (60630 in 2020.12.07) */
    assert_in_range(mg_pw_lists_blocklist_count(lists), 3000, 3600);
    assert_in_range(mg_pw_lists_dictionary_count(lists), 40000, 200000);
    /* its "#!comment" lines are not entries */
    ASSERT_RULE(MG_PW_NIST, "#!comment:", NULL, MG_PW_TOO_SHORT);
    ASSERT_RULE(MG_PW_NIST, "#!comment: For more wordlists, see http://www.openwall.com/wordlists/", NULL,
                MG_PW_OK);
}

static char tmpdir[64];

static const char *write_file(const char *name, const char *text)
{
    static char path[128];
    snprintf(path, sizeof path, "%s/%s", tmpdir, name);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    fputs(text, f);
    fclose(f);
    return path;
}

static int tmp_setup(void **state)
{
    snprintf(tmpdir, sizeof tmpdir, "/tmp/mg-pwtest-XXXXXX");
    return mkdtemp(tmpdir) ? 0 : -1;
}

static int tmp_teardown(void **state)
{
    char cmd[128];
    snprintf(cmd, sizeof cmd, "rm -rf '%s'", tmpdir);
    return system(cmd) == 0 ? 0 : -1;
}

static void list_entry_ceiling(void **state)
{
    char err[256];
    const char *ten = write_file("ten", "#!comment: skipped\none\ntwo\nthree\nfour\nFIVE\nfive\nsix\nseven\neight\n"
                                        "nine\nten\n\n");
    struct mg_pw_lists *l = mg_pw_lists_load_limits(ten, NULL, 10, 64, err, sizeof err);
    assert_non_null(l); /* 10 entries: "FIVE" and "five" are one, blanks and comments none */
    assert_int_equal(mg_pw_lists_blocklist_count(l), 10);
    mg_pw_lists_free(l);
    const char *eleven = write_file("eleven", "one\ntwo\nthree\nfour\nfive\nsix\nseven\neight\nnine\nten\neleven");
    err[0] = '\0';
    assert_null(mg_pw_lists_load_limits(eleven, NULL, 10, 64, err, sizeof err));
    assert_non_null(strstr(err, "more than 10 entries"));
    assert_non_null(strstr(err, "blocklist"));
    /* the dictionary has the same ceiling, on the words it keeps */
    const char *words = write_file("words", "Aaron\ncat\ndon't\napple\nberry\ncherry\n");
    l = mg_pw_lists_load_limits(NULL, words, 3, 64, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(mg_pw_lists_dictionary_count(l), 3);
    mg_pw_lists_free(l);
    assert_null(mg_pw_lists_load_limits(NULL, words, 2, 64, err, sizeof err));
    assert_non_null(strstr(err, "dictionary"));
}

/* The real ceiling: MG_PW_LIST_MAX_ENTRIES entries load, one more does not. */
static void list_real_entry_ceiling(void **state)
{
    char path[128];
    snprintf(path, sizeof path, "%s/million", tmpdir);
    FILE *f = fopen(path, "w");
    assert_non_null(f);
    for (int i = 0; i < MG_PW_LIST_MAX_ENTRIES; i++)
        fprintf(f, "%d\n", i);
    fclose(f);
    char err[256];
    struct mg_pw_lists *l = mg_pw_lists_load(path, NULL, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(mg_pw_lists_blocklist_count(l), MG_PW_LIST_MAX_ENTRIES);
    mg_pw_lists_free(l);
    f = fopen(path, "a");
    assert_non_null(f);
    fputs("one-more\n", f);
    fclose(f);
    assert_null(mg_pw_lists_load(path, NULL, err, sizeof err));
    assert_non_null(strstr(err, "more than 1000000 entries"));
}

static void list_line_ceiling(void **state)
{
    char err[256], text[1200];
    /* a line of exactly MG_PW_LIST_MAX_LINE bytes loads (with CRLF too) */
    memset(text, 'a', MG_PW_LIST_MAX_LINE);
    memcpy(text + MG_PW_LIST_MAX_LINE, "\r\nok\n", 6);
    struct mg_pw_lists *l = mg_pw_lists_load(write_file("max", text), NULL, err, sizeof err);
    assert_non_null(l);
    assert_int_equal(mg_pw_lists_blocklist_count(l), 2);
    mg_pw_lists_free(l);
    /* one byte more is refused, naming the line */
    memcpy(text, "ok\n", 3);
    memset(text + 3, 'b', MG_PW_LIST_MAX_LINE + 1);
    memcpy(text + 3 + MG_PW_LIST_MAX_LINE + 1, "\nok\n", 5);
    assert_null(mg_pw_lists_load(write_file("over", text), NULL, err, sizeof err));
    assert_non_null(strstr(err, "line 2 is longer than 512 bytes"));
    /* also as the last line without a newline */
    memset(text, 'c', MG_PW_LIST_MAX_LINE + 1);
    text[MG_PW_LIST_MAX_LINE + 1] = '\0';
    assert_null(mg_pw_lists_load(NULL, write_file("last", text), err, sizeof err));
    assert_non_null(strstr(err, "line 1 is longer"));
    /* small limits work the same */
    assert_null(mg_pw_lists_load_limits(write_file("small", "12345\n123456\n"), NULL, 10, 5, err, sizeof err));
    assert_non_null(strstr(err, "line 2 is longer than 5 bytes"));
}

static void list_missing_file(void **state)
{
    char err[256] = "";
    assert_null(mg_pw_lists_load("/nonexistent/pw.lst", NULL, err, sizeof err));
    assert_non_null(strstr(err, "/nonexistent/pw.lst"));
    struct mg_pw_lists *l = mg_pw_lists_load(NULL, "", err, sizeof err); /* none at all */
    assert_non_null(l);
    assert_int_equal(mg_pw_lists_blocklist_count(l), 0);
    mg_pw_lists_free(l);
    mg_pw_lists_free(NULL);
}

int main(void)
{
    const struct CMUnitTest tests[] = {
        cmocka_unit_test(verifies_reference_phc),
        cmocka_unit_test(refuses_unparsable_phc),
        cmocka_unit_test(new_hash_uses_owasp_parameters),
        cmocka_unit_test(old_parameters_need_rehash),
        cmocka_unit_test(hash_refuses_invalid_input),
        cmocka_unit_test(dummy_verify_runs),
        cmocka_unit_test(nfkc_composed_equals_decomposed),
        cmocka_unit_test(hundredth_character_matters),
        cmocka_unit_test(nist_accepts),
        cmocka_unit_test(nist_refuses),
        cmocka_unit_test(nist_has_no_class_rules),
        cmocka_unit_test(default_policy_rules),
        cmocka_unit_test(rule_messages),
        cmocka_unit_test(no_lists_still_blocks_context_words),
        cmocka_unit_test(debian_lists_load),
        cmocka_unit_test_setup_teardown(list_entry_ceiling, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(list_real_entry_ceiling, tmp_setup, tmp_teardown),
        cmocka_unit_test_setup_teardown(list_line_ceiling, tmp_setup, tmp_teardown),
        cmocka_unit_test(list_missing_file),
    };
    return cmocka_run_group_tests(tests, setup, teardown);
}
