/* test_crawl.c: the crawler's URL normalisation, its edges against the site's own link graph on every backend, and the file, queue and faulty-http runs through the CLI. */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/stat.h>
#include <unistd.h>
#include <cmocka.h>
#include <cjson/cJSON.h>
#include "site.h"
#include "testutil.h"
#include "util.h"

#include "url.h"

static const char *const backends[] = { "sync", "threads", "fork", "uv" };
#define NBACKENDS 4

/* ---- normalisation ----------------------------------------------------------------------- */

#define BASE "http://127.0.0.1:8080/site/3.html"
#define ORIGIN "http://127.0.0.1:8080"

typedef struct norm_case {
  const char *href;
  const char *want;            /* NULL: skipped (-1) */
} norm_case;

/* Every case is tried; the failures are listed together. */
static void check_norm(const char *base, const norm_case *cs, size_t n) {
  int bad = 0;
  for (size_t i = 0; i < n; i++) {
    char out[256];
    memset(out, 0, sizeof out);
    int rc = cb_url_resolve(base, cs[i].href, strlen(cs[i].href), out, sizeof out);
    if (!cs[i].want) {
      if (rc != -1) {
        print_error("href \"%s\" on %s: want skipped (-1), got %d \"%s\"\n", cs[i].href, base, rc, out);
        bad++;
      }
    } else if (rc != 0 || strcmp(out, cs[i].want) != 0) {
      print_error("href \"%s\" on %s: want \"%s\", got %d \"%s\"\n", cs[i].href, base, cs[i].want, rc, rc == 0 ? out : "");
      bad++;
    }
  }
  assert_int_equal(bad, 0);
}

static void normalize_spellings(void **state) {
  static const norm_case cs[] = {
    { "5.html", ORIGIN "/site/5.html" },
    { "./5.html", ORIGIN "/site/5.html" },
    { "../site/5.html", ORIGIN "/site/5.html" },
    { "/site/5.html", ORIGIN "/site/5.html" },
    { "http://127.0.0.1:8080/site/5.html", ORIGIN "/site/5.html" },
    { "//127.0.0.1:8080/site/5.html", ORIGIN "/site/5.html" },
    { "//Example.COM/x", "http://example.com/x" },
    { "http://example.invalid/7", "http://example.invalid/7" },
    { "HTTP://EXAMPLE.Invalid/Path/X.html", "http://example.invalid/Path/X.html" },
    { "http://Example.INVALID:8080", "http://example.invalid:8080/" },
    { "a/b/../c.html", ORIGIN "/site/a/c.html" },
    { "a/./b.html", ORIGIN "/site/a/b.html" },
    { ".", ORIGIN "/site/" },
    { "..", ORIGIN "/" },
    { "./", ORIGIN "/site/" },
  };
  check_norm(BASE, cs, sizeof cs / sizeof cs[0]);
}

static void normalize_fragments_and_queries(void **state) {
  static const norm_case cs[] = {
    { "5.html#s3", ORIGIN "/site/5.html" },
    { "/site/5.html#", ORIGIN "/site/5.html" },
    { "http://example.invalid/7#top", "http://example.invalid/7" },
    { "5.html?a=1&b=2", ORIGIN "/site/5.html?a=1&b=2" },
    { "5.html?a=1#frag", ORIGIN "/site/5.html?a=1" },
    { "5.html?next=/a/../b", ORIGIN "/site/5.html?next=/a/../b" },   /* a query is not a path */
    { "../5.html?x=.", ORIGIN "/5.html?x=." },
  };
  check_norm(BASE, cs, sizeof cs / sizeof cs[0]);
}

static void normalize_whitespace(void **state) {
  static const norm_case cs[] = {
    { "  5.html  ", ORIGIN "/site/5.html" },
    { "\t5.html\n", ORIGIN "/site/5.html" },
    { "\n  ./5.html \t", ORIGIN "/site/5.html" },
    { " http://example.invalid/3 ", "http://example.invalid/3" },
    { " 5.html #frag", ORIGIN "/site/5.html" },
  };
  check_norm(BASE, cs, sizeof cs / sizeof cs[0]);
}

