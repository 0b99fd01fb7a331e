/*
 * payments.h: collecting invoices (BL-7) through a provider interface.  A
 * provider is a table of function pointers; the first and only one today is
 * "manual": bank transfer / ACH details on file (the [billing] section), and
 * an admin records each payment received against its invoice.  A card
 * processor would be another table behind the same interface.
 *
 * The rule every provider keeps: payments add up (partial payments are
 * fine); the invoice becomes paid exactly when they cover its PRINTED total
 * (billing/invoice_pdf.h mg_invoice_cents_of, stored as total_cents); a
 * payment that would take the sum beyond it is refused; only an open invoice
 * takes payments.  Blocks on the database: worker threads only.
 */
#ifndef MG_BILLING_PAYMENTS_H
#define MG_BILLING_PAYMENTS_H

#include <stddef.h>
#include <stdint.h>
#include "billing/close.h"
#include "core/invoice_records.h"
#include "store/store.h"

#define MG_PAYMENT_REFERENCE_MAX 120 /* bytes of a payment's reference (bank reference, cheque number) */

enum mg_pay_verdict {
    MG_PAY_OK = 0,      /* recorded; the invoice stays open */
    MG_PAY_SETTLED,     /* recorded; the invoice is now paid */
    MG_PAY_OVER,        /* refused: the payments would exceed the printed total */
    MG_PAY_NOT_OPEN,    /* refused: the invoice is paid or void */
    MG_PAY_BAD_AMOUNT,  /* refused: amount <= 0 */
    MG_PAY_TOO_MANY,    /* refused: MG_PAYMENTS_PER_INVOICE reached */
    MG_PAY_NO_INVOICE,  /* no such invoice */
    MG_PAY_STORE_ERROR, /* the database failed (logged) */
};

/* The amount payments must cover, in micros: the printed total. */
static inline int64_t mg_invoice_due_micros(const struct mg_invoice_record *inv)
{
    return inv->total_cents * 10000;
}

/* The pure decision for amount_micros against inv (MG_PAY_OK, _SETTLED, _OVER, _NOT_OPEN, _BAD_AMOUNT). */
enum mg_pay_verdict mg_payment_check(const struct mg_invoice_record *inv, int64_t amount_micros);

/* One way a customer can pay, as the console and the CLI show it. */
struct mg_pay_method {
    const char *kind;         /* "bank_transfer" */
    const char *details;      /* the operator's details (IBAN, BIC, ACH routing...) */
    const char *instructions; /* what the customer does, in a sentence */
};

#define MG_PAY_METHODS_MAX 4 /* ways to pay one provider offers */

struct mg_payment_provider {
    const char *name; /* "manual" */
    /* The ways to pay this provider offers with cfg (at most MG_PAY_METHODS_MAX; its strings live as
     * long as cfg); how many. */
    size_t (*methods)(const struct mg_billing_config *cfg, struct mg_pay_method *out);
    /* Records p (invoice_id, amount_micros, reference, recorded_by, created_ms set by the caller) in one
     * transaction: the check above, the payment row, the invoice's paid sum and, when covered, its
     * status.  *inv gets the invoice as it is afterwards (when it exists). */
    enum mg_pay_verdict (*record)(struct mg_store *s, struct mg_payment_record *p, struct mg_invoice_record *inv);
};

/* The provider called name, or NULL. */
const struct mg_payment_provider *mg_payment_provider(const char *name);
/* Every provider, NULL-terminated (the ways to pay are theirs together). */
const struct mg_payment_provider *const *mg_payment_providers(void);

/* A sentence for a refusal verdict (for error messages). */
const char *mg_pay_verdict_text(enum mg_pay_verdict v);

#endif
