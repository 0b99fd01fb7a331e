/*
 * err.h: the one error registry.  Every error a client can see is a row here:
 * its C name, HTTP status, MiniMax base_resp code, OpenAI error type, Anthropic
 * error type and a message that tells the user what to do.  The C enum, the
 * wire codes and the messages all come from this one table (X-macro), so a new
 * error is one new line.
 *
 * The message is the default text; mg_err_render() appends an optional detail
 * sentence (a JSON position, a region and the base URL to use, a limit).
 */
#ifndef MG_CORE_ERR_H
#define MG_CORE_ERR_H

#include <stddef.h>

/* The retry column: seconds for a Retry-After header (0 = none), or
 * MG_RETRY_PERIOD: not before the billing period resets (the seconds to the
 * reset, computed per answer), and the SDKs are told not to retry at all
 * (x-should-retry: false) instead of retrying at once or sleeping for days. */
#define MG_RETRY_PERIOD (-1)
/* MG_RETRY_NEVER: no Retry-After (waiting does not help) and x-should-retry:
 * false, so SDKs do not retry at all (a used-up prepaid credit). */
#define MG_RETRY_NEVER (-2)

/*       name                 http retry mmx   openai type              anthropic type          message */
#define MG_ERRORS(X)                                                                                                    \
    X(KEY_MISSING,            401, 0, 1004, "authentication_error", "authentication_error",                             \
      "No API key. Send it as 'Authorization: Bearer <key>' (or the x-api-key / api-key header).")                      \
    X(KEY_MALFORMED,          401, 0, 1004, "authentication_error", "authentication_error",                             \
      "Malformed API key: it is not a maxgate key (mgk_...) or a character is wrong (checksum mismatch). Copy the whole key again.") \
    X(KEY_IN_QUERY,           400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "API keys are not accepted in the URL query string. Remove it from the URL and send it in the Authorization header.") \
    X(KEY_UNKNOWN,            401, 0, 2049, "authentication_error", "authentication_error",                             \
      "Unknown API key: it is well-formed but this server never issued it. Check that you use the right key for this server.") \
    X(KEY_REVOKED,            401, 0, 2049, "authentication_error", "authentication_error",                             \
      "This API key has been revoked. Ask your operator for a new key (they create one with 'maxgated admin key create').") \
    X(KEY_EXPIRED,            401, 0, 2049, "authentication_error", "authentication_error",                             \
      "This API key has expired. Ask your operator for a new key (they create one with 'maxgated admin key create').")  \
    X(KEY_WRONG_REGION,       401, 0, 1004, "authentication_error", "authentication_error",                             \
      "This API key belongs to another region than this server serves.")                                               \
    X(KEY_SCOPE,              403, 0, 1004, "permission_error", "permission_error",                                     \
      "This API key is not allowed to use this API family (scope). Use a key with this scope; ask your operator for one.") \
    X(MODEL_NOT_ALLOWED,      403, 0, 1004, "permission_error", "permission_error",                                     \
      "This API key is not allowed to use this model. Use a model from the key's allowlist.")                            \
    X(ACCOUNT_SUSPENDED,      403, 0, 1004, "permission_error", "permission_error",                                     \
      "This account is suspended. Ask your operator.")                                                                \
    X(CAP_REACHED,            429, MG_RETRY_PERIOD, 1008, "insufficient_quota", "rate_limit_error",                                   \
      "Spending cap reached; raise the cap or wait for the next billing period.")                                      \
    X(CREDIT_EXHAUSTED,       429, MG_RETRY_NEVER, 1008, "insufficient_quota", "rate_limit_error",                                    \
      "Prepaid credit used up.")                                  \
    X(RATE_LIMITED,           429, 1, 1002, "rate_limit_error", "rate_limit_error",                                     \
      "Rate limit reached for this API key. Retry after the time in the Retry-After header.")                           \
    X(NOT_FOUND,              404, 0, 2013, "invalid_request_error", "not_found_error",                                 \
      "Unknown API path. See the MiniMax API reference for the supported paths (e.g. /v1/chat/completions).")            \
    X(METHOD_NOT_ALLOWED,     405, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "Wrong HTTP method for this path.")                                                                              \
    X(RESOURCE_NOT_FOUND,     404, 0, 2013, "invalid_request_error", "not_found_error",                                 \
      "Not found for this account: no task, file, voice or other object has this id here. Check the id.")                                                                 \
    X(CONTENT_TYPE,           400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "Wrong Content-Type. Send the body as JSON with 'Content-Type: application/json'.")                               \
    X(JSON_MALFORMED,         400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "The request body is not valid JSON.")                                                                           \
    X(JSON_NOT_OBJECT,        400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "The request body must be a JSON object.")                                                                       \
    X(MODEL_MISSING,          400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "The 'model' field is missing or not a string. Name the model to use, e.g. \"model\": \"MiniMax-M2.7\".")           \
    X(MODEL_NAME_INVALID,     400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "The 'model' field is not a valid model name: use 1 to 64 letters, digits and . _ : / - (no spaces, quotes or line breaks).") \
    X(MODEL_UNPRICED,         400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "This model has no price on this server, so it is not served. The operator must price it (a [price.MODEL] section in the config file, docs/operations.md).") \
    X(FIELD_INVALID,          400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "A request field has an invalid value.")                                                                         \
    X(BODY_MISSING,           400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "This endpoint needs a request body.")                                                                           \
    X(BODY_TOO_LARGE,         413, 0, 2013, "invalid_request_error", "request_too_large",                               \
      "The request body is too large.")                                                                                \
    X(HTTP_FRAMING,           400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "Malformed HTTP request: its framing is ambiguous, so it was refused and the connection closed.")                \
    X(UNKNOWN_MODEL,          400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "No upstream channel serves this model in this key's region. Check the model name.")                              \
    X(NO_CHANNEL,             503, 0, 1033, "api_error", "api_error",                                                   \
      "No healthy upstream channel for this region right now. Retry in a few seconds; if it persists, tell the operator.") \
    X(UPSTREAM_CONNECT,       502, 0, 1033, "api_error", "api_error",                                                   \
      "Could not connect to the upstream API. Retry later.")                                                           \
    X(UPSTREAM_TLS,           502, 0, 1033, "api_error", "api_error",                                                   \
      "The upstream's TLS certificate could not be verified (untrusted or wrong host name). The operator must fix the channel's URL or CA file.") \
    X(UPSTREAM_TIMEOUT,       504, 0, 1001, "timeout", "timeout_error",                                                 \
      "The upstream API did not answer in time. Retry later.")                                                         \
    X(UPSTREAM_BAD_RESPONSE,  502, 0, 1033, "api_error", "api_error",                                                   \
      "The upstream API sent an invalid response. Retry later.")                                                       \
    X(UPSTREAM_STREAM_BROKEN, 502, 0, 1033, "api_error", "api_error",                                                   \
      "The upstream stream ended unexpectedly; the answer is incomplete. Retry the request.")                           \
    X(OVERLOADED,             503, 1, 1041, "api_error", "overloaded_error",                                            \
      "The server is busy. Retry in a moment.")                                                                        \
    X(SHUTTING_DOWN,          503, 1, 1033, "api_error", "overloaded_error",                                            \
      "The server is restarting. Retry in a moment.")                                                                  \
    X(INTERNAL,               500, 0, 1033, "api_error", "api_error",                                                   \
      "Internal error. Retry; if it persists, tell the operator and quote the request id.")                            \
    /* the platform API (/platform/v1): shown as {"error":{"code","message","field"}} */                              \
    X(PATH_UNKNOWN,           404, 0, 2013, "invalid_request_error", "not_found_error",                                 \
      "Unknown platform API path. See docs/api.md for the paths under /platform/v1.")                                  \
    X(SESSION_REQUIRED,       401, 0, 1004, "authentication_error", "authentication_error",                             \
      "Sign in first: this needs a session (the console's cookie, or 'Authorization: Bearer <session token>' from 'maxgate account login'). API keys are not sessions.") \
    X(SESSION_EXPIRED,        401, 0, 1004, "authentication_error", "authentication_error",                             \
      "Your session has ended (signed out, expired or ended from another device). Sign in again.")                     \
    X(CSRF,                   403, 0, 1004, "permission_error", "permission_error",                                     \
      "Missing or wrong X-CSRF-Token header. Send the csrf_token from the login answer (or GET /platform/v1/me; after a step-up, its answer's X-CSRF-Token) with every change.") \
    X(FORBIDDEN,              403, 0, 1004, "permission_error", "permission_error",                                     \
      "You are not allowed to do this (it needs the admin role).")                                                   \
    X(REAUTH_REQUIRED,        403, 0, 1004, "permission_error", "permission_error",                                     \
      "Confirm it is you: enter your password again (POST /platform/v1/me/reauth), then retry.")                       \
    X(LOGIN_FAILED,           401, 0, 1004, "authentication_error", "authentication_error",                             \
      "Invalid email or password.")                                                                                    \
    X(TOKEN_INVALID,          400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "This link is invalid, expired or already used. Ask for a new one.")                                              \
    X(PASSWORD_POLICY,        400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "This password is not allowed.")                                                                                 \
    X(FIELD_MISSING,          400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "A required field is missing.")                                                                                  \
    X(CONFLICT,               409, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "This conflicts with the current state (it was already done, or changed meanwhile). Reload and retry.")          \
    X(TOO_MANY_ATTEMPTS,      429, 60, 1002, "rate_limit_error", "rate_limit_error",                                    \
      "Too many attempts. Wait before trying again (see Retry-After).")                                                 \
    X(MFA_FAILED,             401, 0, 1004, "authentication_error", "authentication_error",                             \
      "The code or security key was not accepted. Try again: after 5 wrong tries, sign in again with your password.") \
    X(WEBAUTHN_INVALID,       400, 0, 2013, "invalid_request_error", "invalid_request_error",                           \
      "The security key's answer was refused. Try again with the browser's security-key dialog.")                      \
    X(SIGNUP_CLOSED,          403, 0, 1004, "permission_error", "permission_error",                                     \
      "This kind of sign-up is not open on this server.")                                                             \
    X(PLAN_REQUIRED,          403, 0, 1004, "permission_error", "permission_error",                                     \
      "Your plan does not include this. Ask the operator to move the account to the plan named here.")

