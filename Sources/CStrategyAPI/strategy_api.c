// The strategy contract is the header in include/; this file only lets SwiftPM build the target.
#include "harness_strategy.h"

const int harness_strategy_header_abi_version = HARNESS_STRATEGY_ABI_VERSION;
