#ifndef HARNESS_CSYSTEM_SHIM_H
#define HARNESS_CSYSTEM_SHIM_H
#include <signal.h>
#include <sys/prctl.h>
// Asks the kernel to send `signal` to this process when its parent dies, so a worker running a
// hung plugin never outlives the comparison that started it. Returns 0 on success.
static inline int harness_die_with_parent(int signal) { return prctl(PR_SET_PDEATHSIG, signal, 0, 0, 0); }
#endif
