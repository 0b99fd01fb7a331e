/*
 * embed.h: files compiled into the binary at build time (scripts/embed.py):
 * the SQL migrations of each store backend and the console's static files.
 * A set is sorted by path; data is followed by a NUL byte (text files are
 * C strings too).
 */
#ifndef MG_CORE_EMBED_H
#define MG_CORE_EMBED_H

#include <stddef.h>

struct mg_embed_file {
    const char *path;          /* relative to the embedded folder, '/'-separated: "pages/login.js" */
    const unsigned char *data; /* len bytes, then a NUL */
    size_t len;
    const char *sha256;        /* hex SHA-256 of data (64 characters) */
};

struct mg_embed_set {
    const struct mg_embed_file *files;
    size_t count;
};

/* The file at path (len bytes, no NUL needed), or NULL. */
const struct mg_embed_file *mg_embed_find(const struct mg_embed_set *set, const char *path, size_t len);

#endif
