/* test_site.c: the synthetic site is deterministic, connected, varied, and its HTML says what
 * cb_site_links says, checked with an independent href extractor. */
#include <ctype.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <cmocka.h>
#include "site.h"

#define AUTH "127.0.0.1:8080"
#define MAX_LINKS 64
#define PAGE_CAP (64 * 1024)

static void assert_links_equal(const cb_site_link *a, const cb_site_link *b, unsigned n) {
  for (unsigned k = 0; k < n; k++) {
    assert_int_equal(a[k].kind, b[k].kind);
    assert_int_equal(a[k].target, b[k].target);
    assert_int_equal(a[k].form, b[k].form);
    assert_int_equal(a[k].single_quote, b[k].single_quote);
    assert_int_equal(a[k].fragment, b[k].fragment);
  }
}

static char *render(const cb_site *s, uint32_t i, const char *auth) {
  size_t n = cb_site_render(s, i, auth, NULL, 0);
  char *buf = malloc(n + 1);
  assert_non_null(buf);
  assert_int_equal(cb_site_render(s, i, auth, buf, n + 1), n);
  assert_int_equal(strlen(buf), n);
  return buf;
}

/* ---- an independent href extractor ---------------------------------------------------------- */

typedef struct href {
  char val[256];
  char quote;            /* '"' or '\'' */
} href;

/* Every href attribute of every <a> tag, in order. */
static int extract_hrefs(const char *html, href *out, int max) {
  int n = 0;
  for (const char *p = html; (p = strchr(p, '<')) != NULL; p++) {
    if (tolower((unsigned char)p[1]) != 'a' || !isspace((unsigned char)p[2])) continue;
    const char *end = strchr(p, '>');
    assert_non_null(end);
    const char *q = p + 2;
    while (q < end) {
      while (q < end && isspace((unsigned char)*q)) q++;
      const char *name = q;
      while (q < end && !isspace((unsigned char)*q) && *q != '=') q++;
      size_t nlen = (size_t)(q - name);
      while (q < end && isspace((unsigned char)*q)) q++;
      if (q >= end || *q != '=') continue;   /* an attribute without a value */
      q++;
      while (q < end && isspace((unsigned char)*q)) q++;
      char quote = *q;
      assert_true(quote == '"' || quote == '\'');
      const char *v = ++q;
      while (*q && *q != quote) q++;
      assert_int_equal(*q, quote);
      if (nlen == 4 && strncasecmp(name, "href", 4) == 0) {
        assert_true(n < max);
        assert_true((size_t)(q - v) < sizeof out[n].val);
        memcpy(out[n].val, v, (size_t)(q - v));
        out[n].val[q - v] = '\0';
        out[n].quote = quote;
        n++;
      }
      q++;
      end = strchr(q, '>');   /* a quoted value may hold '>' in general */
      assert_non_null(end);
    }
    p = end;
  }
  return n;
}

/* What an href means, resolved against http://AUTH/site/<i>.html as a crawler would. */
typedef struct meaning {
  cb_link_kind kind;
  uint32_t target;
  int fragment;
  cb_link_form form;
} meaning;

static uint32_t number(const char *s, const char *suffix) {
  char *end;
  unsigned long v = strtoul(s, &end, 10);
  assert_true(end != s);
  assert_string_equal(end, suffix);
  return (uint32_t)v;
}

static meaning interpret(const char *raw, const char *auth, uint32_t pages) {
  meaning m = { .fragment = 0 };
  char v[256], url[512];
  size_t rlen = strlen(raw);
  assert_true(rlen < sizeof v);
  memcpy(v, raw, rlen + 1);
  char *hash = strchr(v, '#');
  if (hash) {
    m.fragment = 1;
    *hash = '\0';
  }
  if (strncmp(v, "mailto:", 7) == 0) {
    assert_false(m.fragment);
    m.kind = CB_LINK_MAILTO;
    m.form = CB_FORM_ABSOLUTE;
    assert_int_equal(strncmp(v + 7, "someone", 7), 0);
    m.target = number(v + 14, "@example.invalid");
    return m;
  }
  if (strncmp(v, "http://example.invalid/", 23) == 0) {
    m.kind = CB_LINK_EXTERNAL;
    m.form = CB_FORM_ABSOLUTE;
    m.target = number(v + 23, "");
    return m;
  }
  /* Resolve to an absolute URL on this site, then read the page number from it. */
  char prefix[128];
  snprintf(prefix, sizeof prefix, "http://%s/", auth);
  if (strncmp(v, prefix, strlen(prefix)) == 0) {
    m.form = CB_FORM_ABSOLUTE;
    snprintf(url, sizeof url, "/%s", v + strlen(prefix));
  } else if (v[0] == '/') {
    m.form = CB_FORM_ROOT;
    snprintf(url, sizeof url, "%s", v);
  } else {
    m.form = strncmp(v, "../", 3) == 0 ? CB_FORM_PARENT : strncmp(v, "./", 2) == 0 ? CB_FORM_DOT_RELATIVE : CB_FORM_RELATIVE;
    /* base directory /site/, then drop "." and resolve ".." segments */
    char joined[512], *seg[32];
    int ns = 0;
    snprintf(joined, sizeof joined, "site/%s", v);
    for (char *tok = strtok(joined, "/"); tok; tok = strtok(NULL, "/")) {
      if (strcmp(tok, ".") == 0) continue;
      if (strcmp(tok, "..") == 0) {
        if (ns) ns--;
        continue;
      }
      assert_true(ns < 32);
      seg[ns++] = tok;
    }
    url[0] = '\0';
    for (int k = 0; k < ns; k++) {
      strcat(url, "/");
      strcat(url, seg[k]);
    }
  }
  assert_int_equal(strncmp(url, "/site/", 6), 0);
  m.target = number(url + 6, ".html");
  m.kind = m.target < pages ? CB_LINK_PAGE : CB_LINK_MISSING;
  return m;
}

