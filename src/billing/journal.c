/*
 * journal.c: usage journal segments (layout and contract in journal.h).
 *
 * The producer writes a record's payload and checksum, then its length word
 * (a release store), then publishes it by advancing seg->head.  A process
 * killed at any point leaves either a complete record or a slot whose length
 * is 0 or whose checksum fails, so a replay never reads half an event.
 */
#include "billing/journal.h"
#include "core/log.h"
#include "core/mg.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>
#include <zlib.h>

#define MAGIC "MGJRNL1"
#define BYTE_ORDER_MARK 0x0102030405060708ull
#define REC_HDR 8 /* u32 length, u32 crc */
#define PAYLOAD_MAX (MG_JOURNAL_SLOT - REC_HDR)
#define REC_ESTIMATED 1u  /* flags word, after http_status: the event's units are an estimate */
#define REC_CHECKPOINT 2u /* ... the record is an open stream's checkpoint, not an event */
#define TAIL_MIN 17 /* latency_ms, video_seconds, the resolution's length byte */
#define TAIL_MAX (TAIL_MIN + sizeof(((struct mg_usage_event *)0)->video_res) - 1)
#define PAGE_BYTES 4096 /* the smallest page size; touching more often is harmless */

struct seg_hdr {
    char magic[8];
    uint64_t byte_order;
    uint32_t slot_size;
    uint32_t reserved;
    uint64_t cap;
    uint64_t seq;
    uint64_t committed; /* consumer: atomic stores */
};

/* The event's fields, in record order: a table, so encode and decode
 * cannot disagree. */
#define STR(f) {offsetof(struct mg_usage_event, f), sizeof(((struct mg_usage_event *)0)->f)}
#define I64(f) offsetof(struct mg_usage_event, f)
static const struct {
    size_t off, cap;
} str_fields[] = {STR(request_id), STR(key_public_id), STR(model), STR(service), STR(route)};
static const size_t i64_fields[] = {I64(ts_ms),         I64(account_id),    I64(key_id), I64(input_tokens),
                                    I64(output_tokens), I64(cached_tokens), I64(characters), I64(images),
                                    I64(videos),        I64(tracks),        I64(voices), I64(cost_micros)};
#undef STR
#undef I64

/* Largest payload: every string at its capacity - 1 plus its length byte. */
_Static_assert(sizeof(((struct mg_usage_event *)0)->request_id) + sizeof(((struct mg_usage_event *)0)->key_public_id) +
                       sizeof(((struct mg_usage_event *)0)->model) + sizeof(((struct mg_usage_event *)0)->service) +
                       sizeof(((struct mg_usage_event *)0)->route) + 12 * 8 + 4 + 4 + TAIL_MAX <=
                   PAYLOAD_MAX,
               "a usage event must fit one journal slot");
_Static_assert(sizeof(struct seg_hdr) <= MG_JOURNAL_SLOT, "segment header fits slot 0");

static uint8_t *slot(const struct mg_journal_seg *seg, size_t i) { return seg->base + (i + 1) * MG_JOURNAL_SLOT; }

static size_t encode(uint8_t *p, const struct mg_usage_event *ev)
{
    uint8_t *start = p;
    const char *base = (const char *)ev;
    for (size_t i = 0; i < MG_ARRAY_SIZE(str_fields); i++) {
        const char *s = base + str_fields[i].off;
        size_t n = strnlen(s, str_fields[i].cap - 1);
        *p++ = (uint8_t)n;
        memcpy(p, s, n);
        p += n;
    }
    for (size_t i = 0; i < MG_ARRAY_SIZE(i64_fields); i++) {
        memcpy(p, base + i64_fields[i], 8);
        p += 8;
    }
    int32_t st = ev->http_status;
    memcpy(p, &st, 4);
    p += 4;
    uint32_t flags = (ev->estimated ? REC_ESTIMATED : 0) | (ev->checkpoint ? REC_CHECKPOINT : 0);
    memcpy(p, &flags, 4);
    p += 4;
    /* the tail (records since migration 0010): latency, a video's seconds and resolution */
    memcpy(p, &ev->latency_ms, 8);
    memcpy(p + 8, &ev->video_seconds, 8);
    p += 16;
    size_t n = strnlen(ev->video_res, sizeof(ev->video_res) - 1);
    *p++ = (uint8_t)n;
    memcpy(p, ev->video_res, n);
    return (size_t)(p + n - start);
}