enum mg_err {
    MG_E_NONE = 0,
#define MG_ERR_ENUM(name, http, retry, mmx, oai, anth, msg) MG_E_##name,
    MG_ERRORS(MG_ERR_ENUM)
#undef MG_ERR_ENUM
    MG_E__COUNT
};

struct mg_err_def {
    const char *name;           /* "KEY_REVOKED"; also the wire "code" on the OpenAI shape (lower-cased) */
    int http_status;
    int retry_after;            /* seconds for a Retry-After header; 0 = send none; MG_RETRY_PERIOD */
    int minimax_code;           /* base_resp.status_code */
    const char *openai_type;    /* error.type on /v1/chat/completions */
    const char *anthropic_type; /* error.type on /anthropic/... */
    const char *message;
};

/* The body shape of an API family (GW-4). */
enum mg_err_shape {
    MG_SHAPE_NATIVE,    /* {"base_resp":{"status_code":N,"status_msg":"..."},"request_id":"..."} */
    MG_SHAPE_OPENAI,    /* {"error":{"message","type","code","request_id"}} */
    MG_SHAPE_ANTHROPIC, /* {"type":"error","error":{"type","message"},"request_id":"..."} */
    MG_SHAPE_PLATFORM,  /* {"error":{"code":"snake_case","message","field"?},"request_id":"..."} (PLATFORM-API.md) */
};

