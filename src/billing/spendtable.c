/* spendtable.c: month spend and holds per spender (see spendtable.h). */
#include "billing/spendtable.h"
#include "billing/spendword.h"
#include "core/clock.h"
#include "core/log.h"
#include "core/mg.h"
#include "core/service.h"

#include <stdlib.h>

struct spend {
    _Atomic int64_t account_id; /* the spender (spendtable.h); 0 = empty; set once by CAS */
    _Atomic uint64_t word[2];   /* month << 48 | micros spent, by the month's parity: the last month stays
                                 * readable through this one (a wallet's usage not yet invoiced) */
    _Atomic uint64_t held;      /* month << 48 | micros spent + reserved */
};

struct mg_spend_table {
    struct spend slot[MG_SPEND_SLOTS];
};

struct mg_spend_table *mg_spend_table_new(void) { return mg_calloc(1, sizeof(struct mg_spend_table)); }

void mg_spend_table_free(struct mg_spend_table *t) { free(t); }

static struct spend *spend_slot(struct mg_spend_table *t, int64_t account_id, int create)
{
    size_t h = (size_t)account_id * 2654435761u;
    for (size_t i = 0; i < MG_SPEND_SLOTS; i++) {
        struct spend *s = &t->slot[(h + i) % MG_SPEND_SLOTS];
        int64_t id = atomic_load_explicit(&s->account_id, memory_order_acquire);
        if (id == account_id)
            return s;
        if (id == 0) {
            if (!create)
                return NULL;
            int64_t zero = 0;
            if (atomic_compare_exchange_strong(&s->account_id, &zero, account_id) || zero == account_id)
                return s;
        }
    }
    return NULL;
}

static void full_warning(int64_t spender)
{
    mg_log(MG_LOG_WARN, "usage meter: more than %d accounts and keys with spend; the cap of %s %lld is not enforced",
           MG_SPEND_SLOTS, spender < 0 ? "key" : "account", (long long)(spender < 0 ? -spender : spender));
}

/* A newer month starts from zero; an older one is not added.  `hold` (of
 * `hold_month`) is a reservation this event settles: it leaves `held` in the
 * same CAS that adds the cost when both are of one month. */
static void add_spend(struct mg_spend_table *t, int64_t account_id, int64_t month, int64_t micros, int64_t hold_month,
                      int64_t hold)
{
    struct spend *s = spend_slot(t, account_id, 1);
    if (s == NULL) {
        full_warning(account_id);
        return;
    }
    int64_t add = micros > 0 ? micros : 0;
    mg_spendword_add(&s->word[month & 1], month, add);
    if (hold > 0 && hold_month == month) {
        mg_spendword_add(&s->held, month, add - hold);
        return;
    }
    mg_spendword_add(&s->held, month, add);
    if (hold > 0)
        mg_spendword_add(&s->held, hold_month, -hold); /* dropped if that month is over */
}

/* The spender of ev's service family; 0 for a name that is none. */
static int64_t service_spender(int64_t account_id, const char *service)
{
    enum mg_service svc;
    return mg_service_parse(service, &svc) == MG_OK ? mg_meter_service_spender(account_id, (int)svc) : 0;
}

void mg_spend_add_usage(struct mg_spend_table *t, int64_t account_id, int64_t key_id, const char *service,
                        int64_t month, int64_t micros, const struct mg_meter_hold *acct,
                        const struct mg_meter_hold *key)
{
    int64_t sv = service_spender(account_id, service);
    add_spend(t, account_id, month, micros, acct ? acct->month : 0, acct ? acct->micros : 0);
    if (key_id > 0)
        add_spend(t, mg_meter_key_spender(key_id), month, micros, key ? key->month : 0, key ? key->micros : 0);
    if (sv != 0 && micros > 0)
        add_spend(t, sv, month, micros, 0, 0);
}

int64_t mg_spend_get(struct mg_spend_table *t, int64_t spender)
{
    return mg_spend_get_month(t, spender, mg_month_of(mg_now_ms()));
}

int64_t mg_spend_get_month(struct mg_spend_table *t, int64_t spender, int64_t month)
{
    struct spend *s = spend_slot(t, spender, 0);
    if (s == NULL || month < 0)
        return 0;
    uint64_t w = atomic_load_explicit(&s->word[month & 1], memory_order_relaxed);
    if (w == 0 || (int64_t)(w >> MG_SPENDWORD_MICROS_BITS) != month)
        return 0;
    return (int64_t)(w & MG_SPENDWORD_MICROS_MAX);
}

_Atomic uint64_t *mg_spend_held(struct mg_spend_table *t, int64_t spender)
{
    struct spend *s = spend_slot(t, spender, 1);
    if (s == NULL) {
        full_warning(spender);
        return NULL;
    }
    return &s->held;
}