static int decode(const uint8_t *p, size_t len, struct mg_usage_event *ev)
{
    const uint8_t *end = p + len;
    char *base = (char *)ev;
    memset(ev, 0, sizeof(*ev));
    for (size_t i = 0; i < MG_ARRAY_SIZE(str_fields); i++) {
        if (p >= end || *p >= str_fields[i].cap || (size_t)(end - p - 1) < *p)
            return MG_DECLINED;
        memcpy(base + str_fields[i].off, p + 1, *p);
        p += 1 + *p;
    }
    size_t rest = (size_t)(end - p), fixed = MG_ARRAY_SIZE(i64_fields) * 8 + 4;
    /* three forms: before the flags word, before the tail, with the tail */
    if (rest != fixed && rest != fixed + 4 && (rest < fixed + 4 + TAIL_MIN || rest > fixed + 4 + TAIL_MAX))
        return MG_DECLINED;
    for (size_t i = 0; i < MG_ARRAY_SIZE(i64_fields); i++) {
        memcpy(base + i64_fields[i], p, 8);
        p += 8;
    }
    int32_t st;
    memcpy(&st, p, 4);
    ev->http_status = st;
    if (rest >= fixed + 4) {
        uint32_t flags;
        memcpy(&flags, p + 4, 4);
        ev->estimated = (flags & REC_ESTIMATED) != 0;
        ev->checkpoint = (flags & REC_CHECKPOINT) != 0;
    }
    if (rest >= fixed + 4 + TAIL_MIN) {
        const uint8_t *t = p + 8;
        memcpy(&ev->latency_ms, t, 8);
        memcpy(&ev->video_seconds, t + 8, 8);
        if ((size_t)(end - t - TAIL_MIN) != t[16] || t[16] >= sizeof(ev->video_res))
            return MG_DECLINED;
        memcpy(ev->video_res, t + TAIL_MIN, t[16]);
    }
    return ev->request_id[0] ? MG_OK : MG_DECLINED;
}

static uint32_t checksum(uint32_t len, const uint8_t *payload)
{
    uLong c = crc32(0L, (const Bytef *)&len, sizeof(len));
    return (uint32_t)crc32(c, (const Bytef *)payload, (uInt)len);
}