static void normalize_skips(void **state) {
  char longest[400];
  memset(longest, 'a', sizeof longest - 1);
  longest[sizeof longest - 1] = '\0';
  const norm_case cs[] = {
    { "mailto:someone@example.invalid", NULL },
    { "MAILTO:someone@example.invalid", NULL },
    { "javascript:void(0)", NULL },
    { "ftp://example.invalid/file", NULL },
    { "", NULL },
    { "   ", NULL },
    { " \t\n", NULL },
    { longest, NULL },
  };
  check_norm(BASE, cs, sizeof cs / sizeof cs[0]);
  /* A fragment alone names this very page: skipped, or this page. */
  char out[256];
  int rc = cb_url_resolve(BASE, "#top", 4, out, sizeof out);
  assert_true(rc == -1 || (rc == 0 && strcmp(out, BASE) == 0));
  /* Too long for the caller's buffer: skipped, never cut short. */
  rc = cb_url_resolve(BASE, "5.html", 6, out, 20);
  assert_int_equal(rc, -1);
  rc = cb_url_resolve(BASE, "5.html", 6, out, strlen(ORIGIN "/site/5.html"));
  assert_int_equal(rc, -1);
  rc = cb_url_resolve(BASE, "5.html", 6, out, strlen(ORIGIN "/site/5.html") + 1);
  assert_int_equal(rc, 0);
  assert_string_equal(out, ORIGIN "/site/5.html");
}

static void normalize_parent_beyond_root(void **state) {
  static const norm_case cs[] = {
    { "../../../../x.html", ORIGIN "/x.html" },
    { "/../../x.html", ORIGIN "/x.html" },
    { "../..", ORIGIN "/" },
    { "../../..", ORIGIN "/" },
    { "http://example.invalid/../a/../../b", "http://example.invalid/b" },
  };
  check_norm(BASE, cs, sizeof cs / sizeof cs[0]);
}

/* Only len bytes are the href: what follows in memory is not read. */
static void normalize_honours_len(void **state) {
  const char *attr = "5.html\" class=\"x\">page 5</a>";
  char out[256];
  assert_int_equal(cb_url_resolve(BASE, attr, 6, out, sizeof out), 0);
  assert_string_equal(out, ORIGIN "/site/5.html");
  const char *frag = "7.html#a\">";
  assert_int_equal(cb_url_resolve(BASE, frag, 8, out, sizeof out), 0);
  assert_string_equal(out, ORIGIN "/site/7.html");
}

/* RFC 3986 section 5 reference resolution beyond what the synthetic site spells: a carriage
 * return around an href is whitespace as HTML strips it, a query-only reference keeps the base's
 * path, and a slash inside the base's query is not a directory. */
static void normalize_rfc3986_edges(void **state) {
  static const norm_case cs[] = {
    { " \r\n5.html\r\n", ORIGIN "/site/5.html" },
    { "?page=2", ORIGIN "/site/3.html?page=2" },
  };
  static const norm_case cq[] = {
    { "5.html", ORIGIN "/site/5.html" },
  };
  int bad = 0;
  for (size_t i = 0; i < 2; i++) {
    char out[256] = "";
    int rc = cb_url_resolve(BASE, cs[i].href, strlen(cs[i].href), out, sizeof out);
    if (rc != 0 || strcmp(out, cs[i].want) != 0) {
      print_error("href \"%s\" on %s: want \"%s\", got %d \"%s\"\n", cs[i].href, BASE, cs[i].want, rc, out);
      bad++;
    }
  }
  char out[256] = "";
  int rc = cb_url_resolve(ORIGIN "/site/3.html?from=/x/y", cq[0].href, 6, out, sizeof out);
  if (rc != 0 || strcmp(out, cq[0].want) != 0) {
    print_error("href \"%s\" on %s: want \"%s\", got %d \"%s\"\n", cq[0].href, ORIGIN "/site/3.html?from=/x/y", cq[0].want, rc, out);
    bad++;
  }
  assert_int_equal(bad, 0);
}

