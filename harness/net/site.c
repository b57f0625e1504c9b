/* site.c: the synthetic site: each page's links and HTML, pure functions of (pages, links, seed, i). */
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include "site.h"

/* Shares of the links that are not page i's (i + 1) link, in percent. With 8 links a page has 7
 * drawn ones, so each special kind shows up on about half the pages. */
#define PCT_MISSING 12
#define PCT_EXTERNAL 10
#define PCT_MAILTO 10
#define PCT_DUPLICATE 15

/* Few distinct special targets, so a crawl's set of 404s and external URLs stays small. */
#define MISSING_SPAN 3
#define EXTERNAL_SPAN 10
#define MAILTO_SPAN 10

#define TAG_STYLES 5

static uint64_t mix64(uint64_t x) {
  x += 0x9e3779b97f4a7c15ull;
  x = (x ^ (x >> 30)) * 0xbf58476d1ce4e5b9ull;
  x = (x ^ (x >> 27)) * 0x94d049bb133111ebull;
  return x ^ (x >> 31);
}

/* splitmix64 stream; one per (seed, page, link slot), so a link never depends on how many
 * links before it were asked for. */
typedef struct rng {
  uint64_t s;
} rng;

static uint64_t rng_next(rng *r) {
  r->s += 0x9e3779b97f4a7c15ull;
  return mix64(r->s);
}

static rng rng_for(const cb_site *s, uint32_t i, uint64_t k) {
  rng r = { mix64(mix64(mix64(s->seed) ^ i) + k) };
  return r;
}

/* Where page i's (i + 1) link sits among its links. */
static unsigned next_slot(const cb_site *s, uint32_t i) {
  rng r = rng_for(s, i, UINT64_MAX);
  return (unsigned)(rng_next(&r) % s->links);
}

/* One slot's draws. A duplicate only names an earlier slot (dup_of < k); spelling is its own. */
typedef struct slot_draw {
  cb_site_link l;
  int dup;
  unsigned dup_of;
} slot_draw;

static slot_draw draw_slot(const cb_site *s, uint32_t i, unsigned k, unsigned next) {
  rng r = rng_for(s, i, k);
  slot_draw d = { .dup = 0 };
  uint64_t roll = rng_next(&r) % 100, v = rng_next(&r);
  d.l.form = (cb_link_form)(rng_next(&r) % CB_FORM_COUNT);
  d.l.single_quote = rng_next(&r) % 4 == 0;
  d.l.fragment = rng_next(&r) % 5 == 0;
  if (k == next) {
    d.l.kind = CB_LINK_PAGE;
    d.l.target = (uint32_t)(((uint64_t)i + 1) % s->pages);
  } else if (roll < PCT_MISSING) {
    d.l.kind = CB_LINK_MISSING;
    d.l.target = s->pages + (uint32_t)(v % MISSING_SPAN);
  } else if (roll < PCT_MISSING + PCT_EXTERNAL) {
    d.l.kind = CB_LINK_EXTERNAL;
    d.l.target = (uint32_t)(v % EXTERNAL_SPAN);
  } else if (roll < PCT_MISSING + PCT_EXTERNAL + PCT_MAILTO) {
    d.l.kind = CB_LINK_MAILTO;
    d.l.target = (uint32_t)(v % MAILTO_SPAN);
    d.l.fragment = 0;
  } else if (roll < PCT_MISSING + PCT_EXTERNAL + PCT_MAILTO + PCT_DUPLICATE && k > 0) {
    d.dup = 1;
    d.dup_of = (unsigned)(v % k);
  } else {
    d.l.kind = CB_LINK_PAGE;
    d.l.target = (uint32_t)(v % s->pages);
  }
  /* Off-site links have one spelling: absolute. */
  if (d.l.kind == CB_LINK_EXTERNAL || d.l.kind == CB_LINK_MAILTO) d.l.form = CB_FORM_ABSOLUTE;
  return d;
}

static cb_site_link link_at(const cb_site *s, uint32_t i, unsigned k, unsigned next) {
  slot_draw d = draw_slot(s, i, k, next);
  cb_site_link l = d.l;
  /* Follow duplicates back to the slot that chose the target; dup_of < k, so this ends. */
  while (d.dup) {
    d = draw_slot(s, i, d.dup_of, next);
    l.kind = d.l.kind;
    l.target = d.l.target;
  }
  if (l.kind == CB_LINK_EXTERNAL || l.kind == CB_LINK_MAILTO) l.form = CB_FORM_ABSOLUTE;
  if (l.kind == CB_LINK_MAILTO) l.fragment = 0;
  return l;
}

