/*
 * password.h: password hashing (Argon2id) and the password policy (AC-5).
 *
 * Hashing: Argon2id through libsodium with OWASP's m=19456 KiB, t=2, p=1, a
 * 16-byte random salt and a 32-byte tag, stored as a PHC string
 * ("$argon2id$v=19$m=19456,t=2,p=1$<salt>$<tag>").  Both hash and verify work
 * on the NFKC form of the password (NIST 63B §5.1.1.2), so a composed and a
 * decomposed "é" are the same password; nothing is ever truncated.  Each call
 * costs tens of milliseconds of CPU and 19 MiB: call them from a worker, never
 * from an event-loop thread.
 *
 * Policy (password policy rules, pwpolicy.c): lengths are code points after
 * NFKC (MG_PW_MIN_LEN..MG_PW_MAX_LEN).  MG_PW_DEFAULT is the seed's (AC-5):
 * upper, lower, digit and special character, no email address or its local
 * part, no dictionary word, the blocklist, and no repetitive/sequential
 * password.  MG_PW_NIST is SP 800-63B's: length, blocklist, context words
 * (email, product name) and repetitive only, no composition rules.
 * The blocklist always holds the context words "maxgate" and "minimax"
 * (blocked as substrings).  Messages never quote the password.
 */
#ifndef MG_AUTH_PASSWORD_H
#define MG_AUTH_PASSWORD_H

#include <stddef.h>
#include <stdint.h>

#define MG_PW_PHC_MAX 128          /* crypto_pwhash_STRBYTES: a PHC string and its NUL */
#define MG_PW_OPSLIMIT 2           /* Argon2id t (OWASP Password Storage Cheat Sheet) */
#define MG_PW_MEMLIMIT_KIB 19456   /* Argon2id m in KiB (19 MiB) */
#define MG_PW_MIN_LEN 12           /* code points after NFKC (AC-5) */
#define MG_PW_MAX_LEN 128          /* code points after NFKC (AC-5) */
/* Bytes of input accepted before normalizing: 128 code points are at most
 * 512 bytes after NFKC, and the input can be longer only by combining
 * sequences that compose (Hangul jamo: 9 bytes for one syllable), so 4096
 * bytes never refuse a valid password and bound the normalizer's work. */
#define MG_PW_INPUT_MAX 4096
/* Ceilings of a list file: a million entries (the largest breach top-N lists
 * in use; ~40 MB), lines of 512 bytes (128 code points of 4 bytes: a longer
 * line can never equal a password). */
#define MG_PW_LIST_MAX_ENTRIES 1000000
#define MG_PW_LIST_MAX_LINE 512

#define MG_PW_DEFAULT_BLOCKLIST "/usr/share/john/password.lst" /* Debian john-data */
#define MG_PW_DEFAULT_DICTIONARY "/usr/share/dict/words"       /* Debian wamerican */

enum mg_pw_policy {
    MG_PW_DEFAULT, /* the seed's: length, classes, no email, no dictionary word, blocklist */
    MG_PW_NIST,    /* NIST SP 800-63B: length, blocklist, context words, repetitive */
};

/*       name              message (what failed and what to do) */
#define MG_PW_RULES(X)                                                                                           \
    X(OK, "The password meets the policy.")                                                                      \
    X(INVALID_UTF8, "The password is not valid UTF-8 text; type it again.")                                      \
    X(TOO_SHORT, "Too short: use at least 12 characters.")                                                       \
    X(TOO_LONG, "Too long: use at most 128 characters.")                                                         \
    X(NEEDS_UPPER, "Add an uppercase letter.")                                                                   \
    X(NEEDS_LOWER, "Add a lowercase letter.")                                                                    \
    X(NEEDS_DIGIT, "Add a digit.")                                                                               \
    X(NEEDS_SPECIAL, "Add a special character: a symbol, a punctuation mark or a space.")                        \
    X(CONTAINS_EMAIL, "Do not use your email address or the part before the @ in the password.")                 \
    X(BLOCKLISTED, "This password is too common or contains the product name; choose a different one.")          \
    X(DICTIONARY_WORD, "Do not use a common dictionary word in the password; mix in other characters.")          \
    X(REPETITIVE, "Avoid repeated or sequential characters such as 'aaaa' or '1234'; choose a less predictable " \
                  "password.")