/* ---- running the CLI ------------------------------------------------------------------------- */

typedef struct clifx {
  tu_cli cli;                  /* CB_BIN run, leader of its own process group, TMPDIR=tmp */
  char tmp[96];                /* TMPDIR given to the child */
  char env_tmp[128];           /* "TMPDIR=" tmp */
  const char *env[2];
} clifx;

static int clifx_setup(void **state) {
  clifx *c = tu_cli_new(sizeof *c, "crawl");
  if (!c) return -1;
  snprintf(c->tmp, sizeof c->tmp, "%s/tmp", c->cli.dir);
  if (mkdir(c->tmp, 0700) != 0) return -1;
  snprintf(c->env_tmp, sizeof c->env_tmp, "TMPDIR=%s", c->tmp);
  c->env[0] = c->env_tmp;
  c->cli.opts.sub = "run";
  c->cli.opts.env = c->env;
  c->cli.opts.group = 1;
  c->cli.timeout_ms = 60000;
  *state = c;
  return 0;
}

/* Kill whatever of the run is left (its process group) and reap every child of ours. */
static void reap_all(clifx *c) {
  if (c->cli.cmd.pid > 0) kill(-c->cli.cmd.pid, SIGKILL);
  c->cli.cmd.pid = 0;
  tu_reap();
}

static int clifx_teardown(void **state) {
  clifx *c = *state;
  reap_all(c);
  int rc = tu_cli_fini(&c->cli);
  free(c);
  return rc;
}

static cJSON *json_load(const clifx *c) {
  char path[160];
  snprintf(path, sizeof path, "%s/results.json", c->cli.out);
  return tu_load_json(path);
}

/* ---- the crawl against the site's own graph ------------------------------------------------- */

typedef struct lines {
  char **v;
  size_t n, cap;
} lines;

static void lines_add(lines *l, const char *s) {
  if (l->n == l->cap) {
    l->cap = l->cap ? l->cap * 2 : 256;
    l->v = realloc(l->v, l->cap * sizeof *l->v);
    assert_non_null(l->v);
  }
  l->v[l->n] = strdup(s);
  assert_non_null(l->v[l->n]);
  l->n++;
}

