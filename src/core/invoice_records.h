/*
 * invoice_records.h: invoices, their lines and payments (BL-6, BL-7) as the
 * store keeps them.  The billing layer owns their meaning (billing/close.h,
 * billing/payments.h); money is integer micro-units, times Unix ms.
 */
#ifndef MG_CORE_INVOICE_RECORDS_H
#define MG_CORE_INVOICE_RECORDS_H

#include <stdint.h>

/* Matches billing/invoice_pdf.h's enum mg_invoice_status. */
enum mg_invoice_state { MG_INV_OPEN = 0, MG_INV_PAID = 1, MG_INV_VOID = 2 };

struct mg_invoice_record {
    int64_t id, account_id;
    int64_t period;          /* months since January 1970 (billing/spendword.h) */
    char number[32];         /* "MG-2026-11-000042" */
    enum mg_invoice_state status;
    char currency[4];        /* "USD" */
    int64_t subtotal_micros; /* = the sum of the lines = the sum of the period's usage events */
    int64_t credits_micros;
    int64_t total_micros;    /* subtotal - credits */
    int64_t total_cents;     /* the printed total due (mg_invoice_cents_of): what payments must cover */
    int64_t issued_ms;
    int64_t due_ms;          /* 0 = due on receipt */
    int64_t paid_micros;     /* the sum of its payments */
    int64_t reminder_sent_ms; /* 0 = none sent */
    int64_t n_lines;
};

/* One line: the period's usage events of one service and model, summed. */
struct mg_invoice_line_record {
    int64_t id, invoice_id;
    char service[16];
    char model[96];
    char units[160];         /* "1,234 input tokens, 56 output tokens" */
    int64_t requests, input_tokens, output_tokens, cached_tokens, characters, images, videos, tracks, voices;
    int64_t amount_micros;
    int64_t video_seconds;   /* a line of videos is one length and resolution (their price's) */
    char video_res[8];
};

struct mg_payment_record {
    int64_t id, invoice_id;
    int64_t amount_micros;
    char reference[128];
    char provider[16];       /* "manual" */
    int64_t recorded_by;     /* the admin's account id (0 = an operator command) */
    int64_t created_ms;
};

#endif
