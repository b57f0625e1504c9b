/* test_escape.c: cmocka tests of the escapers every writer uses (terminal, markdown, HTML), fuzzed with random bytes, and of the commands on a results file whose names are crafted to break them. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>
#include <sys/stat.h>
#include <cjson/cJSON.h>
#include "escape.h"
#include "stats.h"
#include "testutil.h"

#define NFUZZ 5000

/* Pieces a crafted name would carry, spliced among random bytes. */
static const char *const pieces[] = { "\n| x |", "<script>", "\x1b]0;PWN\a", "\x1b[2J", "\r", "|", "\\", "&amp;",
                                      "#", ">", "`", "\xc2\x9b", "\xff\xfe", "\xe2\x82", "\xed\xa0\x80", "é", "\x7f",
                                      "\x85", "**", "[x](y)" };

/* A random NUL-terminated string of up to 63 bytes into buf. */
static void random_string(cb_rng *g, char *buf) {
  size_t n = (size_t)cb_rng_below(g, 64), k = 0;
  while (k < n) {
    if (cb_rng_below(g, 4) == 0) {
      const char *p = pieces[cb_rng_below(g, sizeof pieces / sizeof *pieces)];
      size_t l = strlen(p);
      if (k + l > n) break;
      memcpy(buf + k, p, l);
      k += l;
    } else {
      buf[k++] = (char)(1 + cb_rng_below(g, 255));   /* any byte but NUL */
    }
  }
  buf[k] = '\0';
}

/* s is valid UTF-8 with no control character (C0, DEL, C1) but those allowed. */
static void assert_clean(const char *s, const char *allowed) {
  const unsigned char *u = (const unsigned char *)s;
  while (*u) {
    if (*u < 0x80) {
      if ((*u < 0x20 || *u == 0x7f) && !strchr(allowed, *u)) fail_msg("raw control byte 0x%02x in \"%s\"", *u, s);
      u++;
      continue;
    }
    int n = *u >= 0xf0 ? 4 : *u >= 0xe0 ? 3 : *u >= 0xc2 ? 2 : 0;
    if (n == 0) fail_msg("a byte that is not UTF-8 (0x%02x) in output", *u);
    for (int i = 1; i < n; i++)
      if ((u[i] & 0xc0) != 0x80) fail_msg("a broken UTF-8 sequence in output");
    if (n == 2 && *u == 0xc2 && u[1] < 0xa0) fail_msg("a raw C1 control in output");
    u += n;
  }
}

/* The character at i is preceded by an odd number of backslashes (it is escaped). */
static int escaped_at(const char *s, size_t i) {
  size_t k = 0;
  while (k < i && s[i - 1 - k] == '\\') k++;
  return k % 2 == 1;
}

static void fuzz_term(void **state) {
  (void)state;
  cb_rng g;
  char in[64], small[24];
  cb_rng_seed(&g, 13);
  for (int t = 0; t < NFUZZ; t++) {
    random_string(&g, in);
    cb_sbuf b = { 0 };
    cb_sb_term(&b, in);
    assert_false(b.oom);
    assert_clean(b.p ? b.p : "", "");
    /* The fixed-buffer form: a prefix of the whole, cut between two escapes, and as clean. */
    cb_term(in, small, sizeof small);
    assert_true(strlen(small) < sizeof small);
    assert_memory_equal(small, b.p ? b.p : "", strlen(small));
    assert_clean(small, "");
    cb_sb_free(&b);
  }
}

static void fuzz_md(void **state) {
  (void)state;
  cb_rng g;
  char in[64];
  cb_rng_seed(&g, 14);
  for (int t = 0; t < NFUZZ; t++) {
    random_string(&g, in);
    cb_sbuf b = { 0 };
    cb_sb_put(&b, "", 0);
    cb_sb_md(&b, in);
    const char *s = b.p;
    assert_clean(s, "");
    /* In a cell: no row break, and no pipe, '<', '&', backtick or bracket left unescaped. */
    for (size_t i = 0; s[i]; i++)
      if (strchr("|<&`[]*", s[i])) assert_true(escaped_at(s, i));
    assert_null(strchr(s, '\n'));
    if (s[0] == '#' || s[0] == '>') fail_msg("a leading %c unescaped", s[0]);
    cb_sb_free(&b);
  }
}