/* ---- tests ---------------------------------------------------------------------------------- */

static void deterministic(void **state) {
  cb_site a = { 50, 8, 42 }, b = { 50, 8, 42 }, c = { 50, 8, 43 };
  int differ = 0;
  for (uint32_t i = 0; i < 50; i++) {
    char *x = render(&a, i, AUTH), *y = render(&b, i, AUTH), *z = render(&c, i, AUTH);
    assert_string_equal(x, y);
    if (strcmp(x, z) != 0) differ++;
    cb_site_link la[8], lb[8];
    assert_int_equal(cb_site_links(&a, i, la, 8), 8);
    assert_int_equal(cb_site_links(&b, i, lb, 8), 8);
    assert_links_equal(la, lb, 8);
    free(x);
    free(y);
    free(z);
  }
  assert_true(differ > 40);
}

static void links_do_not_depend_on_max(void **state) {
  cb_site s = { 30, 20, 9 };
  cb_site_link all[20], few[5];
  for (uint32_t i = 0; i < 30; i++) {
    assert_int_equal(cb_site_links(&s, i, all, 20), 20);
    assert_int_equal(cb_site_links(&s, i, few, 5), 20);
    assert_links_equal(all, few, 5);
    assert_int_equal(cb_site_links(&s, i, NULL, 0), 20);
  }
  assert_int_equal(cb_site_links(&s, 30, all, 20), 0);   /* no such page */
}

static void next_link_always_present(void **state) {
  static const uint32_t pages[] = { 1, 2, 7, 50, 1000 };
  static const uint32_t links[] = { 1, 2, 3, 8, 33 };
  cb_site_link l[33];
  for (size_t a = 0; a < sizeof pages / sizeof pages[0]; a++)
    for (size_t b = 0; b < sizeof links / sizeof links[0]; b++)
      for (uint64_t seed = 0; seed < 3; seed++) {
        cb_site s = { pages[a], links[b], seed };
        for (uint32_t i = 0; i < pages[a] && i < 200; i++) {
          unsigned n = cb_site_links(&s, i, l, 33);
          assert_int_equal(n, links[b]);
          int found = 0;
          for (unsigned k = 0; k < n; k++) {
            if (l[k].kind == CB_LINK_PAGE && l[k].target == (i + 1) % pages[a]) found = 1;
            if (l[k].kind == CB_LINK_PAGE) assert_true(l[k].target < pages[a]);
            if (l[k].kind == CB_LINK_MISSING) assert_true(l[k].target >= pages[a] && l[k].target < pages[a] + 16);
            assert_true(l[k].form < CB_FORM_COUNT);
          }
          assert_true(found);
        }
      }
}

static void all_pages_reachable(void **state) {
  static const uint32_t pages[] = { 1, 50, 999 };
  for (size_t a = 0; a < sizeof pages / sizeof pages[0]; a++) {
    cb_site s = { pages[a], 3, 77 };
    uint8_t *seen = calloc(pages[a], 1);
    uint32_t *queue = malloc(pages[a] * sizeof *queue), head = 0, tail = 0, count = 1;
    assert_true(seen && queue);
    seen[0] = 1;
    queue[tail++] = 0;
    while (head < tail) {
      cb_site_link l[3];
      unsigned n = cb_site_links(&s, queue[head++], l, 3);
      for (unsigned k = 0; k < n; k++)
        if (l[k].kind == CB_LINK_PAGE && !seen[l[k].target]) {
          seen[l[k].target] = 1;
          queue[tail++] = l[k].target;
          count++;
        }
    }
    assert_int_equal(count, pages[a]);
    free(seen);
    free(queue);
  }
}

