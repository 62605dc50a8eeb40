#ifndef HARNESS_CFFI_SHIM_H
#define HARNESS_CFFI_SHIM_H
#include <ffi.h>
// Swift 6 refuses to take the address of libffi's type globals (&ffi_type_double) as unsafe
// shared state; these return the same addresses.
static inline ffi_type *harness_ffi_sint(void) { return &ffi_type_sint; }
static inline ffi_type *harness_ffi_double(void) { return &ffi_type_double; }
static inline ffi_type *harness_ffi_pointer(void) { return &ffi_type_pointer; }
static inline ffi_abi harness_ffi_default_abi(void) { return FFI_DEFAULT_ABI; }
#endif
