/* cmd_billing.c: `maxgate billing invoices`, `maxgate billing invoice ID
 * [--pdf FILE]`, `maxgate billing wallet` and `maxgate billing redeem CODE`:
 * the signed-in account's invoices and wallet (docs/cli.md). */
#include "cli/cli.h"
#include "core/mg.h"
#include "core/money.h"

#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static const struct mg_cli_col invoice_cols[] = {
    {"ID", "id", 6},          {"NUMBER", "number", 19},   {"PERIOD", "period", 8}, {"STATUS", "status", 6},
    {"CUR", "currency", 4},   {"TOTAL", "total_text", 14}, {"DUE", "balance_text", 14}, {"DUE AT", "due_at", 0},
};

static const struct mg_cli_col invoice_fields[] = {
    {"id", "id", 16},          {"number", "number", 16},         {"period", "period", 16},
    {"status", "status", 16},  {"currency", "currency", 16},     {"total", "total_text", 16},
    {"paid", "paid_text", 16}, {"still due", "balance_text", 16}, {"issued", "issued_at", 16},
    {"due", "due_at", 16},
};

/* Adds the money members as text ("12.34") beside their micros, for the text tables. */
static void money_texts(json_t *inv)
{
    const char *from[] = {"amount_due_micros", "paid_micros", "balance_micros"};
    const char *to[] = {"total_text", "paid_text", "balance_text"};
    for (size_t i = 0; i < MG_ARRAY_SIZE(from); i++) {
        char buf[40];
        mg_money_format(json_integer_value(json_object_get(inv, from[i])), buf, sizeof(buf));
        json_object_set_new(inv, to[i], json_string(buf));
    }
    if (json_is_null(json_object_get(inv, "due_at")))
        json_object_set_new(inv, "due_at", json_string("on receipt"));
}

