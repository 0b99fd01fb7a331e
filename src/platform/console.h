/*
 * console.h: serves the web console (src/web/, embedded at build time as
 * mg_embed_web) under /console/, and sends a browser that asks for "/" there.
 *
 * Memory only: every answer is built from the embedded files, on the loop
 * thread, without blocking.  Lookup is by exact embedded path, so no request
 * path can name a file outside the set.
 */
#ifndef MG_PLATFORM_CONSOLE_H
#define MG_PLATFORM_CONSOLE_H

#include "net/http.h"

/*
 * Registers the console on path "/console" of host; call it before any
 * handler registered on "/" (h2o picks the first path that matches).
 *   /console              302 to /console/
 *   /console/, /console/<route without a file>
 *                         index.html, Cache-Control: no-cache; its
 *                         "{{hash:FILE}}" marks are replaced at registration
 *                         by the first 12 hex digits of FILE's SHA-256, so
 *                         index.html can refer to "app.js?v={{hash:app.js}}"
 *   /console/<file>       the embedded file with its Content-Type and an ETag
 *                         (its SHA-256; If-None-Match gives 304); long-lived
 *                         and immutable when the query is v=<its hash prefix>,
 *                         else no-cache
 *   /console/<x.ext>      404 when no such file (a name with an extension)
 * GET and HEAD only (405 otherwise).  Every answer carries the console's
 * Content-Security-Policy, X-Content-Type-Options, X-Frame-Options and
 * Referrer-Policy (no-referrer on the pages that read a token from the
 * fragment: verify, set-password, reset).
 */
void mg_console_register(h2o_hostconf_t *host);

/*
 * Answers exactly GET or HEAD "/" with 302 Location: /console/ and declines
 * every other request, so the handlers after it on the "/" path run.  Call it
 * after the handler that owns "/" (the gateway) is registered: it puts itself
 * first on that path (or registers "/" when nobody has).
 */
void mg_console_register_root(h2o_hostconf_t *host);

#endif