static void fuzz_html(void **state) {
  (void)state;
  cb_rng g;
  char in[64];
  cb_rng_seed(&g, 15);
  for (int t = 0; t < NFUZZ; t++) {
    random_string(&g, in);
    cb_sbuf b = { 0 };
    cb_sb_put(&b, "", 0);
    cb_sb_html(&b, in);
    const char *s = b.p;
    assert_clean(s, "\n\t");
    assert_null(strpbrk(s, "<>\"'"));
    /* Every & starts one of the entities the escaper writes. */
    for (const char *a = strchr(s, '&'); a; a = strchr(a + 1, '&'))
      assert_true(!strncmp(a, "&amp;", 5) || !strncmp(a, "&lt;", 4) || !strncmp(a, "&gt;", 4) ||
                  !strncmp(a, "&quot;", 6) || !strncmp(a, "&#39;", 5));
    cb_sb_free(&b);
  }
}

/* What each escaper makes of the crafted names, exactly. */
static void known_strings(void **state) {
  (void)state;
  char buf[128];
  assert_string_equal(cb_term("\x1b]0;PWN\a\x1b[2J", buf, sizeof buf), "\\x1b]0;PWN\\x07\\x1b[2J");
  assert_string_equal(cb_term("a\n| x |\r\t\x7f", buf, sizeof buf), "a\\n| x |\\r\\t\\x7f");
  assert_string_equal(cb_term("\xc2\x9b" "2J é \xff", buf, sizeof buf), "\\u009b2J é \\xff");
  assert_string_equal(cb_term("\x1b\x1b", buf, 6), "\\x1b");   /* cut before the second escape */
  cb_sbuf b = { 0 };
  cb_sb_md(&b, "# a\n| x | <script> & `c` > d\\");
  assert_string_equal(b.p, "\\# a \\| x \\| \\<script> \\& \\`c\\` > d\\\\");
  b.len = 0;
  cb_sb_html(&b, "<script>alert('x\"&')</script>\x1b");
  assert_string_equal(b.p, "&lt;script&gt;alert(&#39;x&quot;&amp;&#39;)&lt;/script&gt;\\x1b");
  cb_sb_free(&b);
}

/* ---- the commands on crafted names -------------------------------------------------------- */

#define EVIL_WL "sleep\n| x |"
#define EVIL_BE "<script>"
#define EVIL_PS "delay_ms=10\x1b]0;PWN\a\x1b[2J"

/* Nothing the commands print may carry a raw control character but the newlines ending lines. */
static void assert_no_controls(const char *s) {
  for (const unsigned char *u = (const unsigned char *)s; *u; u++)
    if ((*u < 0x20 && *u != '\n') || *u == 0x7f) fail_msg("raw control byte 0x%02x in output:\n%s", *u, s);
}

/* Markdown with no tag: every '<' carries its backslash. */
static void assert_no_tag(const char *s) {
  for (const char *p = strchr(s, '<'); p; p = strchr(p + 1, '<'))
    if (!escaped_at(s, (size_t)(p - s))) fail_msg("an unescaped '<' in:\n%s", s);
}

/* The fixture's cases renamed: workload, backend and parameters crafted. */
static void write_evil(const char *dir) {
  cJSON *root = tu_load_json(TU_FIXTURE), *c;
  char path[256];
  cJSON_ArrayForEach(c, cJSON_GetObjectItemCaseSensitive(root, "cases")) {
    cJSON_ReplaceItemInObjectCaseSensitive(c, "workload", cJSON_CreateString(EVIL_WL));
    cJSON_ReplaceItemInObjectCaseSensitive(c, "backend", cJSON_CreateString(EVIL_BE));
    char ps[128];
    cJSON *p = cJSON_GetObjectItemCaseSensitive(c, "params_str");
    snprintf(ps, sizeof ps, "%s%s", p && cJSON_IsString(p) ? p->valuestring : "", "\x1b]0;PWN\a\x1b[2J");
    cJSON_ReplaceItemInObjectCaseSensitive(c, "params_str", cJSON_CreateString(ps));
  }
  assert_int_equal(mkdir(dir, 0755), 0);
  snprintf(path, sizeof path, "%s/results.json", dir);
  tu_save_json(path, root);
  cJSON_Delete(root);
}

