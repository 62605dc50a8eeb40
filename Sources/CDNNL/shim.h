#ifndef HARNESS_CDNNL_SHIM_H
#define HARNESS_CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>

// oneDNN on Debian threads with GNU OpenMP. OMP_NUM_THREADS is read when libgomp loads, so a
// --threads flag has to go through the runtime call instead. Declared here rather than via
// <omp.h>, which lives in GCC's private include directory that clang does not search.
void omp_set_num_threads(int);
int omp_get_max_threads(void);

// Hands freed heap pages back to the system. glibc keeps large freed blocks for reuse, so a
// process that loaded a data set and let it go still looks (and counts) as big as before.
#include <malloc.h>
static inline void harness_release_free_memory(void) { malloc_trim(0); }

#if defined(__x86_64__) || defined(__i386__)
#include <xmmintrin.h>
// Flush denormal floats to zero (FTZ) and read them as zero (DAZ). A confident softmax produces
// probabilities like 1e-40, and x86 computes on such denormals many times slower, so a training
// run can slow to a crawl once the network learns. Threads inherit the setting from their
// creator, so setting it before oneDNN's OpenMP pool exists covers every kernel.
static inline void harness_flush_denormals(void) { _mm_setcsr(_mm_getcsr() | 0x8040); }
#else
static inline void harness_flush_denormals(void) {}
#endif
#endif
