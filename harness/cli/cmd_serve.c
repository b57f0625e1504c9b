/* cmd_serve.c: `concbench serve`: the target HTTP server on its own, for curl, wrk or any client. */
#include <errno.h>
#include <getopt.h>
#include <stdio.h>
#include <string.h>
#include "cmd.h"
#include "server.h"
#include "util.h"

#define MAX_PAGES 100000000ull
#define MAX_LINKS 10000ull

static const char serve_usage[] =
  "usage: concbench serve [--host ADDR] [--port P] [--site-pages N] [--site-links K] [--site-seed S]\n"
  "                       [--fault-rate F] [--fault-seed S] [--quiet]\n"
  "\n"
  "Serves until SIGINT or SIGTERM:\n"
  "  GET /bytes/N?delay_ms=D    N bytes (up to 64 MiB) after D ms\n"
  "  GET /site/I.html           page I of a deterministic synthetic site (links, 404s, duplicates)\n"
  "  GET /health                200 \"ok\"\n"
  "  ?fail=reset|500|stall      inject a fault into one request (after its delay)\n"
  "\n"
  "  -H, --host ADDR        address to listen on (default 127.0.0.1)\n"
  "      --port P           port, 0 for any free one (default 8080); -p is --param in run,\n"
  "                         so serve gives the port no short letter\n"
  "      --site-pages N     pages on the site (default 100)\n"
  "      --site-links K     links on each page (default 8)\n"
  "      --site-seed S      the site's seed (default 1)\n"
  "      --fault-rate F     share of requests, 0 to 1, that get a random fault (default 0)\n"
  "      --fault-seed S     seed of the fault sequence (default 1)\n"
  "  -q, --quiet            no URL line\n"
  "  -h, --help             this text\n"
  "\n"
  "Exit status: 0 stopped by a signal, 1 cannot listen, 2 bad usage (a host that is not an address).\n"
  "Example: concbench serve --port 8080 & wrk -t1 -c100 -d5s http://127.0.0.1:8080/bytes/64\n";

static int parse_count(const char *opt, const char *s, uint64_t lo, uint64_t hi, uint64_t *out) {
  if (cb_parse_u64(s, out) != 0) {
    cb_errorf("serve: %s '%s' is not a whole number; give one from %llu to %llu", opt, s,
              (unsigned long long)lo, (unsigned long long)hi);
    return -1;
  }
  if (*out < lo || *out > hi) {
    cb_errorf("serve: %s %s is out of range; give one from %llu to %llu", opt, s,
              (unsigned long long)lo, (unsigned long long)hi);
    return -1;
  }
  return 0;
}

int cb_cmd_serve(int argc, char **argv) {
  enum { O_PORT = 256, O_PAGES, O_LINKS, O_SEED, O_RATE, O_FSEED };
  static const struct option opts[] = {
    { "host", required_argument, NULL, 'H' },
    { "port", required_argument, NULL, O_PORT },
    { "site-pages", required_argument, NULL, O_PAGES },
    { "site-links", required_argument, NULL, O_LINKS },
    { "site-seed", required_argument, NULL, O_SEED },
    { "fault-rate", required_argument, NULL, O_RATE },
    { "fault-seed", required_argument, NULL, O_FSEED },
    { "quiet", no_argument, NULL, 'q' },
    { "help", no_argument, NULL, 'h' },
    { 0 },
  };
  cb_server_opts o = {
    .host = "127.0.0.1", .port = 8080,
    .site = { .pages = 100, .links = 8, .seed = 1 },
    .fault_rate = 0, .fault_seed = 1,
  };
  uint64_t v;
  int ch;
  optind = 1;
  opterr = 0;   /* our own one-line messages */
  while ((ch = getopt_long(argc, argv, ":H:qh", opts, NULL)) != -1) {
    switch (ch) {
    case 'H':
      if (!*optarg) { cb_errorf("serve: --host needs an address, e.g. --host 127.0.0.1"); return 2; }
      o.host = optarg;
      break;
    case O_PORT:
      if (parse_count("--port", optarg, 0, 65535, &v) != 0) return 2;
      o.port = (uint16_t)v;
      break;
    case O_PAGES:
      if (parse_count("--site-pages", optarg, 1, MAX_PAGES, &v) != 0) return 2;
      o.site.pages = (uint32_t)v;
      break;
    case O_LINKS:
      if (parse_count("--site-links", optarg, 1, MAX_LINKS, &v) != 0) return 2;
      o.site.links = (uint32_t)v;
      break;
    case O_SEED:
      if (cb_parse_u64(optarg, &o.site.seed) != 0) {
        cb_errorf("serve: --site-seed '%s' is not a whole number, e.g. --site-seed 1", optarg);
        return 2;
      }
      break;
    case O_RATE:
      if (cb_parse_double(optarg, &o.fault_rate) != 0 || !(o.fault_rate >= 0 && o.fault_rate <= 1)) {
        cb_errorf("serve: --fault-rate '%s' is not a share from 0 to 1, e.g. --fault-rate 0.05", optarg);
        return 2;
      }
      break;
    case O_FSEED:
      if (cb_parse_u64(optarg, &o.fault_seed) != 0) {
        cb_errorf("serve: --fault-seed '%s' is not a whole number, e.g. --fault-seed 1", optarg);
        return 2;
      }
      break;
    case 'q': o.quiet = 1; break;
    case 'h': fputs(serve_usage, stdout); return 0;
    case ':': cb_errorf("serve: %s needs a value; see concbench serve --help", argv[optind - 1]); return 2;
    default:
      /* -p means --param everywhere else; say where the port went rather than "unknown". */
      if (optopt == 'p') {
        cb_errorf("serve: -p is not an option of serve (it is run's --param); give the port as --port P");
        return 2;
      }
      cb_errorf("serve: unknown option '%s'; see concbench serve --help", argv[optind - 1]); return 2;
    }
  }
  if (optind < argc) {
    cb_errorf("serve: unexpected argument '%s'; options take the form --port 8080 (concbench serve --help)", argv[optind]);
    return 2;
  }
  /* cb_server_run says why on stderr when it cannot listen; an address that is not one (999.1.1.1)
   * is bad usage; one that is not this machine's cannot be listened on, as a port in use. */
  int rc = cb_server_run(&o, -1);
  return rc == 0 ? 0 : rc == -EINVAL ? 2 : 1;
}
