/*
 * cmd_api.c: the MiniMax API commands (quota, text, speech, image, video,
 * music, voice, file).  Binary results always go to files, never to a
 * terminal; progress is shown only when stderr is a terminal.
 */
#include "cli/cli.h"
#include "core/buf.h"
#include "core/mg.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#define MAX_MESSAGES 64

/* Runs a JSON call and checks it; on success *doc holds the answer. */
static int call(struct mg_cli *cli, const char *method, const char *path, json_t *body, json_t **doc)
{
    struct mg_http_result res;
    mg_cli_request(cli, method, path, body, &res);
    int rc = mg_cli_check(cli, &res, doc);
    mg_cli_result_free(&res);
    return rc;
}

static int need_key(struct mg_cli *cli)
{
    if (cli->prof.api_key[0])
        return MG_EXIT_OK;
    return mg_cli_fail(cli, MG_EXIT_AUTH, "no API key: run maxgate auth login --api-key KEY, or set MAXGATE_API_KEY");
}

/* Appends hex-encoded bytes to f; returns how many were written, or -1 on
 * bad hex. */
static long put_hex(FILE *f, const char *hex)
{
    size_t n = strlen(hex) / 2;
    for (size_t i = 0; i < n; i++) {
        unsigned v;
        if (sscanf(hex + 2 * i, "%2x", &v) != 1)
            return -1;
        fputc((int)v, f);
    }
    return (long)n;
}

/* Decodes hex into a new file.  MG_OK or MG_ERR. */
static int write_hex(const char *hex, const char *file, size_t *bytes)
{
    FILE *f = fopen(file, "wb");
    if (f == NULL)
        return MG_ERR;
    long n = put_hex(f, hex);
    if (fclose(f) != 0 || n < 0)
        return MG_ERR;
    *bytes = (size_t)n;
    return MG_OK;
}

static void emit(struct mg_cli *cli, json_t *doc, const char *text)
{
    if (cli->json)
        mg_cli_print_json(doc);
    else if (text != NULL)
        printf("%s\n", text);
    json_decref(doc);
}

/* ---- quota ---- */

