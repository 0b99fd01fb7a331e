/*
 * config.c: the CLI's profiles, in $XDG_CONFIG_HOME/maxgate/config.json
 * (~/.config/maxgate/config.json).  The folder is 0700, the file 0600, and
 * every write goes to a temporary file in the same folder, is fsync'd and
 * renamed over the old one, so a crash leaves the old file or the new one.
 *
 *   {"current":"default","profiles":{"default":{"api_key":…,"region":…,
 *    "base_url":…,"output":…,"timeout":…,"session_token":…,
 *    "session_expires_at":…,"email":…,"session_base_url":…}}}
 *
 * The session fields are what `account login` keeps: the token is sent only
 * to session_base_url, the server that issued it.
 */
#include "cli/cli.h"
#include "core/mg.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

int mg_cli_config_path(char *out, size_t cap)
{
    const char *xdg = getenv("XDG_CONFIG_HOME"), *home = getenv("HOME");
    int n;
    if (xdg != NULL && xdg[0] == '/')
        n = snprintf(out, cap, "%s/maxgate/config.json", xdg);
    else if (home != NULL)
        n = snprintf(out, cap, "%s/.config/maxgate/config.json", home);
    else
        return MG_ERR;
    return n > 0 && (size_t)n < cap ? MG_OK : MG_ERR;
}

json_t *mg_cli_config_read(const char *path)
{
    json_t *root = json_load_file(path, 0, NULL);
    if (!json_is_object(root)) {
        json_decref(root);
        root = json_object();
    }
    if (!json_is_object(json_object_get(root, "profiles")))
        json_object_set_new(root, "profiles", json_object());
    return root;
}

static void copy_str(json_t *o, const char *k, char *dst, size_t cap)
{
    const char *v = json_string_value(json_object_get(o, k));
    if (v != NULL)
        mg_strlcpy(dst, v, cap);
}

int mg_cli_config_load(const char *path, const char *name, struct mg_profile *out, char *err, size_t errlen)
{
    json_error_t jerr;
    memset(out, 0, sizeof(*out));
    json_t *root = json_load_file(path, 0, &jerr);
    if (root == NULL) {
        if (access(path, F_OK) != 0) { /* no file yet: an empty profile */
            mg_strlcpy(out->name, name[0] ? name : "default", sizeof(out->name));
            return MG_OK;
        }
        snprintf(err, errlen, "%s is not valid JSON (line %d: %s); fix or delete it", path, jerr.line, jerr.text);
        return MG_ERR;
    }
    const char *cur = json_string_value(json_object_get(root, "current"));
    mg_strlcpy(out->name, name[0] ? name : cur ? cur : "default", sizeof(out->name));
    json_t *p = json_object_get(json_object_get(root, "profiles"), out->name);
    if (p == NULL && name[0]) { /* out->name is set: `auth login` may create it */
        json_decref(root);
        snprintf(err, errlen, "no profile named '%s' in %s (see `maxgate config show`)", name, path);
        return MG_DECLINED;
    }
    copy_str(p, "api_key", out->api_key, sizeof(out->api_key));
    copy_str(p, "region", out->region, sizeof(out->region));
    copy_str(p, "base_url", out->base_url, sizeof(out->base_url));
    copy_str(p, "output", out->output, sizeof(out->output));
    out->timeout_s = (int64_t)json_integer_value(json_object_get(p, "timeout"));
    copy_str(p, "session_token", out->session_token, sizeof(out->session_token));
    copy_str(p, "session_expires_at", out->session_expires_at, sizeof(out->session_expires_at));
    copy_str(p, "email", out->session_email, sizeof(out->session_email));
    copy_str(p, "session_base_url", out->session_base_url, sizeof(out->session_base_url));
    json_decref(root);
    return MG_OK;
}

static int mkdirs_for(const char *path)
{
    char dir[1024];
    mg_strlcpy(dir, path, sizeof(dir));
    for (char *p = dir + 1; *p; p++) {
        if (*p != '/')
            continue;
        *p = '\0';
        if (mkdir(dir, 0700) != 0 && errno != EEXIST)
            return MG_ERR;
        *p = '/';
    }
    return MG_OK;
}

/* Writes root to path atomically with mode 0600. */
static int write_atomic(const char *path, json_t *root, char *err, size_t errlen)
{
    char tmp[1100];
    if (mkdirs_for(path) != MG_OK) {
        snprintf(err, errlen, "cannot create the folder of %s: %s", path, strerror(errno));
        return MG_ERR;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp.%d", path, (int)getpid());
    int fd = open(tmp, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600);
    if (fd < 0) {
        snprintf(err, errlen, "cannot write %s: %s", tmp, strerror(errno));
        return MG_ERR;
    }
    char *text = json_dumps(root, JSON_INDENT(2) | JSON_SORT_KEYS);
    size_t n = strlen(text);
    int ok = write(fd, text, n) == (ssize_t)n && write(fd, "\n", 1) == 1 && fchmod(fd, 0600) == 0 && fsync(fd) == 0;
    free(text);
    close(fd);
    if (!ok || rename(tmp, path) != 0) {
        snprintf(err, errlen, "cannot write %s: %s", path, strerror(errno));
        unlink(tmp);
        return MG_ERR;
    }
    return MG_OK;
}

int mg_cli_config_save(const char *path, const struct mg_profile *p, int make_current, char *err, size_t errlen)
{
    json_t *root = mg_cli_config_read(path), *o = json_object();
    if (p->api_key[0])
        json_object_set_new(o, "api_key", json_string(p->api_key));
    if (p->region[0])
        json_object_set_new(o, "region", json_string(p->region));
    if (p->base_url[0])
        json_object_set_new(o, "base_url", json_string(p->base_url));
    if (p->output[0])
        json_object_set_new(o, "output", json_string(p->output));
    if (p->timeout_s > 0)
        json_object_set_new(o, "timeout", json_integer(p->timeout_s));
    if (p->session_token[0]) {
        json_object_set_new(o, "session_token", json_string(p->session_token));
        json_object_set_new(o, "session_expires_at", json_string(p->session_expires_at));
        json_object_set_new(o, "session_base_url", json_string(p->session_base_url));
    }
    if (p->session_email[0])
        json_object_set_new(o, "email", json_string(p->session_email));
    json_object_set_new(json_object_get(root, "profiles"), p->name, o);
    if (make_current || json_object_get(root, "current") == NULL)
        json_object_set_new(root, "current", json_string(p->name));
    int rc = write_atomic(path, root, err, errlen);
    json_decref(root);
    return rc;
}

int mg_cli_config_remove_key(const char *path, const char *name, char *err, size_t errlen)
{
    json_t *root = mg_cli_config_read(path);
    json_t *p = json_object_get(json_object_get(root, "profiles"), name);
    int rc = MG_OK;
    if (p != NULL) {
        json_object_del(p, "api_key");
        rc = write_atomic(path, root, err, errlen);
    }
    json_decref(root);
    return rc;
}
