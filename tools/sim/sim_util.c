/* sim_util.c: pure helpers of the simulator. */
#include "sim/sim.h"
#include "core/mg.h"

#include <jansson.h>
#include <stdio.h>
#include <string.h>

static size_t text_len(json_t *content)
{
    size_t n = 0, i;
    json_t *v;
    if (json_is_string(content))
        return json_string_length(content);
    json_array_foreach(content, i, v)
    {
        json_t *t = json_object_get(v, "text");
        if (json_is_string(t))
            n += json_string_length(t);
    }
    return n;
}

int64_t sim_prompt_tokens(const char *body, size_t len)
{
    json_t *root = json_loadb(body, len, 0, NULL), *msgs, *m, *sys;
    size_t chars = 0, i;
    if (root == NULL)
        return 1;
    msgs = json_object_get(root, "messages");
    json_array_foreach(msgs, i, m) chars += text_len(json_object_get(m, "content"));
    if ((sys = json_object_get(root, "system")) != NULL)
        chars += text_len(sys);
    json_t *text = json_object_get(root, "text");
    if (json_is_string(text))
        chars += json_string_length(text);
    json_decref(root);
    return (int64_t)(chars / 4) + 1;
}

enum sim_video_state sim_video_state(unsigned queries, int will_fail)
{
    if (queries <= 1)
        return SIM_PREPARING;
    if (queries == 2)
        return SIM_QUEUEING;
    if (queries == 3)
        return SIM_PROCESSING;
    return will_fail ? SIM_FAILED : SIM_SUCCESS;
}

const char *sim_video_state_name(enum sim_video_state s)
{
    static const char *const names[] = {"Preparing", "Queueing", "Processing", "Success", "Failed"};
    return names[s];
}

static const char *find(const char *h, size_t hl, const char *n, size_t nl)
{
    if (nl == 0 || hl < nl)
        return NULL;
    for (size_t i = 0; i + nl <= hl; i++)
        if (h[i] == n[0] && memcmp(h + i, n, nl) == 0)
            return h + i;
    return NULL;
}

/* Copies the quoted value of `attr="..."` in a part's headers. */
static void attr(const char *hdr, size_t hl, const char *name, char *out, size_t cap)
{
    const char *p = find(hdr, hl, name, strlen(name));
    out[0] = '\0';
    if (p == NULL)
        return;
    p += strlen(name);
    const char *q = memchr(p, '"', (size_t)(hdr + hl - p));
    if (q == NULL)
        return;
    snprintf(out, cap, "%.*s", (int)MG_MIN((size_t)(q - p), cap - 1), p);
}

int sim_multipart_scan(const char *body, size_t len, const char *boundary, size_t blen, char *filename,
                       size_t fcap, char *purpose, size_t pcap, size_t *file_bytes)
{
    char delim[256];
    int found = -1;
    if (blen + 4 > sizeof(delim))
        return -1;
    delim[0] = '-';
    delim[1] = '-';
    memcpy(delim + 2, boundary, blen);
    size_t dl = blen + 2;
    purpose[0] = '\0';
    const char *p = find(body, len, delim, dl), *end = body + len;
    while (p != NULL) {
        p += dl;
        if (end - p >= 2 && p[0] == '-' && p[1] == '-')
            break;
        const char *hend = find(p, (size_t)(end - p), "\r\n\r\n", 4);
        if (hend == NULL)
            break;
        const char *data = hend + 4;
        const char *next = find(data, (size_t)(end - data), delim, dl);
        if (next == NULL)
            break;
        size_t dlen = (size_t)(next - data);
        if (dlen >= 2)
            dlen -= 2; /* the CRLF before the delimiter */
        char name[64];
        attr(p, (size_t)(hend - p), "name=\"", name, sizeof(name));
        if (strcmp(name, "file") == 0) {
            attr(p, (size_t)(hend - p), "filename=\"", filename, fcap);
            *file_bytes = dlen;
            found = 0;
        } else if (strcmp(name, "purpose") == 0) {
            snprintf(purpose, pcap, "%.*s", (int)MG_MIN(dlen, pcap - 1), data);
        }
        p = next;
    }
    return found;
}

void sim_hex(const uint8_t *in, size_t n, char *out)
{
    static const char hx[] = "0123456789abcdef";
    for (size_t i = 0; i < n; i++) {
        out[2 * i] = hx[in[i] >> 4];
        out[2 * i + 1] = hx[in[i] & 15];
    }
    out[2 * n] = '\0';
}