static void lines_free(lines *l) {
  for (size_t i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  memset(l, 0, sizeof *l);
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

typedef struct graph {
  lines edges;                 /* "src\tdst", sorted */
  uint32_t reachable;          /* existing pages reached from page 0 */
  uint32_t missing;            /* distinct missing targets linked from them */
} graph;

static void link_url(const cb_site_link *l, unsigned port, char *out, size_t cap) {
  if (l->kind == CB_LINK_EXTERNAL) snprintf(out, cap, "http://example.invalid/%u", l->target);
  else snprintf(out, cap, "http://127.0.0.1:%u/site/%u.html", port, l->target);
}

/* Breadth-first from page 0 over PAGE links; every reached page's distinct targets, mailto:
 * aside. */
static void site_graph(const cb_site *s, unsigned port, graph *g) {
  uint32_t *todo = calloc(s->pages, sizeof *todo);
  char *seen = calloc(s->pages, 1);
  cb_site_link *ls = calloc(s->links, sizeof *ls);
  uint32_t missing[64];
  uint32_t head = 0, tail = 0;
  assert_true(todo && seen && ls);
  memset(g, 0, sizeof *g);
  todo[tail++] = 0;
  seen[0] = 1;
  while (head < tail) {
    uint32_t i = todo[head++];
    char src[128], dsts[64][128], line[300];
    unsigned nd = 0;
    snprintf(src, sizeof src, "http://127.0.0.1:%u/site/%u.html", port, i);
    assert_int_equal(cb_site_links(s, i, ls, s->links), s->links);
    for (unsigned k = 0; k < s->links; k++) {
      const cb_site_link *l = &ls[k];
      if (l->kind == CB_LINK_MAILTO) continue;
      if (l->kind == CB_LINK_PAGE && l->target < s->pages && !seen[l->target]) {
        seen[l->target] = 1;
        todo[tail++] = l->target;
      }
      if (l->kind == CB_LINK_MISSING) {
        uint32_t m = 0;
        while (m < g->missing && missing[m] != l->target) m++;
        if (m == g->missing) {
          assert_true(g->missing < 64);
          missing[g->missing++] = l->target;
        }
      }
      char dst[128];
      link_url(l, port, dst, sizeof dst);
      unsigned d = 0;
      while (d < nd && strcmp(dsts[d], dst) != 0) d++;
      if (d < nd) continue;
      snprintf(dsts[nd++], sizeof dsts[0], "%s", dst);
      snprintf(line, sizeof line, "%s\t%s", src, dst);
      lines_add(&g->edges, line);
    }
  }
  g->reachable = tail;
  qsort(g->edges.v, g->edges.n, sizeof *g->edges.v, cmp_str);
  free(todo);
  free(seen);
  free(ls);
}

/* DIR/output/crawl-<backend>-*.tsv */
static char *find_tsv(const clifx *c, const char *backend) {
  char dir[160], prefix[64];
  snprintf(dir, sizeof dir, "%s/output", c->cli.out);
  snprintf(prefix, sizeof prefix, "crawl-%s-", backend);
  DIR *d = opendir(dir);
  char *path = NULL;
  assert_non_null(d);
  for (struct dirent *e; (e = readdir(d));) {
    size_t l = strlen(e->d_name);
    if (strncmp(e->d_name, prefix, strlen(prefix)) == 0 && l > 4 && strcmp(e->d_name + l - 4, ".tsv") == 0) {
      assert_null(path);        /* one per backend */
      path = malloc(strlen(dir) + l + 2);
      assert_non_null(path);
      sprintf(path, "%s/%s", dir, e->d_name);
    }
  }
  closedir(d);
  if (!path) fail_msg("no output file for %s in %s", backend, dir);
  return path;
}

static void check_crawl_run(clifx *c, const cb_site *site, const char *const *bes, int nbes) {
  tu_csv t;
  tu_csv_results(&t, c->cli.out);
  assert_int_equal(t.nrows, nbes);
  const char *checksum = NULL;
  graph g = { 0 };
  unsigned port = 0;
  for (int b = 0; b < nbes; b++) {
    char *path = find_tsv(c, bes[b]);
    size_t len;
    char *text = cb_read_file(path, &len);
    assert_non_null(text);
    if (!port) {
      assert_int_equal(sscanf(text, "http://127.0.0.1:%u/", &port), 1);
      site_graph(site, port, &g);
    }
    size_t off = 0;
    for (size_t i = 0; i < g.edges.n; i++) {
      size_t l = strlen(g.edges.v[i]);
      if (off + l + 1 > len || memcmp(text + off, g.edges.v[i], l) != 0 || text[off + l] != '\n')
        fail_msg("%s: edge %zu of %zu: want \"%s\", got \"%.*s\"", bes[b], i, g.edges.n, g.edges.v[i],
                 (int)strcspn(text + (off < len ? off : len), "\n"), text + (off < len ? off : len));
      off += l + 1;
    }
    if (off != len) fail_msg("%s: %zu bytes after the %zu edges expected: \"%.60s\"", bes[b], len - off, g.edges.n, text + off);
    free(text);
    free(path);
  }
  print_message("site pages=%u links=%u seed=%llu: %u pages reached, %u missing targets, %zu edges\n", site->pages,
                site->links, (unsigned long long)site->seed, g.reachable, g.missing, g.edges.n);
  for (int r = 0; r < t.nrows; r++) {
    assert_string_equal(tu_csv_get(&t, r, "workload"), "crawl");
    assert_string_equal(tu_csv_get(&t, r, "errors"), "0");
    assert_int_equal(strtoull(tu_csv_get(&t, r, "tasks"), NULL, 10), g.reachable + g.missing);
    assert_int_equal(strtoull(tu_csv_get(&t, r, "not_found"), NULL, 10), g.missing);
    if (!checksum) checksum = tu_csv_get(&t, r, "checksum");
    assert_string_equal(tu_csv_get(&t, r, "checksum"), checksum);
  }
  lines_free(&g.edges);
  tu_csv_free(&t);
}

static void crawl_matches_site_graph(void **state) {
  clifx *c = *state;
  tu_need_bin(c->cli.bin);
  cb_site site = { .pages = 50, .links = 8, .seed = 7 };
  TU_RUN(&c->cli, "-b", "sync,threads,fork,uv", "-w", "crawl", "-c", "8", "-p", "pages=50", "-p", "links=8", "-p",
      "seed=7", "-r", "1", "-q", "-o", "@OUT");
  tu_expect_exit(&c->cli.cmd, 0);
  check_crawl_run(c, &site, backends, NBACKENDS);
}

/* The visited set is made for exactly the URLs the crawl will see: a site whose count of them is
 * a power of two fills it to the brim, and the crawl must still end cleanly. */
static void crawl_power_of_two_urls(void **state) {
  clifx *c = *state;
  tu_need_bin(c->cli.bin);
  cb_site site = { .links = 8, .seed = 7 };
  graph g = { 0 };
  uint32_t urls = 0;
  for (site.pages = 20; site.pages < 64; site.pages++) {
    site_graph(&site, 1, &g);
    urls = g.reachable + g.missing;
    lines_free(&g.edges);
    if ((urls & (urls - 1)) == 0) break;
  }
  assert_true(site.pages < 64);
  char pages[32];
  snprintf(pages, sizeof pages, "pages=%u", site.pages);
  TU_RUN(&c->cli, "-b", "sync,uv", "-w", "crawl", "-c", "4", "-p", pages, "-p", "links=8", "-p", "seed=7", "-r", "1",
         "-q", "-o", "@OUT");
  if (c->cli.cmd.status != 0) {
    cJSON *j = json_load(c), *k;
    cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(j, "cases")) {
      char *s = cJSON_PrintUnformatted(cJSON_GetObjectItemCaseSensitive(k, "errors_by_kind"));
      print_error("%s, %s, %u URLs: errors_by_kind %s\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "backend")),
                  pages, urls, s);
      free(s);
    }
    cJSON_Delete(j);
  }
  tu_expect_exit(&c->cli.cmd, 0);
  static const char *const two[] = { "sync", "uv" };
  check_crawl_run(c, &site, two, 2);
}

/* ---- file and queue ------------------------------------------------------------------------- */

static void file_and_queue(void **state) {
  clifx *c = *state;
  tu_need_bin(c->cli.bin);
  TU_RUN(&c->cli, "-b", "sync,threads,fork,uv", "-w", "file,queue", "-n", "40", "-c", "8", "-r", "1", "-q", "-o",
         "@OUT");
  tu_expect_exit(&c->cli.cmd, 0);
  if (tu_dir_entries(c->tmp, NULL) != 0) fail_msg("the run left %d entries in its TMPDIR %s", tu_dir_entries(c->tmp, NULL), c->tmp);

  tu_csv t;
  tu_csv_results(&t, c->cli.out);
  assert_int_equal(t.nrows, 2 * NBACKENDS);
  static const char *const wls[] = { "file", "queue" };
  for (int w = 0; w < 2; w++) {
    const char *sum = NULL;
    int rows = 0;
    for (int r = 0; r < t.nrows; r++) {
      if (strcmp(tu_csv_get(&t, r, "workload"), wls[w]) != 0) continue;
      rows++;
      assert_string_equal(tu_csv_get(&t, r, "errors"), "0");
      if (!sum) sum = tu_csv_get(&t, r, "checksum");
      if (strcmp(sum, tu_csv_get(&t, r, "checksum")) != 0)
        fail_msg("%s: checksum %s on %s differs from %s", wls[w], tu_csv_get(&t, r, "checksum"), tu_csv_get(&t, r, "backend"), sum);
    }
    assert_int_equal(rows, NBACKENDS);
  }
  tu_csv_free(&t);

  cJSON *j = json_load(c);
  cJSON *cases = cJSON_GetObjectItemCaseSensitive(j, "cases"), *k;
  int queues = 0;
  cJSON_ArrayForEach(k, cases) {
    const char *wl = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "workload"));
    const char *be = cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "backend"));
    assert_non_null(wl);
    assert_non_null(be);
    if (strcmp(wl, "queue") != 0) continue;
    queues++;
    cJSON *note = cJSON_GetObjectItemCaseSensitive(k, "serial_note");
    if (strcmp(be, "sync") == 0) {
      assert_true(cJSON_IsString(note));
      assert_true(strlen(note->valuestring) > 10);
    } else {
      assert_null(note);
    }
    cJSON *p = cJSON_GetObjectItemCaseSensitive(k, "params");
    double producers = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "producers"));
    double items = cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(p, "items"));
    assert_true(producers >= 1 && items >= 1);
    cJSON *rep = cJSON_GetArrayItem(cJSON_GetObjectItemCaseSensitive(k, "repetitions"), 0);
    cJSON *m = cJSON_GetObjectItemCaseSensitive(cJSON_GetObjectItemCaseSensitive(rep, "metrics"), "items_consumed");
    assert_true(cJSON_IsNumber(m));
    if (m->valuedouble != producers * items)
      fail_msg("queue on %s consumed %g items, want %g x %g", be, m->valuedouble, producers, items);
  }
  assert_int_equal(queues, NBACKENDS);
  cJSON_Delete(j);
}