static int invoices_list(struct mg_cli *cli)
{
    json_t *doc, *v;
    size_t i;
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", "/invoices", NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        json_t *rows = json_object_get(doc, "invoices");
        json_array_foreach(rows, i, v) money_texts(v);
        mg_cli_table(stdout, rows, invoice_cols, MG_ARRAY_SIZE(invoice_cols),
                     "no invoices yet; the first is issued after the end of the first month with usage");
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

/* Writes the PDF bytes to file ("-" = stdout); MG_EXIT_OK or MG_EXIT_API after saying why. */
static int write_pdf(struct mg_cli *cli, const char *file, const char *data, size_t len)
{
    int fd = strcmp(file, "-") == 0 ? STDOUT_FILENO : open(file, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
    size_t off = 0;
    if (fd < 0)
        return mg_cli_fail(cli, MG_EXIT_API, "cannot write %s: %s", file, strerror(errno));
    while (off < len) {
        ssize_t w = write(fd, data + off, len - off);
        if (w < 0 && errno == EINTR)
            continue;
        if (w <= 0) {
            int e = errno;
            if (fd != STDOUT_FILENO)
                close(fd);
            return mg_cli_fail(cli, MG_EXIT_API, "cannot write %s: %s", file, strerror(e));
        }
        off += (size_t)w;
    }
    if (fd != STDOUT_FILENO && close(fd) != 0)
        return mg_cli_fail(cli, MG_EXIT_API, "cannot write %s: %s", file, strerror(errno));
    return MG_EXIT_OK;
}

static int download_pdf(struct mg_cli *cli, int64_t id, const char *file)
{
    struct mg_http_result res;
    char path[128];
    snprintf(path, sizeof(path), "/platform/v1/invoices/%lld/pdf", (long long)id);
    mg_cli_request(cli, "GET", path, NULL, &res);
    if (res.curl_code == 0 && res.status == 200 && strncmp(res.content_type, "application/pdf", 15) == 0) {
        int rc = write_pdf(cli, file, res.body, res.len);
        if (rc == MG_EXIT_OK && strcmp(file, "-") != 0)
            fprintf(stderr, "wrote %s (%zu bytes)\n", file, res.len);
        mg_cli_result_free(&res);
        return rc;
    }
    if (res.curl_code != 0) {
        int rc = mg_cli_check(cli, &res, NULL);
        mg_cli_result_free(&res);
        return rc;
    }
    json_t *doc = res.len ? json_loadb(res.body, res.len, 0, NULL) : NULL;
    long status = res.status;
    mg_cli_result_free(&res);
    int exit = mg_cli_platform_exit(status, mg_cli_platform_code(doc));
    if (exit == MG_EXIT_OK)
        exit = MG_EXIT_API; /* a 2xx that is not a PDF */
    return mg_cli_platform_report(cli, exit, status, doc);
}

static int invoice_show(struct mg_cli *cli)
{
    int64_t id;
    char path[64];
    json_t *doc, *l;
    size_t i;
    int rc;
    if ((rc = mg_cli_id_arg(cli, "invoice", &id)) != MG_EXIT_OK ||
        (rc = mg_cli_check_opts(cli, "pdf", "")) != MG_EXIT_OK || (rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    const char *pdf = mg_cli_opt(cli, "pdf");
    if (pdf != NULL)
        return pdf[0] ? download_pdf(cli, id, pdf) : mg_cli_fail(cli, MG_EXIT_USAGE, "--pdf needs a file name (or -)");
    snprintf(path, sizeof(path), "/invoices/%lld", (long long)id);
    if ((rc = mg_cli_platform_call(cli, "GET", path, NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        money_texts(doc);
        mg_cli_fields(stdout, doc, invoice_fields, MG_ARRAY_SIZE(invoice_fields));
        printf("\nlines:\n");
        json_array_foreach(json_object_get(doc, "lines"), i, l) {
            char amount[40];
            mg_money_format(json_integer_value(json_object_get(l, "amount_micros")), amount, sizeof(amount));
            printf("  %-8s %-28s %14s  %s\n", json_string_value(json_object_get(l, "service")),
                   json_string_value(json_object_get(l, "model")), amount,
                   json_string_value(json_object_get(l, "quantity")));
        }
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

static const struct mg_cli_col ledger_cols[] = {
    {"ID", "id", 6}, {"WHEN", "created_at", 21}, {"KIND", "kind", 12}, {"AMOUNT", "amount", 14}, {"REFERENCE", "reference", 0},
};

static int wallet_show(struct mg_cli *cli)
{
    json_t *doc;
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", "/billing/wallet", NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        printf("balance %s %s%s\n\n", json_string_value(json_object_get(doc, "balance")),
               json_string_value(json_object_get(doc, "currency")),
               json_is_true(json_object_get(doc, "wallet_only")) ? " (this account may spend only its credit)" : "");
        mg_cli_table(stdout, json_object_get(doc, "ledger"), ledger_cols, MG_ARRAY_SIZE(ledger_cols),
                     "no credit movements yet; redeem a code with `maxgate billing redeem CODE`");
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

/* How to pay (GET /billing/payment-methods): the terms and each way on file. */
static int payment_methods(struct mg_cli *cli)
{
    json_t *doc, *m;
    size_t i;
    int rc;
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK ||
        (rc = mg_cli_platform_call(cli, "GET", "/billing/payment-methods", NULL, &doc)) != MG_EXIT_OK)
        return rc;
    if (cli->json) {
        mg_cli_print_json(doc);
    } else {
        const char *mode = json_string_value(json_object_get(doc, "billing_mode"));
        printf("billing: %s, %s\n", mode && strcmp(mode, "invoice") == 0 ? "by invoice" : "prepaid",
               json_string_value(json_object_get(doc, "terms")));
        json_t *methods = json_object_get(doc, "methods");
        if (json_array_size(methods) == 0)
            printf("no payment details on file yet: ask the operator how to pay\n");
        json_array_foreach(methods, i, m) printf("\n%s:\n  %s\n  %s\n",
                                                 strcmp(json_string_value(json_object_get(m, "kind")), "bank_transfer") == 0
                                                     ? "bank transfer or ACH"
                                                     : json_string_value(json_object_get(m, "kind")),
                                                 json_string_value(json_object_get(m, "details")),
                                                 json_string_value(json_object_get(m, "instructions")));
        printf("\nprepaid credit: `maxgate billing redeem CODE`, or ask the operator for a top-up\n");
    }
    json_decref(doc);
    return MG_EXIT_OK;
}

static int redeem(struct mg_cli *cli)
{
    char line[128];
    json_t *doc;
    int rc;
    const char *code = mg_cli_positional(cli);
    if (code == NULL)
        return mg_cli_fail(cli, MG_EXIT_USAGE, "give the code: maxgate billing redeem MGR-XXXX-XXXX-XXXX-XXXX (- reads "
                                               "it from stdin)");
    if (mg_cli_check_opts(cli, "", "") != MG_EXIT_OK)
        return MG_EXIT_USAGE;
    if (strcmp(code, "-") == 0) {
        if (fgets(line, sizeof(line), stdin) == NULL)
            return mg_cli_fail(cli, MG_EXIT_USAGE, "no code on stdin");
        line[strcspn(line, "\r\n")] = '\0';
        code = line;
    }
    if ((rc = mg_cli_platform_begin(cli, 1)) != MG_EXIT_OK)
        return rc;
    json_t *body = json_object();
    json_object_set_new(body, "code", json_string(code));
    rc = mg_cli_platform_call(cli, "POST", "/billing/redeem", body, &doc);
    json_decref(body);
    if (rc != MG_EXIT_OK)
        return rc;
    if (cli->json)
        mg_cli_print_json(doc);
    else
        printf("credited %s; balance %s\n", json_string_value(json_object_get(doc, "credited")),
               json_string_value(json_object_get(doc, "balance")));
    json_decref(doc);
    return MG_EXIT_OK;
}

const struct mg_cmd mg_cli_billing_cmds[] = {
    {"billing wallet", wallet_show, "your prepaid credit: the balance and its ledger, newest first", ""},
    {"billing redeem", redeem, "redeem a code into your wallet (- reads it from stdin)", "CODE"},
    {"billing invoices", invoices_list, "your invoices, newest first", ""},
    {"billing payment-methods", payment_methods, "how to pay: your terms and the payment details on file", ""},
    {"billing invoice", invoice_show, "one invoice with its lines, or its PDF with --pdf FILE (- = stdout)",
     "ID [--pdf FILE]"},
    {NULL, NULL, NULL, NULL},
};