static void every_variety_occurs(void **state) {
  cb_site s = { 50, 8, 1 };
  int kinds[4] = { 0 }, forms[CB_FORM_COUNT] = { 0 }, quotes[2] = { 0 }, frags = 0, dups = 0, respelled = 0;
  int pages_with[4] = { 0 };
  for (uint32_t i = 0; i < 50; i++) {
    cb_site_link l[8];
    int has[4] = { 0 };
    assert_int_equal(cb_site_links(&s, i, l, 8), 8);
    for (unsigned k = 0; k < 8; k++) {
      kinds[l[k].kind]++;
      has[l[k].kind] = 1;
      if (l[k].kind == CB_LINK_PAGE || l[k].kind == CB_LINK_MISSING) forms[l[k].form]++;
      quotes[l[k].single_quote]++;
      frags += l[k].fragment;
      for (unsigned j = 0; j < k; j++)
        if (l[j].kind == l[k].kind && l[j].target == l[k].target) {
          dups++;
          if (l[j].form != l[k].form || l[j].fragment != l[k].fragment || l[j].single_quote != l[k].single_quote) respelled++;
          break;
        }
    }
    for (int t = 0; t < 4; t++) pages_with[t] += has[t];
  }
  for (int t = 0; t < 4; t++) assert_true(kinds[t] > 0);
  for (int f = 0; f < CB_FORM_COUNT; f++) assert_true(forms[f] > 0);
  assert_true(quotes[0] > 0 && quotes[1] > 0);
  assert_true(frags > 0);
  assert_true(dups > 0 && respelled > 0);
  /* "a good chance of each special kind": at least a quarter of the pages have each. */
  for (int t = 1; t < 4; t++) assert_true(pages_with[t] >= 12);
  /* The set of missing pages stays small. */
  uint32_t maxmissing = 0;
  for (uint32_t i = 0; i < 50; i++) {
    cb_site_link l[8];
    cb_site_links(&s, i, l, 8);
    for (unsigned k = 0; k < 8; k++)
      if (l[k].kind == CB_LINK_MISSING && l[k].target > maxmissing) maxmissing = l[k].target;
  }
  assert_true(maxmissing < 50 + 16);
}

static void html_matches_links(void **state) {
  static const cb_site sites[] = { { 50, 8, 1 }, { 50, 8, 2 }, { 7, 1, 3 }, { 200, 40, 4 } };
  static const char *const auths[] = { AUTH, "[::1]:9", "localhost:1234" };
  for (size_t a = 0; a < sizeof sites / sizeof sites[0]; a++) {
    const cb_site *s = &sites[a];
    for (uint32_t i = 0; i < s->pages && i < 60; i++) {
      const char *auth = auths[i % 3];
      char *html = render(s, i, auth);
      cb_site_link l[MAX_LINKS];
      href h[MAX_LINKS + 1];
      unsigned n = cb_site_links(s, i, l, MAX_LINKS);
      assert_true(strncmp(html, "<!DOCTYPE html>", 15) == 0);
      assert_non_null(strstr(html, "<title>"));
      assert_non_null(strstr(html, "<h1>"));
      assert_non_null(strstr(html, "</html>"));
      /* exactly `links` hrefs, nothing else spelled like one */
      int count = 0;
      for (const char *p = html; (p = strcasestr(p, "href")) != NULL; p++) count++;
      assert_int_equal(count, s->links);
      int got = extract_hrefs(html, h, MAX_LINKS + 1);
      assert_int_equal(got, n);
      for (unsigned k = 0; k < n; k++) {
        meaning m = interpret(h[k].val, auth, s->pages);
        assert_int_equal(m.kind, l[k].kind);
        assert_int_equal(m.target, l[k].target);
        assert_int_equal(m.fragment, l[k].fragment);
        assert_int_equal(m.form, l[k].form);
        assert_int_equal(h[k].quote, l[k].single_quote ? '\'' : '"');
      }
      free(html);
    }
  }
}

static void truncates_like_snprintf(void **state) {
  cb_site s = { 10, 8, 5 };
  size_t full = cb_site_render(&s, 3, AUTH, NULL, 0);
  char *ref = render(&s, 3, AUTH);
  char *buf = malloc(full + 16);
  assert_non_null(buf);
  for (size_t cap = 1; cap <= full + 1; cap += (cap < 64 ? 1 : 97)) {
    memset(buf, 'Z', full + 16);
    assert_int_equal(cb_site_render(&s, 3, AUTH, buf, cap), full);
    assert_int_equal(buf[cap - 1], '\0');
    assert_int_equal(strlen(buf), cap - 1);
    assert_memory_equal(buf, ref, cap - 1);
    assert_int_equal(buf[cap], 'Z');   /* nothing written past cap */
  }
  memset(buf, 'Z', full + 16);
  assert_int_equal(cb_site_render(&s, 3, AUTH, buf, 0), full);
  assert_int_equal(buf[0], 'Z');
  free(ref);
  free(buf);
}

static void body_bytes(void **state) {
  assert_int_equal(cb_body_byte(0), 'a');
  assert_int_equal(cb_body_byte(25), 'z');
  assert_int_equal(cb_body_byte(26), '0');
  assert_int_equal(cb_body_byte(36), 'a');
  assert_int_equal(cb_body_byte(36ull * 1000000 + 35), '9');
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(deterministic),
    cmocka_unit_test(links_do_not_depend_on_max),
    cmocka_unit_test(next_link_always_present),
    cmocka_unit_test(all_pages_reachable),
    cmocka_unit_test(every_variety_occurs),
    cmocka_unit_test(html_matches_links),
    cmocka_unit_test(truncates_like_snprintf),
    cmocka_unit_test(body_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