enum mg_pw_rule {
#define MG_PW_RULE_ENUM(name, msg) MG_PW_##name,
    MG_PW_RULES(MG_PW_RULE_ENUM)
#undef MG_PW_RULE_ENUM
        MG_PW_RULE_COUNT
};

struct mg_pw_lists;

/* Makes the fixed PHC string that mg_pw_dummy_verify() checks against (one
 * Argon2id hash of a random password).  Call once at start, from any thread;
 * later calls do nothing.  MG_OK or MG_ERR (libsodium could not hash). */
int mg_pw_init(void);

/* Hashes pw[0..len) (UTF-8, normalized to NFKC first) into out as a PHC
 * string with a fresh salt.  MG_OK; MG_DECLINED for invalid UTF-8 or more
 * than MG_PW_INPUT_MAX bytes; MG_ERR if libsodium failed (memory).  Does not
 * check the policy: call mg_pw_check() first. */
int mg_pw_hash(const char *pw, size_t len, char out[MG_PW_PHC_MAX]);

/* Verifies pw[0..len) (NFKC) against a stored PHC string.  MG_OK on a match,
 * and *needs_rehash (if not NULL) = 1 when the string's algorithm or
 * parameters are not the current ones (hash the password again and store
 * it); MG_DECLINED on a mismatch, an unparsable PHC string or an unusable
 * password (which still costs one verify, so the answer time does not tell). */
int mg_pw_verify(const char *phc, const char *pw, size_t len, int *needs_rehash);

/* Costs what mg_pw_verify() costs, against the fixed PHC of mg_pw_init(): for
 * a login with an unknown email, so its timing matches a known one (§8 item
 * 9).  The result is ignored. */
void mg_pw_dummy_verify(const char *pw, size_t len);

/* The NFKC form of pw[0..len) in a new buffer of *out_len bytes (plus a NUL),
 * or NULL for invalid UTF-8 or more than MG_PW_INPUT_MAX bytes.  Release it
 * with mg_pw_normalized_free(), which wipes it. */
uint8_t *mg_pw_normalize(const char *pw, size_t len, size_t *out_len);
void mg_pw_normalized_free(uint8_t *p, size_t len);

/* Loads the blocklist (one password per line; "#!comment" lines skipped;
 * matched case-insensitively) and the dictionary (only all-lowercase ASCII
 * words of at least 5 letters are kept).  Either path may be NULL or "" for
 * none.  Returns the lists, or NULL with the reason in err (a file that
 * cannot be read, more than MG_PW_LIST_MAX_ENTRIES entries or a line longer
 * than MG_PW_LIST_MAX_LINE bytes).  Read-only afterwards: share it between
 * threads freely. */
struct mg_pw_lists *mg_pw_lists_load(const char *blocklist_file, const char *dictionary_file, char *err,
                                     size_t errlen);
/* As mg_pw_lists_load() with other ceilings (for tests). */
struct mg_pw_lists *mg_pw_lists_load_limits(const char *blocklist_file, const char *dictionary_file,
                                            size_t max_entries, size_t max_line, char *err, size_t errlen);
/* Entries kept from the blocklist file and the dictionary file. */
size_t mg_pw_lists_blocklist_count(const struct mg_pw_lists *l);
size_t mg_pw_lists_dictionary_count(const struct mg_pw_lists *l);
void mg_pw_lists_free(struct mg_pw_lists *l);

/* Checks a new password against policy p.  l may be NULL (then only the
 * built-in context words are blocklisted); email (NUL-terminated, may be
 * NULL) is the account's address.  Returns the first rule that fails, in
 * the order of enum mg_pw_rule (input over MG_PW_INPUT_MAX bytes is
 * MG_PW_TOO_LONG at once), or MG_PW_OK.  Pure CPU, microseconds. */
enum mg_pw_rule mg_pw_check(const struct mg_pw_lists *l, enum mg_pw_policy p, const char *pw, size_t len,
                            const char *email);

/* The sentence for a rule: what failed and what to do.  Static; never NULL. */
const char *mg_pw_rule_message(enum mg_pw_rule r);
/* The rule's enum name without MG_PW_ ("TOO_SHORT"), for logs and tests. */
const char *mg_pw_rule_name(enum mg_pw_rule r);

/* "default" / "nist" <-> enum.  MG_OK, or MG_DECLINED for another name. */
int mg_pw_policy_parse(const char *name, enum mg_pw_policy *out);
const char *mg_pw_policy_name(enum mg_pw_policy p);

#endif
