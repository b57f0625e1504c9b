/* analysis_int.h: the analysis layer's internal calls (cb__), for its own files and white-box tests. */
#ifndef CB_ANALYSIS_INT_H
#define CB_ANALYSIS_INT_H

#include <stddef.h>
#include <stdint.h>

#endif