/* ---- injected faults, and nothing left running ------------------------------------------------ */

static void faults_are_counted_in_bounded_time(void **state) {
  clifx *c = *state;
  tu_need_bin(c->cli.bin);
  assert_int_equal(prctl(PR_SET_CHILD_SUBREAPER, 1), 0);
  /* A 1 s deadline: long enough that a request the faults spared never misses it under a
   * sanitizer on a busy machine (stalls of 300 ms were seen there), short enough to end stalls. */
  TU_RUN(&c->cli, "-b", "threads,uv", "-w", "http", "-n", "60", "-c", "10", "-p", "fault_rate=0.5", "-p",
      "timeout_ms=1000", "-r", "1", "-q", "-o", "@OUT");
  /* Processes that are ours or the run's: a parent that is this process (orphans come to us: we
   * are a subreaper), or the run's process group; dying ones get up to a second. */
  const tu_procq run = { .ppid = getpid(), .pgid = c->cli.cmd.pid, .zombies = 1 };
  char what[1024];
  int left = tu_lingering(&run, 1000, what, sizeof what);
  prctl(PR_SET_CHILD_SUBREAPER, 0);
  print_message("faulty run: exit %d after %lld ms\n", c->cli.cmd.status, (long long)c->cli.cmd.took_ms);
  if (left) fail_msg("%d process(es) of the run left behind:%s", left, what);
  /* README and `run --help`: errors asked for with fault_rate are results, not a failed check. */
  tu_expect_exit(&c->cli.cmd, 0);
  assert_true(c->cli.cmd.took_ms < 20000);

  tu_csv t;
  tu_csv_results(&t, c->cli.out);
  assert_int_equal(t.nrows, 2);
  const char *e1 = tu_csv_get(&t, 0, "errors"), *e2 = tu_csv_get(&t, 1, "errors");
  unsigned long long errors = strtoull(e1, NULL, 10);
  print_message("errors: %s %s, %s %s\n", tu_csv_get(&t, 0, "backend"), e1, tu_csv_get(&t, 1, "backend"), e2);
  assert_true(errors > 0 && errors < 60);
  assert_string_equal(e1, e2);
  /* The same tasks failed on both, so the others add up to the same checksum. */
  assert_string_equal(tu_csv_get(&t, 0, "checksum"), tu_csv_get(&t, 1, "checksum"));
  tu_csv_free(&t);

  cJSON *j = json_load(c), *k;
  cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(j, "cases")) {
    cJSON *kinds = cJSON_GetObjectItemCaseSensitive(k, "errors_by_kind"), *e;
    double total = 0;
    cJSON_ArrayForEach(e, kinds) total += e->valuedouble;
    char *s = cJSON_PrintUnformatted(kinds);
    print_message("%s errors_by_kind: %s\n", cJSON_GetStringValue(cJSON_GetObjectItemCaseSensitive(k, "backend")), s);
    free(s);
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(kinds, "EHTTP5XX")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(kinds, "ETIMEDOUT")));
    assert_true(cJSON_IsNumber(cJSON_GetObjectItemCaseSensitive(kinds, "ECONNRESET")));
    assert_true(total == (double)errors);
  }
  cJSON_Delete(j);
}

