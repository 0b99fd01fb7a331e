/*
 * h_payment_methods.c: how the signed-in account pays (BL-7): its billing
 * mode and terms, and the ways to pay every payment provider offers (the
 * manual provider: a bank transfer or ACH to the operator's account on file,
 * [billing] bank_details), with prepaid credit beside them (redeem a code,
 * or a top-up the operator records).
 */
#include "billing/payments.h"
#include "core/mg.h"
#include "platform/pf.h"

void pf_h_payment_methods(struct pf_call *c)
{
    struct mg_pay_method m[MG_PAY_METHODS_MAX];
    json_t *o = json_object(), *arr = json_array();
    for (const struct mg_payment_provider *const *p = mg_payment_providers(); *p != NULL; p++) {
        size_t n = (*p)->methods(&c->pf->cfg.billing, m);
        for (size_t i = 0; i < n; i++)
            json_array_append_new(arr, json_pack("{s:s, s:s, s:s, s:s}", "provider", (*p)->name, "kind", m[i].kind,
                                                 "details", m[i].details, "instructions", m[i].instructions));
    }
    int invoice = c->acct.invoice_billing != 0;
    json_object_set_new(o, "billing_mode", json_string(invoice ? "invoice" : "prepaid"));
    json_object_set_new(o, "terms", json_string(invoice ? "net 30" : "due on receipt"));
    json_object_set_new(o, "currency", json_string(c->pf->cfg.billing.currency[0] ? c->pf->cfg.billing.currency : "USD"));
    json_object_set_new(o, "methods", arr);
    json_object_set_new(o, "wallet_only", json_boolean(c->acct.wallet_only));
    json_object_set_new(o, "prepaid_credit", json_string("Redeem a code (POST /platform/v1/billing/redeem) or ask the "
                                                         "operator for a top-up; the wallet pays invoices first."));
    pf_reply(c, 200, o);
}