unsigned cb_site_links(const cb_site *s, uint32_t i, cb_site_link *out, unsigned max) {
  if (!s->pages || !s->links || i >= s->pages) return 0;
  unsigned next = next_slot(s, i);
  for (unsigned k = 0; k < s->links && k < max; k++) {
    cb_site_link l = link_at(s, i, k, next);
    /* Field by field over zeroed memory, so callers may compare links with memcmp. */
    memset(&out[k], 0, sizeof out[k]);
    out[k].kind = l.kind;
    out[k].target = l.target;
    out[k].form = l.form;
    out[k].single_quote = l.single_quote;
    out[k].fragment = l.fragment;
  }
  return s->links;
}

/* ---- rendering ------------------------------------------------------------------------------ */

/* An snprintf-like appender: len counts everything, buf gets what fits. */
typedef struct out {
  char *buf;
  size_t cap, len;
} out;

__attribute__((format(printf, 2, 3)))
static void put(out *o, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  char *dst = o->len < o->cap ? o->buf + o->len : NULL;
  size_t room = o->len < o->cap ? o->cap - o->len : 0;
  int n = vsnprintf(dst, room, fmt, ap);
  va_end(ap);
  if (n > 0) o->len += (size_t)n;
}

static const char *const words[] = {
  "loop", "thread", "fork", "coroutine", "socket", "timer", "queue", "latency", "crawler",
  "request", "buffer", "kernel", "wait", "page", "link", "answer",
};
#define NWORDS (sizeof words / sizeof words[0])

static void put_href(out *o, const cb_site_link *l, const char *auth, unsigned k) {
  char q = l->single_quote ? '\'' : '"';
  put(o, "%c", q);
  switch (l->kind) {
  case CB_LINK_EXTERNAL: put(o, "http://example.invalid/%u", l->target); break;
  case CB_LINK_MAILTO: put(o, "mailto:someone%u@example.invalid", l->target); break;
  default:
    switch (l->form) {
    case CB_FORM_RELATIVE: put(o, "%u.html", l->target); break;
    case CB_FORM_DOT_RELATIVE: put(o, "./%u.html", l->target); break;
    case CB_FORM_PARENT: put(o, "../site/%u.html", l->target); break;
    case CB_FORM_ROOT: put(o, "/site/%u.html", l->target); break;
    default: put(o, "http://%s/site/%u.html", auth, l->target); break;
    }
  }
  if (l->fragment) put(o, "#s%u", k);
  put(o, "%c", q);
}

size_t cb_site_render(const cb_site *s, uint32_t i, const char *authority, char *buf, size_t cap) {
  out o = { buf, cap, 0 };
  const char *auth = authority && *authority ? authority : "127.0.0.1:8080";
  rng r = rng_for(s, i, UINT64_MAX - 1);
  if (cap) buf[0] = '\0';
  put(&o, "<!DOCTYPE html>\n<html lang=\"en\">\n<head>\n<meta charset=\"utf-8\">\n"
          "<title>Page %u of %u</title>\n</head>\n<body>\n<h1>Page %u</h1>\n<p>",
      i, s->pages, i);
  unsigned nw = 12 + (unsigned)(rng_next(&r) % 12);
  for (unsigned w = 0; w < nw; w++)
    put(&o, "%s%s", w ? " " : "A ", words[rng_next(&r) % NWORDS]);
  put(&o, ".</p>\n<ul>\n");
  unsigned n = 0, next = 0;
  if (s->pages && s->links && i < s->pages) {
    n = s->links;
    next = next_slot(s, i);
  }
  for (unsigned k = 0; k < n; k++) {
    cb_site_link l = link_at(s, i, k, next);
    /* Attribute order, spacing and line breaks vary, so only a real attribute parse finds hrefs. */
    switch (rng_next(&r) % TAG_STYLES) {
    case 0: put(&o, "<li><a href="); put_href(&o, &l, auth, k); put(&o, ">"); break;
    case 1: put(&o, "<li><a class=\"nav\" href="); put_href(&o, &l, auth, k); put(&o, ">"); break;
    case 2: put(&o, "<li><a href = "); put_href(&o, &l, auth, k); put(&o, " title=\"link %u\">", k); break;
    case 3: put(&o, "<li><a\n    href="); put_href(&o, &l, auth, k); put(&o, "\n    class=\"link\">"); break;
    default: put(&o, "<li><a rel=\"nofollow\"  href="); put_href(&o, &l, auth, k); put(&o, " >"); break;
    }
    switch (l.kind) {
    case CB_LINK_EXTERNAL: put(&o, "elsewhere %u</a></li>\n", l.target); break;
    case CB_LINK_MAILTO: put(&o, "write to someone %u</a></li>\n", l.target); break;
    default: put(&o, "page %u</a></li>\n", l.target); break;
    }
  }
  put(&o, "</ul>\n<p>End of page %u.</p>\n</body>\n</html>\n", i);
  return o.len;
}
