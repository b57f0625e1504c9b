/* url.h: resolving the hrefs of a page into absolute http URLs, for the crawler. */
#ifndef CB_URL_H
#define CB_URL_H

#include <stddef.h>

#define CB_URL_MAX 256

/* href (len bytes, not NUL-terminated) found on the page at base ("http://HOST:PORT/path"), as
 * an absolute http URL without fragment, in out: scheme-relative, root-relative, relative and
 * query-only forms resolved, "." and ".." removed, the host lowercased. 0, or -1 for what a
 * crawler skips: other schemes (mailto:, javascript:), empty or longer than out. */
int cb_url_resolve(const char *base, const char *href, size_t len, char *out, size_t cap);

#endif
