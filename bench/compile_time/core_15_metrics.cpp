// Compile-time case: the core header only (declare and update) and 15 metrics.
#include <promcxx/core.hpp>

#include "metrics_15.inc"
