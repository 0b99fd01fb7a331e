/*
 * h_keys_admin.c: an admin's view of any account's API keys (the routes of
 * h_keys.c under /admin/accounts/{id}/keys) and the leaked-key revocation
 * (POST /admin/keys/revoke-leaked): a full key, checked offline first, or a
 * public id; the owner is told by mail and in-app, and it is audit-logged.
 */
#include "core/log.h"
#include "core/mg.h"
#include "platform/pf.h"

#include <sodium.h>
#include <stdio.h>
#include <string.h>

/* The account of the path's first {id}: its id, or 0 with a 404 answer set. */
static int64_t path_owner(struct pf_call *c)
{
    struct mg_account a;
    int64_t id = pf_param_id(c, 0);
    int rc = id > 0 ? c->store->ops->account_get(c->store, id, &a) : MG_DECLINED;
    if (rc == MG_DECLINED)
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such account.");
    else if (rc != MG_OK)
        pf_store_failed(c, rc);
    return rc == MG_OK ? id : 0;
}

void pf_h_admin_keys_list(struct pf_call *c)
{
    int64_t owner = path_owner(c);
    if (owner > 0)
        pf_keys_list_of(c, owner);
}

void pf_h_admin_key_create(struct pf_call *c)
{
    int64_t owner = path_owner(c);
    if (owner > 0)
        pf_key_create_for(c, owner);
}

void pf_h_admin_key_get(struct pf_call *c)
{
    int64_t owner = path_owner(c);
    if (owner > 0)
        pf_key_get_of(c, owner, c->params[1]);
}

void pf_h_admin_key_patch(struct pf_call *c)
{
    int64_t owner = path_owner(c);
    if (owner > 0)
        pf_key_patch_of(c, owner, c->params[1]);
}

void pf_h_admin_key_delete(struct pf_call *c)
{
    int64_t owner = path_owner(c);
    if (owner > 0)
        pf_key_delete_of(c, owner, c->params[1]);
}

void pf_h_admin_key_rotate(struct pf_call *c)
{
    int64_t owner = path_owner(c);
    if (owner > 0)
        pf_key_rotate_of(c, owner, c->params[1]);
}

static int is_public_id(const char *s)
{
    if (strlen(s) != MG_KEY_PUBID_LEN)
        return 0;
    for (const char *p = s; *p; p++)
        if (!((*p >= '0' && *p <= '9') || (*p >= 'A' && *p <= 'Z') || (*p >= 'a' && *p <= 'z')))
            return 0;
    return 1;
}

void pf_h_admin_key_revoke_leaked(struct pf_call *c)
{
    const char *text = pf_str(c, "key");
    size_t len = strlen(text);
    struct mg_key_parts parts;
    struct mg_key_record k;
    int rc;
    if (len > 4 && memcmp(text, "mgk_", 4) == 0) {
        uint8_t digest[MG_KEY_DIGEST_LEN];
        /* shape and checksum first, offline: a mistyped or made-up key costs no lookup */
        if (mg_key_parse(text, len, &parts) != MG_OK) {
            pf_fail(c, MG_E_FIELD_INVALID, "key", "This is not a maxgate key: its form or checksum is wrong.");
            return;
        }
        mg_key_digest(c->pf->key_secret, sizeof(c->pf->key_secret), text, len, digest);
        rc = c->store->ops->key_by_digest(c->store, digest, &k);
        sodium_memzero(digest, sizeof(digest));
    } else if (is_public_id(text)) {
        rc = c->store->ops->key_get(c->store, text, &k);
    } else {
        pf_fail(c, MG_E_FIELD_INVALID, "key", "Send a full maxgate key (mgk_...) or a key's 12-character public id.");
        return;
    }
    if (rc == MG_DECLINED) {
        pf_fail(c, MG_E_RESOURCE_NOT_FOUND, NULL, "No such API key.");
        return;
    }
    if (rc != MG_OK) {
        pf_store_failed(c, rc);
        return;
    }
    if (k.status != MG_KEY_REVOKED) {
        struct mg_account owner;
        char text_note[256];
        if (pf_key_revoke(c, &k, "key.leaked_revoked") != MG_OK)
            return;
        snprintf(text_note, sizeof(text_note),
                 "Your API key %s (%s) was found in public and has been revoked. Make a new key and replace it "
                 "where it was used.", k.public_id, k.name);
        pf_notify(c, k.account_id, "security", text_note);
        if (c->store->ops->account_get(c->store, k.account_id, &owner) == MG_OK)
            pf_mail(c, MG_MAIL_KEY_REVOKED, owner.email, NULL, 0);
    }
    json_t *o = json_object();
    json_object_set_new(o, "id", json_string(k.public_id));
    json_object_set_new(o, "account_id", json_integer(k.account_id));
    json_object_set_new(o, "status", json_string("revoked"));
    pf_reply(c, 200, o);
}
