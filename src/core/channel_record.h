/*
 * channel_record.h: an upstream channel as the database keeps it (the admin
 * commands write it, the server turns it into a gateway channel).
 */
#ifndef MG_CORE_CHANNEL_RECORD_H
#define MG_CORE_CHANNEL_RECORD_H

#include <stddef.h>
#include <stdint.h>
#include "core/region.h"

/* An upstream channel.  The upstream key itself is never stored in plaintext:
 * key_ref is "env:NAME", "file:/path", or "db" (then key_enc holds it,
 * encrypted with the server secret by the caller). */
struct mg_channel_record {
    int64_t id;
    char name[64];
    enum mg_region region;
    char base_url[512];
    char key_ref[512];
    uint8_t key_enc[512];
    size_t key_enc_len;
    int weight;
    char models[1024];           /* comma-separated; "" = any model */
    int enabled;
    char proxy[512];             /* a config channel's proxy setting (not stored: "" for database channels) */
};

#endif
