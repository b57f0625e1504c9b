/* env.h: the machine a run is measured on: cores, calibration, and the environment record. */
#ifndef CB_ENV_H
#define CB_ENV_H

#include "workload.h"

struct cJSON;

/* Fill m: the cores we may use and, when calibrate is set, the time of one compute unit. */
void cb_machine_probe(cb_machine *m, int calibrate);

/* Seconds of one compute unit on this core now: the fastest of a few short trials. */
double cb_calibrate_unit(void);

/* The git revision the binary was built from ("abc123def456-dirty"). */
const char *cb_git_rev(void);

/* The environment written with every result. */
struct cJSON *cb_env_json(const cb_machine *m);

/* Record a server the run talks to in the environment ("target", "redis"), static key. */
void cb_env_service(const char *key, const char *value);

#endif
