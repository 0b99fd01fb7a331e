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

/* How a route relates to an owned resource. */
enum mg_own_op {
    MG_OWN_NONE,
    MG_OWN_CREATE, /* the response names a new resource: record it for the caller's account */
    MG_OWN_USE,    /* the request names a resource: it must belong to the caller */
    MG_OWN_DELETE, /* as USE, and the record is removed after success */
};

/* Where the resource id is: a query parameter, a body field, or a response field. */
struct mg_own_rule {
    enum mg_own_op op;
    enum mg_owned_kind kind;
    const char *query;     /* USE/DELETE: query parameter name */
    const char *body;      /* USE/DELETE: top-level JSON body field */
    const char *resp[2];   /* CREATE: path of the id in the response, e.g. {"file","file_id"} or {"task_id",NULL} */
    /* A resource the response hands to the caller as a side effect (a finished
     * video's file): recorded as theirs, like a CREATE. */
    enum mg_owned_kind grants_kind;
    const char *grants[2];
};

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
    struct mg_own_rule own;
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
