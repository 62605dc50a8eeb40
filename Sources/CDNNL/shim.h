#ifndef HARNESS_CDNNL_SHIM_H
#define HARNESS_CDNNL_SHIM_H
#include <oneapi/dnnl/dnnl.h>

// oneDNN on Debian threads with GNU OpenMP. OMP_NUM_THREADS is read when libgomp loads, so a
// --threads flag has to go through the runtime call instead. Declared here rather than via
// <omp.h>, which lives in GCC's private include directory that clang does not search.
void omp_set_num_threads(int);
int omp_get_max_threads(void);
#endif
