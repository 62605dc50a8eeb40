#ifndef HARNESS_CSYSTEM_SHIM_H
#define HARNESS_CSYSTEM_SHIM_H
#include <signal.h>
#include <sys/prctl.h>
// Makes this process the reaper of its orphaned descendants (a daemon a plugin double-forks is
// re-parented here, not to init), so the host can still find and kill it. Returns 0 on success.
static inline int harness_become_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
#endif
