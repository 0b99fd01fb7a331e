/*
 * routes.h: the API families of GW-1 as one table.  Each row says what the
 * gateway must know about a path: its service (the key scope), the error
 * shape of its family, what body it takes, whether a model is required, how
 * usage is read from its responses, whether maxgate answers it itself, and
 * how it touches async resources that belong to an account (GW-6).
 * Adding an endpoint is adding a row.
 */
#ifndef MG_GATEWAY_ROUTES_H
#define MG_GATEWAY_ROUTES_H

#include <stddef.h>
#include "core/err.h"
#include "core/service.h"
#include "gateway/usage.h"
#include "core/owned.h"

enum mg_body_kind { MG_BODY_NONE, MG_BODY_JSON, MG_BODY_MULTIPART };

enum mg_local { MG_LOCAL_NONE, MG_LOCAL_TOKEN_PLAN, MG_LOCAL_BALANCE };

/* How a route relates to one owned resource (GW-6). */
enum mg_own_op {
    MG_OWN_NONE,   /* ends a route's list of rules */
    MG_OWN_USE,    /* the request names a resource: it must be the caller's (unknown = 404) */
    MG_OWN_REFER,  /* the request may name a resource that is nobody's (a system voice): someone else's = 404 */
    MG_OWN_DELETE, /* as USE, and the record is removed once the upstream succeeded */
    MG_OWN_CREATE, /* a new resource: named in the request (checked as REFER) or in the response;
                      recorded as the caller's once the upstream succeeded */
    MG_OWN_GRANT,  /* the response hands the caller an existing resource (a finished video's file): recorded as theirs */
    MG_OWN_LIST,   /* the response lists resources: only the caller's stay in the answer */
};

enum { MG_OWN_REQUIRED = 1 }; /* the request must name it (400 otherwise) */

/* One id a route touches and where it is.  Paths are dotted, "[]" walks an
 * array (gateway/ownpath.h): "voice_setting.voice_id", "timbre_weights[].voice_id",
 * "file.file_id"; a LIST path names the array and the id in its elements,
 * "files[].file_id". */
struct mg_own_rule {
    enum mg_own_op op;
    enum mg_owned_kind kind;
    unsigned flags;     /* MG_OWN_REQUIRED */
    const char *query;  /* request: a query parameter */
    const char *body;   /* request: a path in the JSON body */
    const char *resp;   /* response: a path in the JSON answer (CREATE, GRANT, LIST) */
};

#define MG_OWN_RULES 6 /* the most rules a route has (t2a_async_v2: 5) plus the end */

struct mg_route {
    const char *path;
    const char *method;          /* "GET" or "POST" */
    const char *name;            /* short family name for logs and metrics */
    enum mg_service service;
    enum mg_err_shape shape;
    enum mg_body_kind body;
    int needs_model;
    enum mg_usage_kind usage;
    enum mg_local local;
    struct mg_own_rule own[MG_OWN_RULES]; /* until op == MG_OWN_NONE */
};

/* The route for an exact path, or NULL.  *method_ok is set to 0 when the path
 * exists but with another method. */
const struct mg_route *mg_route_find(const char *path, size_t len, const char *method, size_t mlen, int *method_ok);

/* The error shape for a path that matched no route (by prefix). */
enum mg_err_shape mg_route_shape_for(const char *path, size_t len);

/* The table itself, for tests and docs. */
extern const struct mg_route mg_routes[];
extern const size_t mg_nroutes;

#endif