static void crafted_names(void **state) {
  tu_cli *c = *state;
  tu_need_bin(c->bin);
  char a[128], b[128], m[128], md[160], html[160];
  snprintf(a, sizeof a, "%s/a", c->dir);
  snprintf(b, sizeof b, "%s/b", c->dir);
  snprintf(m, sizeof m, "%s/m", c->dir);
  write_evil(a);
  write_evil(b);

  TU_RUN(c, "compare", a, b);
  tu_expect_exit(&c->cmd, 0);
  assert_no_controls(c->cmd.so);
  assert_no_controls(c->cmd.se);
  tu_expect_in(c->cmd.so, "sleep\\n| x |/<script>");
  tu_expect_in(c->cmd.so, "\\x1b]0;PWN\\x07\\x1b[2J");

  TU_RUN(c, "compare", "--format", "md", a, b);
  tu_expect_exit(&c->cmd, 0);
  assert_no_controls(c->cmd.so);
  assert_no_tag(c->cmd.so);
  tu_expect_in(c->cmd.so, "sleep \\| x \\|/\\<script>");
  /* Every table row keeps the header's seven pipes: none from the names. */
  size_t rows = 0;
  for (const char *p = strstr(c->cmd.so, "\n| "); p; p = strstr(p + 1, "\n| ")) {
    size_t n = 0, len = strcspn(p + 1, "\n");
    for (size_t k = 0; k < len; k++) n += p[1 + k] == '|' && !escaped_at(p + 1, k);
    assert_int_equal(n, 7);
    rows++;
  }
  assert_true(rows > 1);

  TU_RUN(c, "export", "--format", "md", a);
  tu_expect_exit(&c->cmd, 0);
  assert_no_controls(c->cmd.so);
  assert_no_tag(c->cmd.so);
  size_t want = 0;
  for (const char *p = strstr(c->cmd.so, "\n|"); p; p = strstr(p + 1, "\n|")) {
    size_t n = 0, len = strcspn(p + 1, "\n");
    for (size_t k = 0; k < len; k++) n += p[1 + k] == '|' && !escaped_at(p + 1, k);
    if (!want) want = n;
    assert_int_equal(n, want);
  }
  assert_true(want > 2);

  /* merge refuses the two (the same cases twice): its error line shows the names. */
  TU_RUN(c, "merge", "-o", m, a, b);
  assert_no_controls(c->cmd.so);
  assert_no_controls(c->cmd.se);

  TU_RUN(c, "report", a);
  tu_expect_exit(&c->cmd, 0);
  assert_no_controls(c->cmd.so);
  snprintf(html, sizeof html, "%s/report.html", a);
  snprintf(md, sizeof md, "%s/report.md", a);
  char *h = tu_read_file(html, NULL), *d = tu_read_file(md, NULL);
  tu_expect_not_in(h, "<script>");
  tu_expect_in(h, "&lt;script&gt;");
  tu_expect_not_in(h, "\x1b");
  tu_expect_not_in(d, "\x1b");
  tu_expect_in(d, "\\<script>");
  free(h);
  free(d);
}

static int setup(void **state) { return tu_cli_setup(state, "escape"); }
static int teardown(void **state) { return tu_cli_teardown(state); }

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(fuzz_term),
    cmocka_unit_test(fuzz_md),
    cmocka_unit_test(fuzz_html),
    cmocka_unit_test(known_strings),
    cmocka_unit_test_setup_teardown(crafted_names, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
