/*
 * payments.c: the payment rule and the "manual" provider (payments.h).
 */
#include "billing/payments.h"
#include "core/mg.h"

#include <string.h>

enum mg_pay_verdict mg_payment_check(const struct mg_invoice_record *inv, int64_t amount_micros)
{
    if (inv->status != MG_INV_OPEN)
        return MG_PAY_NOT_OPEN;
    if (amount_micros <= 0)
        return MG_PAY_BAD_AMOUNT;
    int64_t due = mg_invoice_due_micros(inv), left = due - inv->paid_micros;
    if (amount_micros > left)
        return MG_PAY_OVER;
    return amount_micros == left ? MG_PAY_SETTLED : MG_PAY_OK;
}

const char *mg_pay_verdict_text(enum mg_pay_verdict v)
{
    switch (v) {
    case MG_PAY_OVER: return "The payment is more than the invoice's open amount; record at most what is still due.";
    case MG_PAY_NOT_OPEN: return "Only an open invoice takes payments; this one is paid or void.";
    case MG_PAY_BAD_AMOUNT: return "amount_micros must be a positive number of micro-units.";
    case MG_PAY_TOO_MANY: return "This invoice has as many payments as one invoice may hold (1000).";
    case MG_PAY_NO_INVOICE: return "There is no such invoice.";
    default: return "";
    }
}

struct manual_tx {
    struct mg_payment_record *p;
    struct mg_invoice_record *inv;
    enum mg_pay_verdict verdict;
};

static enum mg_tx manual_tx(struct mg_store *s, void *arg)
{
    struct manual_tx *m = arg;
    int rc = s->ops->invoice_get(s, m->p->invoice_id, m->inv);
    if (rc != MG_OK) {
        m->verdict = rc == MG_DECLINED ? MG_PAY_NO_INVOICE : MG_PAY_STORE_ERROR;
        return rc == MG_AGAIN ? MG_TX_RETRY : rc == MG_DECLINED ? MG_TX_NO : MG_TX_HARD;
    }
    m->verdict = mg_payment_check(m->inv, m->p->amount_micros);
    if (m->verdict != MG_PAY_OK && m->verdict != MG_PAY_SETTLED)
        return MG_TX_NO;
    mg_strlcpy(m->p->provider, "manual", sizeof(m->p->provider));
    rc = s->ops->payment_insert(s, m->p);
    if (rc == MG_DECLINED) {
        m->verdict = MG_PAY_TOO_MANY;
        return MG_TX_NO;
    }
    if (rc == MG_OK && m->verdict == MG_PAY_SETTLED)
        rc = s->ops->invoice_set_status(s, m->inv->id, MG_INV_PAID);
    if (rc != MG_OK) {
        m->verdict = MG_PAY_STORE_ERROR;
        return rc == MG_AGAIN ? MG_TX_RETRY : MG_TX_HARD;
    }
    m->inv->paid_micros += m->p->amount_micros;
    if (m->verdict == MG_PAY_SETTLED)
        m->inv->status = MG_INV_PAID;
    return MG_TX_OK;
}

static enum mg_pay_verdict manual_record(struct mg_store *s, struct mg_payment_record *p,
                                         struct mg_invoice_record *inv)
{
    struct manual_tx m = {p, inv, MG_PAY_STORE_ERROR};
    int rc = s->ops->run_tx(s, "payment record", manual_tx, &m);
    if (rc == MG_ERR)
        return MG_PAY_STORE_ERROR;
    return m.verdict;
}

/* Bank transfer (or ACH) to the operator's account on file, the invoice number as the reference. */
static size_t manual_methods(const struct mg_billing_config *cfg, struct mg_pay_method *out)
{
    if (cfg->bank_details[0] == '\0')
        return 0;
    out[0].kind = "bank_transfer";
    out[0].details = cfg->bank_details;
    out[0].instructions = "Transfer the invoice's total to this account with the invoice number as the reference; "
                          "the payment is recorded against the invoice when it arrives.";
    return 1;
}

static const struct mg_payment_provider manual = {"manual", manual_methods, manual_record};

const struct mg_payment_provider *mg_payment_provider(const char *name)
{
    return name != NULL && strcmp(name, "manual") == 0 ? &manual : NULL;
}

const struct mg_payment_provider *const *mg_payment_providers(void)
{
    static const struct mg_payment_provider *const all[] = {&manual, NULL};
    return all;
}