static int quota(struct mg_cli *cli)
{
    json_t *doc, *m;
    size_t i;
    if (mg_cli_check_opts(cli, "", "") || need_key(cli))
        return cli->prof.api_key[0] ? MG_EXIT_USAGE : MG_EXIT_AUTH;
    int rc = call(cli, "GET", "/v1/token_plan/remains", NULL, &doc);
    if (rc != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        printf("%-24s %10s %10s %10s\n", "model", "used", "total", "left");
        json_array_foreach(json_object_get(doc, "model_remains"), i, m)
        {
            /* MiniMax's usage_count holds what is LEFT (MINIMAX-API.md 2.10) */
            json_int_t total = json_integer_value(json_object_get(m, "current_interval_total_count"));
            json_int_t left = json_integer_value(json_object_get(m, "current_interval_usage_count"));
            printf("%-24s %10lld %10lld %10lld\n", json_string_value(json_object_get(m, "model_name")),
                   (long long)(total - left), (long long)total, (long long)left);
        }
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

/* ---- text chat ---- */

struct chat_stream {
    struct mg_buf text;
    int json;
};

static int on_chat_event(void *arg, const char *event, const char *data)
{
    struct chat_stream *cs = arg;
    json_t *d;
    if (strcmp(data, "[DONE]") == 0 || (d = json_loads(data, 0, NULL)) == NULL)
        return 0;
    /* MiniMax ends with a whole chat.completion object: its text is a repeat */
    const char *obj = json_string_value(json_object_get(d, "object"));
    json_t *c = json_object_get(json_object_get(json_array_get(json_object_get(d, "choices"), 0), "delta"), "content");
    if (obj != NULL && strcmp(obj, "chat.completion.chunk") == 0 && json_is_string(c)) {
        mg_buf_append(&cs->text, json_string_value(c), json_string_length(c));
        if (!cs->json) {
            fputs(json_string_value(c), stdout);
            fflush(stdout);
        }
    }
    json_decref(d);
    return 0;
}

static int text_chat(struct mg_cli *cli)
{
    const char *msgs[MAX_MESSAGES], *model = mg_cli_opt(cli, "model"), *sys = mg_cli_opt(cli, "system"),
                                    *maxt = mg_cli_opt(cli, "max-tokens"), *temp = mg_cli_opt(cli, "temperature");
    size_t n = mg_cli_opts(cli, "message", msgs, MAX_MESSAGES);
    int stream = mg_cli_flag(cli, "stream");
    if (mg_cli_check_opts(cli, "message,model,system,max-tokens,temperature", "stream") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (n == 0)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give at least one --message (prefix user:, assistant: or system:)");
    if (need_key(cli))
        return MG_EXIT_AUTH;
    json_t *body = json_object(), *arr = json_array();
    json_object_set_new(body, "model", json_string(model ? model : "MiniMax-M2.7"));
    if (sys)
        json_array_append_new(arr, json_pack("{s:s,s:s}", "role", "system", "content", sys));
    for (size_t i = 0; i < n; i++) {
        const char *role = "user", *text = msgs[i];
        static const char *const roles[] = {"user", "assistant", "system"};
        for (size_t r = 0; r < MG_ARRAY_SIZE(roles); r++) {
            size_t l = strlen(roles[r]);
            if (strncmp(text, roles[r], l) == 0 && text[l] == ':') {
                role = roles[r];
                text += l + 1;
                while (*text == ' ')
                    text++;
            }
        }
        json_array_append_new(arr, json_pack("{s:s,s:s}", "role", role, "content", text));
    }
    json_object_set_new(body, "messages", arr);
    if (maxt) {
        int64_t v;
        if (mg_parse_i64(maxt, strlen(maxt), &v) != MG_OK || v <= 0) {
            json_decref(body);
            return mg_cli_fail(cli, MG_EXIT_USAGE, "--max-tokens must be a positive whole number");
        }
        json_object_set_new(body, "max_completion_tokens", json_integer(v));
    }
    if (temp) {
        char *end;
        double t = strtod(temp, &end);
        if (*end != '\0' || t <= 0 || t > 1) {
            json_decref(body);
            return mg_cli_fail(cli, MG_EXIT_USAGE, "--temperature must be in (0, 1]");
        }
        json_object_set_new(body, "temperature", json_real(t));
    }
    int rc;
    if (stream) {
        struct chat_stream cs = {.json = cli->json};
        struct mg_http_result res;
        mg_buf_init(&cs.text, 64u << 20);
        json_object_set_new(body, "stream", json_true());
        mg_cli_stream(cli, "/v1/chat/completions", body, on_chat_event, &cs, &res);
        rc = mg_cli_check(cli, &res, NULL);
        mg_cli_result_free(&res);
        if (rc == MG_EXIT_OK) {
            if (cli->json)
                emit(cli, json_pack("{s:s#}", "content", cs.text.data ? cs.text.data : "", cs.text.len), NULL);
            else
                printf("\n");
        }
        mg_buf_free(&cs.text);
    } else {
        json_t *doc;
        rc = call(cli, "POST", "/v1/chat/completions", body, &doc);
        if (rc == MG_EXIT_OK) {
            json_t *msg = json_object_get(json_array_get(json_object_get(doc, "choices"), 0), "message");
            const char *text = json_string_value(json_object_get(msg, "content"));
            json_t *out = json_pack("{s:s,s:O?,s:O?}", "content", text ? text : "", "model",
                                    json_object_get(doc, "model"), "usage", json_object_get(doc, "usage"));
            emit(cli, out, text ? text : "");
            json_decref(doc);
        }
    }
    json_decref(body);
    return rc;
}

/* ---- speech ---- */

struct speech_stream {
    FILE *f;
    size_t bytes;
    int64_t characters;
};

static int on_speech_event(void *arg, const char *event, const char *data)
{
    struct speech_stream *ss = arg;
    json_t *d = json_loads(data, 0, NULL);
    json_t *dd = json_object_get(d, "data");
    const char *hex = json_string_value(json_object_get(dd, "audio"));
    /* status 2 repeats the whole audio (MINIMAX-API.md 2.4): write only the chunks */
    if (hex != NULL && json_integer_value(json_object_get(dd, "status")) == 1) {
        long n = put_hex(ss->f, hex);
        if (n > 0)
            ss->bytes += (size_t)n;
    }
    json_t *u = json_object_get(json_object_get(d, "extra_info"), "usage_characters");
    if (u != NULL)
        ss->characters = (int64_t)json_integer_value(u);
    json_decref(d);
    return 0;
}

static char *read_file(const char *path)
{
    FILE *f = fopen(path, "rb");
    struct mg_buf b;
    char chunk[4096];
    size_t n;
    if (f == NULL)
        return NULL;
    mg_buf_init(&b, 1 << 20);
    while ((n = fread(chunk, 1, sizeof(chunk), f)) > 0)
        if (mg_buf_append(&b, chunk, n) != MG_OK)
            break;
    fclose(f);
    return b.data ? b.data : mg_strdup("");
}

static int speech_synthesize(struct mg_cli *cli)
{
    const char *text = mg_cli_opt(cli, "text"), *tf = mg_cli_opt(cli, "text-file"), *voice = mg_cli_opt(cli, "voice"),
               *format = mg_cli_opt(cli, "format"), *out = mg_cli_opt(cli, "out"), *model = mg_cli_opt(cli, "model");
    char deflt[64], *owned = NULL;
    size_t bytes = 0;
    int rc;
    if (mg_cli_check_opts(cli, "text,text-file,voice,format,out,model", "stream") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((text == NULL) == (tf == NULL))
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --text TEXT or --text-file PATH");
    if (tf != NULL && (text = owned = read_file(tf)) == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "cannot read %s", tf);
    if (need_key(cli)) {
        free(owned);
        return MG_EXIT_AUTH;
    }
    format = format ? format : "mp3";
    if (out == NULL) { /* never audio on a terminal */
        snprintf(deflt, sizeof(deflt), "speech-%lld.%s", (long long)time(NULL), format);
        out = deflt;
    }
    json_t *body = json_pack("{s:s,s:s,s:{s:s},s:{s:s,s:i,s:i,s:i},s:s}", "model", model ? model : "speech-2.8-hd",
                             "text", text, "voice_setting", "voice_id", voice ? voice : "English_expressive_narrator",
                             "audio_setting", "format", format, "sample_rate", 32000, "bitrate", 128000, "channel", 1,
                             "output_format", "hex");
    int64_t chars = 0;
    if (mg_cli_flag(cli, "stream")) {
        struct speech_stream ss = {.f = fopen(out, "wb")};
        struct mg_http_result res;
        if (ss.f == NULL) {
            json_decref(body);
            free(owned);
            return mg_cli_fail(cli, MG_EXIT_USAGE, "cannot write %s", out);
        }
        json_object_set_new(body, "stream", json_true());
        mg_cli_stream(cli, "/v1/t2a_v2", body, on_speech_event, &ss, &res);
        fclose(ss.f);
        rc = mg_cli_check(cli, &res, NULL);
        mg_cli_result_free(&res);
        bytes = ss.bytes;
        chars = ss.characters;
    } else {
        json_t *doc;
        rc = call(cli, "POST", "/v1/t2a_v2", body, &doc);
        if (rc == MG_EXIT_OK) {
            const char *hex = json_string_value(json_object_get(json_object_get(doc, "data"), "audio"));
            chars = (int64_t)json_integer_value(json_object_get(json_object_get(doc, "extra_info"), "usage_characters"));
            if (hex == NULL || write_hex(hex, out, &bytes) != MG_OK)
                rc = mg_cli_fail(cli, MG_EXIT_API, "the answer has no audio, or %s cannot be written", out);
            json_decref(doc);
        }
    }
    json_decref(body);
    free(owned);
    if (rc == MG_EXIT_OK) {
        char line[1200];
        snprintf(line, sizeof(line), "Saved %zu bytes of %s to %s", bytes, format, out);
        emit(cli, json_pack("{s:s,s:I,s:I}", "saved", out, "bytes", (json_int_t)bytes, "characters", (json_int_t)chars),
             line);
    }
    return rc;
}

static int speech_voices(struct mg_cli *cli)
{
    json_t *doc, *v;
    size_t i;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (need_key(cli))
        return MG_EXIT_AUTH;
    json_t *body = json_pack("{s:s}", "voice_type", "system");
    int rc = call(cli, "POST", "/v1/get_voice", body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    json_t *ids = json_array();
    json_array_foreach(json_object_get(doc, "system_voice"), i, v)
    {
        json_array_append(ids, json_object_get(v, "voice_id"));
        if (!cli->json)
            printf("%s\n", json_string_value(json_object_get(v, "voice_id")));
    }
    if (cli->json)
        mg_cli_print_json(ids);
    json_decref(ids);
    json_decref(doc);
    return MG_EXIT_OK;
}

/* ---- image ---- */

static int image_generate(struct mg_cli *cli)
{
    const char *prompt = mg_cli_opt(cli, "prompt"), *n = mg_cli_opt(cli, "n"), *ar = mg_cli_opt(cli, "aspect-ratio"),
               *out = mg_cli_opt(cli, "out"), *dir = mg_cli_opt(cli, "out-dir"), *model = mg_cli_opt(cli, "model");
    int64_t count = 1;
    json_t *doc, *u;
    size_t i;
    if (mg_cli_check_opts(cli, "prompt,n,aspect-ratio,out,out-dir,model", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (prompt == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --prompt TEXT");
    if (n && (mg_parse_i64(n, strlen(n), &count) != MG_OK || count < 1 || count > 9))
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--n must be 1 to 9");
    if (out && count > 1)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "--out takes one image; use --out-dir for --n %lld", (long long)count);
    if (need_key(cli))
        return MG_EXIT_AUTH;
    json_t *body = json_pack("{s:s,s:s,s:I,s:s}", "model", model ? model : "image-01", "prompt", prompt, "n",
                             (json_int_t)count, "response_format", "url");
    if (ar)
        json_object_set_new(body, "aspect_ratio", json_string(ar));
    int rc = call(cli, "POST", "/v1/image_generation", body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    json_t *saved = json_array();
    json_array_foreach(json_object_get(json_object_get(doc, "data"), "image_urls"), i, u)
    {
        char path[1100];
        size_t bytes;
        if (out)
            mg_strlcpy(path, out, sizeof(path));
        else
            snprintf(path, sizeof(path), "%s/image_%03zu.png", dir ? dir : ".", i + 1);
        if (mg_cli_download(cli, json_string_value(u), path, &bytes) != MG_OK) {
            rc = mg_cli_fail(cli, MG_EXIT_NETWORK, "could not download image %zu to %s", i + 1, path);
            break;
        }
        json_array_append_new(saved, json_string(path));
        if (!cli->json)
            printf("Saved %s (%zu bytes)\n", path, bytes);
    }
    if (rc == MG_EXIT_OK && cli->json)
        mg_cli_print_json(json_pack("{s:O}", "saved", saved));
    json_decref(saved);
    json_decref(doc);
    return rc;
}

/* ---- video ---- */

static int video_fetch(struct mg_cli *cli, const char *file_id, const char *out, size_t *bytes)
{
    char path[256];
    json_t *doc;
    snprintf(path, sizeof(path), "/v1/files/retrieve?file_id=%s", file_id);
    int rc = call(cli, "GET", path, NULL, &doc);
    if (rc != MG_EXIT_OK)
        return rc;
    const char *url = json_string_value(json_object_get(json_object_get(doc, "file"), "download_url"));
    if (url == NULL)
        rc = mg_cli_fail(cli, MG_EXIT_API, "the file has no download URL");
    else if (mg_cli_download(cli, url, out, bytes) != MG_OK)
        rc = mg_cli_fail(cli, MG_EXIT_NETWORK, "could not download the video to %s", out);
    json_decref(doc);
    return rc;
}

static int video_generate(struct mg_cli *cli)
{
    const char *prompt = mg_cli_opt(cli, "prompt"), *model = mg_cli_opt(cli, "model"),
               *dl = mg_cli_opt(cli, "download"), *pi = mg_cli_opt(cli, "poll-interval");
    static const char spin[] = "|/-\\";
    json_t *doc;
    double interval = 5;
    if (mg_cli_check_opts(cli, "prompt,model,download,poll-interval", "no-wait") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (prompt == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --prompt TEXT");
    if (pi) {
        char *end;
        interval = strtod(pi, &end);
        if (*end != '\0' || interval < 0.05 || interval > 600)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "--poll-interval must be seconds between 0.05 and 600");
    }
    if (need_key(cli))
        return MG_EXIT_AUTH;
    json_t *body = json_pack("{s:s,s:s}", "model", model ? model : "MiniMax-Hailuo-2.3", "prompt", prompt);
    int rc = call(cli, "POST", "/v1/video_generation", body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    char task[128];
    mg_strlcpy(task, json_string_value(json_object_get(doc, "task_id")) ? json_string_value(json_object_get(doc, "task_id")) : "", sizeof(task));
    json_decref(doc);
    if (mg_cli_flag(cli, "no-wait")) {
        emit(cli, json_pack("{s:s}", "task_id", task), task);
        return MG_EXIT_OK;
    }
    time_t start = time(NULL), limit = (time_t)(cli->timeout_s > 0 ? cli->timeout_s : 3600);
    char path[256], status[64] = "", file_id[128] = "";
    snprintf(path, sizeof(path), "/v1/query/video_generation?task_id=%s", task);
    for (unsigned tick = 0;; tick++) {
        rc = call(cli, "GET", path, NULL, &doc);
        if (rc != MG_EXIT_OK)
            return rc;
        mg_strlcpy(status, json_string_value(json_object_get(doc, "status")) ? json_string_value(json_object_get(doc, "status")) : "?", sizeof(status));
        json_t *fid = json_object_get(doc, "file_id");
        if (json_is_string(fid))
            mg_strlcpy(file_id, json_string_value(fid), sizeof(file_id));
        else if (json_is_integer(fid))
            snprintf(file_id, sizeof(file_id), "%lld", (long long)json_integer_value(fid));
        json_decref(doc);
        if (cli->tty_err) { /* progress only on a terminal */
            fprintf(stderr, "\r%c video %s: %-12s %4lds", spin[tick % 4], task, status, (long)(time(NULL) - start));
            fflush(stderr);
        }
        if (strcmp(status, "Success") == 0 || strcmp(status, "Fail") == 0 || strcmp(status, "Failed") == 0)
            break;
        if (time(NULL) - start > limit)
            return mg_cli_fail(cli, MG_EXIT_TIMEOUT, "the video was not ready after %lld s (status %s); check later "
                                                     "with: maxgate video task get --task-id %s",
                               (long long)limit, status, task);
        struct timespec ts = {(time_t)interval, (long)((interval - (double)(time_t)interval) * 1e9)};
        nanosleep(&ts, NULL);
    }
    if (cli->tty_err)
        fprintf(stderr, "\n");
    if (strcmp(status, "Success") != 0) /* MiniMax documents "Fail"; mmx only knows "Failed" */
        return mg_cli_fail(cli, MG_EXIT_API, "video task %s failed", task);
    char out[1100];
    size_t bytes = 0;
    if (dl)
        mg_strlcpy(out, dl, sizeof(out));
    else
        snprintf(out, sizeof(out), "video-%s.mp4", task);
    if ((rc = video_fetch(cli, file_id, out, &bytes)) != MG_EXIT_OK)
        return rc;
    char line[1300];
    snprintf(line, sizeof(line), "Saved %s (%zu bytes)", out, bytes);
    emit(cli, json_pack("{s:s,s:s,s:s,s:s,s:I}", "task_id", task, "status", status, "file_id", file_id, "saved", out,
                        "bytes", (json_int_t)bytes),
         line);
    return MG_EXIT_OK;
}

static int video_task_get(struct mg_cli *cli)
{
    const char *task = mg_cli_opt(cli, "task-id");
    char path[256];
    json_t *doc;
    if (mg_cli_check_opts(cli, "task-id", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (task == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --task-id ID");
    if (need_key(cli))
        return MG_EXIT_AUTH;
    snprintf(path, sizeof(path), "/v1/query/video_generation?task_id=%s", task);
    int rc = call(cli, "GET", path, NULL, &doc);
    if (rc != MG_EXIT_OK)
        return rc;
    const char *st = json_string_value(json_object_get(doc, "status"));
    emit(cli, json_pack("{s:s,s:s?,s:O?}", "task_id", task, "status", st, "file_id", json_object_get(doc, "file_id")),
         st ? st : "?");
    json_decref(doc);
    return MG_EXIT_OK;
}

static int video_download(struct mg_cli *cli)
{
    const char *fid = mg_cli_opt(cli, "file-id"), *out = mg_cli_opt(cli, "out");
    size_t bytes = 0;
    if (mg_cli_check_opts(cli, "file-id,out", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (fid == NULL || out == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --file-id ID --out FILE");
    if (need_key(cli))
        return MG_EXIT_AUTH;
    int rc = video_fetch(cli, fid, out, &bytes);
    if (rc == MG_EXIT_OK)
        emit(cli, json_pack("{s:s,s:I}", "saved", out, "bytes", (json_int_t)bytes), out);
    return rc;
}

/* ---- music, voice ---- */

static int music_generate(struct mg_cli *cli)
{
    const char *prompt = mg_cli_opt(cli, "prompt"), *lyrics = mg_cli_opt(cli, "lyrics"),
               *model = mg_cli_opt(cli, "model"), *out = mg_cli_opt(cli, "out");
    char deflt[64];
    size_t bytes = 0;
    json_t *doc;
    if (mg_cli_check_opts(cli, "prompt,lyrics,model,out", "instrumental") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (prompt == NULL && lyrics == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --prompt TEXT and/or --lyrics TEXT");
    if (need_key(cli))
        return MG_EXIT_AUTH;
    if (out == NULL) {
        snprintf(deflt, sizeof(deflt), "music-%lld.mp3", (long long)time(NULL));
        out = deflt;
    }
    json_t *body = json_pack("{s:s,s:s}", "model", model ? model : "music-2.6", "output_format", "hex");
    if (prompt)
        json_object_set_new(body, "prompt", json_string(prompt));
    if (lyrics)
        json_object_set_new(body, "lyrics", json_string(lyrics));
    if (mg_cli_flag(cli, "instrumental"))
        json_object_set_new(body, "is_instrumental", json_true());
    int rc = call(cli, "POST", "/v1/music_generation", body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    const char *hex = json_string_value(json_object_get(json_object_get(doc, "data"), "audio"));
    if (hex == NULL || write_hex(hex, out, &bytes) != MG_OK)
        rc = mg_cli_fail(cli, MG_EXIT_API, "the answer has no audio, or %s cannot be written", out);
    json_decref(doc);
    if (rc == MG_EXIT_OK)
        emit(cli, json_pack("{s:s,s:I}", "saved", out, "bytes", (json_int_t)bytes), out);
    return rc;
}

static int voice_clone(struct mg_cli *cli)
{
    const char *fid = mg_cli_opt(cli, "file-id"), *vid = mg_cli_opt(cli, "voice-id"), *text = mg_cli_opt(cli, "text");
    int64_t id;
    json_t *doc;
    if (mg_cli_check_opts(cli, "file-id,voice-id,text", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (fid == NULL || vid == NULL || mg_parse_i64(fid, strlen(fid), &id) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --file-id N (an uploaded voice_clone file) --voice-id NAME");
    if (need_key(cli))
        return MG_EXIT_AUTH;
    json_t *body = json_pack("{s:I,s:s}", "file_id", (json_int_t)id, "voice_id", vid);
    if (text) {
        json_object_set_new(body, "text", json_string(text));
        json_object_set_new(body, "model", json_string("speech-2.8-hd"));
    }
    int rc = call(cli, "POST", "/v1/voice_clone", body, &doc);
    json_decref(body);
    if (rc == MG_EXIT_OK) {
        json_decref(doc);
        emit(cli, json_pack("{s:s}", "voice_id", vid), vid);
    }
    return rc;
}

/* ---- files ---- */

static int file_upload(struct mg_cli *cli)
{
    const char *file = mg_cli_opt(cli, "file"), *purpose = mg_cli_opt(cli, "purpose");
    struct mg_http_result res;
    json_t *doc;
    if (mg_cli_check_opts(cli, "file,purpose", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (file == NULL || access(file, R_OK) != 0)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --file PATH of a readable file");
    if (need_key(cli))
        return MG_EXIT_AUTH;
    mg_cli_upload(cli, "/v1/files/upload", file, purpose ? purpose : "retrieval", &res);
    int rc = mg_cli_check(cli, &res, &doc);
    mg_cli_result_free(&res);
    if (rc == MG_EXIT_OK) {
        json_t *f = json_incref(json_object_get(doc, "file"));
        char line[128];
        snprintf(line, sizeof(line), "Uploaded: file_id %lld", (long long)json_integer_value(json_object_get(f, "file_id")));
        emit(cli, f ? f : json_object(), line);
        json_decref(doc);
    }
    return rc;
}

static int file_list(struct mg_cli *cli)
{
    json_t *doc, *f;
    size_t i;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (need_key(cli))
        return MG_EXIT_AUTH;
    int rc = call(cli, "GET", "/v1/files/list", NULL, &doc);
    if (rc != MG_EXIT_OK)
        return rc;
    if (cli->json)
        mg_cli_print_json(json_object_get(doc, "files"));
    else
        json_array_foreach(json_object_get(doc, "files"), i, f)
            printf("%-16lld %-24s %8lld bytes  %s\n", (long long)json_integer_value(json_object_get(f, "file_id")),
                   json_string_value(json_object_get(f, "filename")), (long long)json_integer_value(json_object_get(f, "bytes")),
                   json_string_value(json_object_get(f, "purpose")));
    json_decref(doc);
    return MG_EXIT_OK;
}

static int file_delete(struct mg_cli *cli)
{
    const char *fid = mg_cli_opt(cli, "file-id"), *purpose = mg_cli_opt(cli, "purpose");
    int64_t id;
    json_t *doc;
    if (mg_cli_check_opts(cli, "file-id,purpose", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (fid == NULL || mg_parse_i64(fid, strlen(fid), &id) != MG_OK)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give --file-id N");
    if (need_key(cli))
        return MG_EXIT_AUTH;
    json_t *body = json_pack("{s:I,s:s}", "file_id", (json_int_t)id, "purpose", purpose ? purpose : "retrieval");
    int rc = call(cli, "POST", "/v1/files/delete", body, &doc);
    json_decref(body);
    if (rc == MG_EXIT_OK) {
        json_decref(doc);
        emit(cli, json_pack("{s:I}", "deleted", (json_int_t)id), "Deleted");
    }
    return rc;
}

const struct mg_cmd mg_cli_api_cmds[] = {
    {"quota", quota, "what is left of the budget or plan", ""},
    {"text chat", text_chat, "chat with a model",
     "--message [role:]TEXT... [--system S] [--model M] [--max-tokens N] [--temperature T] [--stream]"},
    {"speech synthesize", speech_synthesize, "text to speech, saved to a file",
     "(--text T | --text-file F) [--voice V] [--format mp3] [--model M] [--out FILE] [--stream]"},
    {"speech voices", speech_voices, "list the system voices", ""},
    {"image generate", image_generate, "generate images and download them",
     "--prompt P [--n N] [--aspect-ratio 16:9] [--model M] [--out FILE | --out-dir DIR]"},
    {"video generate", video_generate, "generate a video, wait with progress, download it",
     "--prompt P [--model M] [--no-wait] [--download FILE] [--poll-interval S]"},
    {"video task get", video_task_get, "the status of a video task", "--task-id ID"},
    {"video download", video_download, "download a finished video", "--file-id ID --out FILE"},
    {"music generate", music_generate, "generate a track, saved to a file",
     "--prompt P [--lyrics L] [--instrumental] [--model M] [--out FILE]"},
    {"voice clone", voice_clone, "clone a voice from an uploaded file", "--file-id N --voice-id NAME [--text T]"},
    {"file upload", file_upload, "upload a file", "--file PATH [--purpose retrieval|voice_clone|...]"},
    {"file list", file_list, "list uploaded files", ""},
    {"file delete", file_delete, "delete an uploaded file", "--file-id N [--purpose P]"},
    {NULL, NULL, NULL, NULL},
};
