#ifndef HARNESS_CSYSTEM_SHIM_H
#define HARNESS_CSYSTEM_SHIM_H
#ifndef _GNU_SOURCE
#define _GNU_SOURCE  // sched_getaffinity and the CPU_* macros
#endif
#include <sched.h>
#include <signal.h>
#include <sys/prctl.h>
// Makes this process the reaper of its orphaned descendants (a daemon a plugin double-forks is
// re-parented here, not to init), so the host can still find and kill it. Returns 0 on success.
static inline int harness_become_subreaper(void) { return prctl(PR_SET_CHILD_SUBREAPER, 1, 0, 0, 0); }
// The CPUs of this process's affinity mask (taskset, a cgroup cpuset), up to `capacity` of
// them, into `out`; returns how many (-1 when the mask cannot be read).
static inline int harness_affinity_cpus(int *out, int capacity) {
    cpu_set_t set;
    CPU_ZERO(&set);
    if (sched_getaffinity(0, sizeof set, &set) != 0) return -1;
    int n = 0;
    for (int cpu = 0; cpu < CPU_SETSIZE && n < capacity; cpu++) if (CPU_ISSET(cpu, &set)) out[n++] = cpu;
    return n;
}
// Binds the calling thread, and every thread it starts afterwards (OpenMP's pool), to `cpus`.
static inline int harness_bind_cpus(const int *cpus, int n) {
    cpu_set_t set;
    CPU_ZERO(&set);
    for (int i = 0; i < n; i++) if (cpus[i] >= 0 && cpus[i] < CPU_SETSIZE) CPU_SET(cpus[i], &set);
    return sched_setaffinity(0, sizeof set, &set);
}
#endif
