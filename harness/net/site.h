/* site.h: the synthetic site the target server serves and the crawler walks, a pure function of
 * (pages, links, seed), so any client can compute the expected link graph; and the /bytes body. */
#ifndef CB_SITE_H
#define CB_SITE_H

#include <stddef.h>
#include <stdint.h>

typedef struct cb_site {
  uint32_t pages;        /* pages 0 .. pages-1 exist; every one is reachable from page 0 */
  uint32_t links;        /* hrefs on each page, duplicates and special links included */
  uint64_t seed;
} cb_site;

typedef enum cb_link_kind {
  CB_LINK_PAGE,          /* a page of the site: target < pages */
  CB_LINK_MISSING,       /* same site, no such page (404): target >= pages */
  CB_LINK_EXTERNAL,      /* another site (http://example.invalid/<target>): recorded, never fetched */
  CB_LINK_MAILTO,        /* not HTTP (mailto:): skipped by a crawler */
} cb_link_kind;

/* How an href is spelled; every spelling of one target normalises to the same absolute URL. */
typedef enum cb_link_form {
  CB_FORM_RELATIVE,      /* 5.html */
  CB_FORM_DOT_RELATIVE,  /* ./5.html */
  CB_FORM_PARENT,        /* ../site/5.html */
  CB_FORM_ROOT,          /* /site/5.html */
  CB_FORM_ABSOLUTE,      /* http://<authority>/site/5.html */
  CB_FORM_COUNT
} cb_link_form;

typedef struct cb_site_link {
  cb_link_kind kind;
  uint32_t target;
  cb_link_form form;
  uint8_t single_quote;  /* href='...' rather than href="..." */
  uint8_t fragment;      /* #section appended (stripped when normalised) */
} cb_site_link;

/* The links of page i (i < pages), in page order, duplicates included: writes up to max of them
 * to out and returns how many the page has (s->links). Page i always links to (i + 1) % pages. */
unsigned cb_site_links(const cb_site *s, uint32_t i, cb_site_link *out, unsigned max);

/* Page i's HTML as served from http://<authority>/site/i.html (authority "127.0.0.1:8080").
 * Like snprintf: returns the full length, writes at most cap bytes (NUL-terminated if cap > 0). */
size_t cb_site_render(const cb_site *s, uint32_t i, const char *authority, char *buf, size_t cap);

/* Byte j of every /bytes/<n> body: the client checks what it got against it. */
static inline char cb_body_byte(uint64_t j) {
  return "abcdefghijklmnopqrstuvwxyz0123456789"[j % 36];
}

#endif