/* The row for an error; never NULL for a valid code. */
const struct mg_err_def *mg_err_get(enum mg_err e);

/*
 * Writes the JSON error body for `e` in `shape` into buf (NUL-terminated) and
 * returns its length (a detail that does not fit is dropped so the body stays
 * valid JSON; cap >= 512 always fits the fixed part).  `detail` (may be NULL) is appended to the
 * message after a space; it is JSON-escaped here.  `request_id` may be NULL.
 */
size_t mg_err_render(char *buf, size_t cap, enum mg_err_shape shape, enum mg_err e, const char *detail,
                     const char *request_id);

/* The platform API's error body: the code is the row's name in lower case
 * ("session_expired"); field (may be NULL) names the request field at fault.
 * Same contract as mg_err_render(). */
size_t mg_err_render_platform(char *buf, size_t cap, enum mg_err e, const char *detail, const char *field,
                              const char *request_id);

/* The SSE frame that ends a stream that broke mid-way, in the family's own
 * form: Anthropic streams have named events ("event: error\ndata: {...}\n\n"),
 * native and OpenAI streams do not ("data: {...}\n\n", the error object as
 * the family's error body).  Same contract as mg_err_render(). */
size_t mg_err_render_sse(char *buf, size_t cap, enum mg_err_shape shape, enum mg_err e, const char *detail,
                         const char *request_id);

#endif