struct mg_journal_seg *mg_journal_seg_create(const char *dir, uint64_t seq, size_t cap, char *err, size_t errlen)
{
    struct mg_journal_seg *seg = mg_calloc(1, sizeof(*seg));
    char tmp[sizeof(seg->path) + 4];
    size_t size = (cap + 1) * MG_JOURNAL_SLOT;
    int fd = -1, rc;
    seg->cap = cap;
    seg->seq = seq;
    if ((size_t)snprintf(seg->path, sizeof(seg->path), "%s/%016llx.jnl", dir, (unsigned long long)seq) >=
        sizeof(seg->path)) {
        snprintf(err, errlen, "the journal directory's path is too long: %s", dir);
        goto fail;
    }
    snprintf(tmp, sizeof(tmp), "%s.tmp", seg->path);
    if ((fd = open(tmp, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600)) < 0) {
        snprintf(err, errlen, "cannot create %s: %s", tmp, strerror(errno));
        goto fail;
    }
    if (fchmod(fd, 0600) != 0) { /* exactly the owner's, whatever the umask took away */
        snprintf(err, errlen, "cannot make %s private (mode 0600): %s", tmp, strerror(errno));
        goto fail;
    }
    if ((rc = posix_fallocate(fd, 0, (off_t)size)) != 0) {
        snprintf(err, errlen, "cannot allocate %zu bytes for %s: %s", size, tmp, strerror(rc));
        goto fail;
    }
    seg->base = mmap(NULL, size, PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
    if (seg->base == MAP_FAILED) {
        seg->base = NULL;
        snprintf(err, errlen, "cannot map %s: %s", tmp, strerror(errno));
        goto fail;
    }
    /* Take each page's first write fault here (the file system's
     * page_mkwrite, a few µs) rather than on the thread that records. */
    for (size_t off = 0; off < size; off += PAGE_BYTES)
        ((volatile uint8_t *)seg->base)[off] = 0;
    struct seg_hdr *h = (struct seg_hdr *)seg->base;
    memcpy(h->magic, MAGIC, sizeof(h->magic));
    h->byte_order = BYTE_ORDER_MARK;
    h->slot_size = MG_JOURNAL_SLOT;
    h->cap = cap;
    h->seq = seq;
    if (rename(tmp, seg->path) != 0) {
        snprintf(err, errlen, "cannot rename %s: %s", tmp, strerror(errno));
        goto fail;
    }
    close(fd);
    return seg;
fail:
    if (fd >= 0) {
        close(fd);
        unlink(tmp);
    }
    if (seg->base)
        munmap(seg->base, size);
    free(seg);
    return NULL;
}

int mg_journal_seg_append(struct mg_journal_seg *seg, const struct mg_usage_event *ev)
{
    size_t i = atomic_load_explicit(&seg->head, memory_order_relaxed); /* we are its only writer */
    if (i == seg->cap)
        return MG_AGAIN;
    uint8_t *p = slot(seg, i);
    uint32_t len = (uint32_t)encode(p + REC_HDR, ev);
    uint32_t crc = checksum(len, p + REC_HDR);
    memcpy(p + 4, &crc, 4);
    __atomic_store_n((uint32_t *)p, len, __ATOMIC_RELEASE); /* the slot is 512-aligned */
    atomic_store_explicit(&seg->head, i + 1, memory_order_release);
    return MG_OK;
}

void mg_journal_seg_read(const struct mg_journal_seg *seg, size_t i, struct mg_usage_event *ev)
{
    const uint8_t *p = slot(seg, i);
    uint32_t len;
    memcpy(&len, p, 4);
    /* Our own process wrote it a moment ago: a failure is a bug. */
    int rc = decode(p + REC_HDR, len, ev);
    if (rc != MG_OK)
        mg_log(MG_LOG_ERROR, "usage journal: cannot decode record %zu of %s", i, seg->path);
}

void mg_journal_seg_mark_committed(struct mg_journal_seg *seg, size_t n)
{
    struct seg_hdr *h = (struct seg_hdr *)seg->base;
    __atomic_store_n(&h->committed, (uint64_t)n, __ATOMIC_RELEASE);
}

void mg_journal_seg_free(struct mg_journal_seg *seg, int unlink_file)
{
    if (seg == NULL)
        return;
    munmap(seg->base, (seg->cap + 1) * MG_JOURNAL_SLOT);
    if (unlink_file && unlink(seg->path) != 0)
        mg_log(MG_LOG_WARN, "usage journal: cannot delete %s: %s", seg->path, strerror(errno));
    free(seg);
}

static int has_suffix(const char *s, const char *suffix)
{
    size_t n = strlen(s), k = strlen(suffix);
    return n > k && strcmp(s + n - k, suffix) == 0;
}

static int replay_file(const char *path, mg_journal_event_cb cb, void *arg, struct mg_journal_replay_stats *st)
{
    int fd = open(path, O_RDONLY | O_CLOEXEC);
    struct stat sb;
    int rc = MG_OK;
    if (fd < 0 || fstat(fd, &sb) != 0 || (size_t)sb.st_size < MG_JOURNAL_SLOT) {
        mg_log(MG_LOG_ERROR, "usage journal: cannot read %s: %s", path, fd < 0 ? strerror(errno) : "too short");
        if (fd >= 0)
            close(fd);
        return MG_ERR;
    }
    size_t size = (size_t)sb.st_size;
    uint8_t *base = mmap(NULL, size, PROT_READ, MAP_SHARED, fd, 0);
    close(fd);
    if (base == MAP_FAILED) {
        mg_log(MG_LOG_ERROR, "usage journal: cannot map %s: %s", path, strerror(errno));
        return MG_ERR;
    }
    const struct seg_hdr *h = (const struct seg_hdr *)base;
    if (memcmp(h->magic, MAGIC, sizeof(h->magic)) != 0 || h->byte_order != BYTE_ORDER_MARK ||
        h->slot_size != MG_JOURNAL_SLOT || h->cap > size / MG_JOURNAL_SLOT - 1) {
        mg_log(MG_LOG_ERROR, "usage journal: %s is not a journal segment of this version", path);
        munmap(base, size);
        return MG_ERR;
    }
    st->segments++;
    st->max_seq = MG_MAX(st->max_seq, h->seq);
    for (size_t i = (size_t)MG_MIN(h->committed, h->cap); i < h->cap && rc == MG_OK; i++) {
        const uint8_t *p = base + (i + 1) * MG_JOURNAL_SLOT;
        uint32_t len, crc;
        struct mg_usage_event ev;
        memcpy(&len, p, 4);
        memcpy(&crc, p + 4, 4);
        if (len == 0)
            continue; /* never written */
        if (len > PAYLOAD_MAX || crc != checksum(len, p + REC_HDR) || decode(p + REC_HDR, len, &ev) != MG_OK) {
            st->torn++;
            continue;
        }
        st->events++;
        rc = cb(arg, &ev);
    }
    munmap(base, size);
    return rc;
}

int mg_journal_replay(const char *dir, mg_journal_event_cb cb, void *arg, struct mg_journal_replay_stats *st)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    int rc = MG_OK;
    memset(st, 0, sizeof(*st));
    if (d == NULL) {
        mg_log(MG_LOG_ERROR, "usage journal: cannot open directory %s: %s", dir, strerror(errno));
        return MG_ERR;
    }
    while (rc == MG_OK && (e = readdir(d)) != NULL) {
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (has_suffix(e->d_name, ".jnl.tmp"))
            unlink(path); /* a crash while creating it: it holds no record */
        else if (has_suffix(e->d_name, ".jnl"))
            rc = replay_file(path, cb, arg, st);
    }
    closedir(d);
    return rc;
}

int mg_journal_remove_all(const char *dir)
{
    DIR *d = opendir(dir);
    struct dirent *e;
    char path[1024];
    int rc = MG_OK;
    if (d == NULL)
        return MG_ERR;
    while ((e = readdir(d)) != NULL) {
        if (!has_suffix(e->d_name, ".jnl") && !has_suffix(e->d_name, ".jnl.tmp"))
            continue;
        snprintf(path, sizeof(path), "%s/%s", dir, e->d_name);
        if (unlink(path) != 0) {
            mg_log(MG_LOG_WARN, "usage journal: cannot delete %s: %s", path, strerror(errno));
            rc = MG_ERR;
        }
    }
    closedir(d);
    return rc;
}
