// Compile-time case: the umbrella header (encoders included) and 15 metrics.
#include <promcxx.hpp>

#include "metrics_15.inc"
