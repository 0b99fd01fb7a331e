/*
 * cli.h: maxgate, the command-line client.
 *
 * Layers: main.c parses the global options and walks the command table;
 * config.c keeps profiles in $XDG_CONFIG_HOME/maxgate/config.json (0600,
 * written atomically); http.c is the one HTTP client (libcurl) that picks
 * the auth header, talks JSON, multipart and SSE, and maps every failure to
 * an exit code; each command group is a file with its own table
 * (cmd_auth.c, cmd_api.c, cmd_config.c).  A new group (keys, billing,
 * admin) is a new file and one line in main.c's group list.
 */
#ifndef MG_CLI_CLI_H
#define MG_CLI_CLI_H

#include <jansson.h>
#include <stddef.h>
#include <stdint.h>
#include "core/region.h"

/* Exit codes (PRODUCT.md section 6). */
enum {
    MG_EXIT_OK = 0,
    MG_EXIT_API = 1,
    MG_EXIT_USAGE = 2,
    MG_EXIT_AUTH = 3,
    MG_EXIT_QUOTA = 4,
    MG_EXIT_TIMEOUT = 5,
    MG_EXIT_NETWORK = 6,
    MG_EXIT_FILTER = 10,
    MG_EXIT_INTERRUPTED = 130,
};

struct mg_profile {
    char name[64];
    char api_key[256];
    char region[16];   /* "global" | "cn" | "" */
    char base_url[512];
    char output[8];    /* "text" | "json" | "" */
    int64_t timeout_s; /* 0 = default */
};

/* Everything a command needs: resolved settings and the argument vector. */
struct mg_cli {
    struct mg_profile prof;   /* after flags > env > config precedence */
    char config_path[1024];
    int json;                 /* --output json (default when stdout is not a terminal) */
    int verbose;
    int tty_out, tty_err;
    int64_t timeout_s;
    int argc;                 /* the command's own arguments (after the command words) */
    char **argv;
};

/* One command: words ("text chat"), handler, one-line help and flag help. */
struct mg_cmd {
    const char *words;
    int (*run)(struct mg_cli *cli);
    const char *summary;
    const char *usage;
};

/* Command tables of the groups. */
extern const struct mg_cmd mg_cli_auth_cmds[];
extern const struct mg_cmd mg_cli_api_cmds[];
extern const struct mg_cmd mg_cli_config_cmds[];

/* ---- options ---- */
/* Finds "--name value" / "--name=value" in cli->argv; NULL if absent. */
const char *mg_cli_opt(struct mg_cli *cli, const char *name);
/* All values of a repeatable option, in order; returns the count (<= max). */
size_t mg_cli_opts(struct mg_cli *cli, const char *name, const char **out, size_t max);
int mg_cli_flag(struct mg_cli *cli, const char *name);
/* Fails with a usage error on any option not in the comma-separated `known`
 * list ("message,stream,..."; flags and valued options alike). */
int mg_cli_check_opts(struct mg_cli *cli, const char *known, const char *flags);

/* ---- config ---- */
int mg_cli_config_path(char *out, size_t cap);
/* Loads profile `name` ("" = the current one); a missing file is empty.
 * MG_DECLINED (with out->name set) if a named profile does not exist. */
int mg_cli_config_load(const char *path, const char *name, struct mg_profile *out, char *err, size_t errlen);
/* Writes (creates) profile p, optionally making it current; atomic, 0600. */
int mg_cli_config_save(const char *path, const struct mg_profile *p, int make_current, char *err, size_t errlen);
int mg_cli_config_remove_key(const char *path, const char *name, char *err, size_t errlen);
json_t *mg_cli_config_read(const char *path);

/* ---- HTTP ---- */
struct mg_http_result {
    long status;
    char *body; /* NUL-terminated, malloc'd */
    size_t len;
    char content_type[128];
    int curl_code;
};

/* Called per SSE event; return non-zero to stop. */
typedef int (*mg_cli_sse_cb)(void *arg, const char *event, const char *data);

const char *mg_cli_base_url(const struct mg_cli *cli);
int mg_cli_request(struct mg_cli *cli, const char *method, const char *path, json_t *body,
                   struct mg_http_result *res);
int mg_cli_upload(struct mg_cli *cli, const char *path, const char *file, const char *purpose,
                  struct mg_http_result *res);
int mg_cli_stream(struct mg_cli *cli, const char *path, json_t *body, mg_cli_sse_cb cb, void *arg,
                  struct mg_http_result *res);
/* Downloads an absolute URL (no credentials: it is another host) to a file. */
int mg_cli_download(struct mg_cli *cli, const char *url, const char *file, size_t *bytes);
void mg_cli_result_free(struct mg_http_result *res);

/* Turns a finished request into an exit code, printing the error (text or
 * JSON to stderr) if there was one.  On MG_EXIT_OK, *doc (if not NULL) gets
 * the parsed body. */
int mg_cli_check(struct mg_cli *cli, struct mg_http_result *res, json_t **doc);
/* Prints a usage or local error and returns code. */
int mg_cli_fail(struct mg_cli *cli, int code, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
/* Prints a JSON document (json mode) to stdout. */
void mg_cli_print_json(json_t *doc);

/* Exit code for an HTTP status and MiniMax/maxgate error codes (pure; unit-tested). */
int mg_cli_exit_code(long status, int base_code, const char *error_code);

#endif