/* Errors nobody asked for still fail the run when fault_rate is given: here no task is chosen for
 * a fault (a rate of one in a million, 20 tasks), but every one times out (10 ms against a 50 ms
 * server delay). */
static void unasked_errors_fail_a_fault_run(void **state) {
  clifx *c = *state;
  tu_need_bin(c->cli.bin);
  TU_RUN(&c->cli, "-b", "threads,uv", "-w", "http", "-n", "20", "-c", "5", "-p", "delay_ms=50", "-p", "timeout_ms=10",
      "-p", "fault_rate=0.000001", "-r", "1", "-q", "-o", "@OUT");
  tu_csv t;
  tu_csv_results(&t, c->cli.out);
  for (int r = 0; r < t.nrows; r++) assert_string_equal(tu_csv_get(&t, r, "errors"), "20");
  tu_csv_free(&t);
  cJSON *j = json_load(c), *k;
  cJSON_ArrayForEach(k, cJSON_GetObjectItemCaseSensitive(j, "cases")) {
    cJSON *kinds = cJSON_GetObjectItemCaseSensitive(k, "errors_by_kind");
    assert_int_equal(cJSON_GetNumberValue(cJSON_GetObjectItemCaseSensitive(kinds, "ETIMEDOUT")), 20);
  }
  cJSON_Delete(j);
  tu_expect_exit(&c->cli.cmd, 1);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(normalize_spellings),
    cmocka_unit_test(normalize_fragments_and_queries),
    cmocka_unit_test(normalize_whitespace),
    cmocka_unit_test(normalize_skips),
    cmocka_unit_test(normalize_parent_beyond_root),
    cmocka_unit_test(normalize_honours_len),
    cmocka_unit_test(normalize_rfc3986_edges),
    cmocka_unit_test_setup_teardown(crawl_matches_site_graph, clifx_setup, clifx_teardown),
    cmocka_unit_test_setup_teardown(crawl_power_of_two_urls, clifx_setup, clifx_teardown),
    cmocka_unit_test_setup_teardown(file_and_queue, clifx_setup, clifx_teardown),
    cmocka_unit_test_setup_teardown(faults_are_counted_in_bounded_time, clifx_setup, clifx_teardown),
    cmocka_unit_test_setup_teardown(unasked_errors_fail_a_fault_run, clifx_setup, clifx_teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
