/*
 * pricebook.h: the price table the gateway prices with, replaced while it
 * runs (an admin changed a price or a ratio) without a lock on the request
 * path and without freeing a table a request still prices with.
 *
 * A request pins the current table when it is admitted and unpins it when
 * it is gone; what it is billed is priced by the table it was admitted
 * with.  Pinning is a hazard pointer (the reader announces the current
 * version in its slot, then checks it is still the current one, and only then
 * reads it) followed by a count in
 * the reader's own slot of the table, so readers never write a cache line
 * another thread writes.  A replaced table is freed once no slot announces
 * it and every slot's count is zero (checked at each publish and by
 * mg_pricebook_collect).
 *
 * Slots: each reading thread takes one on its first pin (at most
 * MG_PRICEBOOK_SLOTS threads read; a thread past that is refused at once:
 * NULL, the caller answers 503).
 */
#ifndef MG_BILLING_PRICEBOOK_H
#define MG_BILLING_PRICEBOOK_H

#include "billing/prices.h"

#include <stddef.h>

#define MG_PRICEBOOK_SLOTS 512      /* reading threads: loop threads of every gateway in the process */
#define MG_PRICEBOOK_RETIRED_MAX 64 /* replaced tables still pinned by requests; a publish past it is refused */

struct mg_pricebook;

/* Takes ownership of the first table. */
struct mg_pricebook *mg_pricebook_new(struct mg_price_table *t);
/* Frees every table; no reader may pin or hold one. */
void mg_pricebook_free(struct mg_pricebook *b);

/* A request's hold on one table. */
struct mg_price_pin {
    const struct mg_price_table *t; /* NULL = nothing held */
    void *version;
    int slot;
};

/* Pins the current table for the caller's thread into *p (p->t); MG_OK, or
 * MG_ERR when the thread has no slot (p->t NULL). */
int mg_pricebook_pin(struct mg_pricebook *b, struct mg_price_pin *p);
/* Gives the pin back (any thread; idempotent; a zeroed pin is fine). */
void mg_pricebook_unpin(struct mg_price_pin *p);

/* Makes t (owned from now on) the current table; the one it replaces is
 * freed when no request holds it.  MG_OK, or MG_AGAIN (t freed) when
 * MG_PRICEBOOK_RETIRED_MAX replaced tables are still held. */
int mg_pricebook_publish(struct mg_pricebook *b, struct mg_price_table *t);
/* Frees the replaced tables nobody holds now; returns how many are left. */
size_t mg_pricebook_collect(struct mg_pricebook *b);

#endif
