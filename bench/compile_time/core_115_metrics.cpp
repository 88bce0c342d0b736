// Compile-time case: the core header and 115 metrics (the 15 of the other cases
// plus 100 labelled counters), to measure the marginal cost of one more metric.
#include <promcxx/core.hpp>

#include "metrics_15.inc"

#define PROMCXX_BENCH_METRIC(i)                                                                          \
  inline promcxx::counter<"extra_" #i "_total", "Extra counter.", promcxx::labels<"kind">> extra_##i; \
  inline void use_extra_##i(const char* kind) { extra_##i.labels(kind).inc(); }
#define PROMCXX_BENCH_TEN(d)                                                                              \
  PROMCXX_BENCH_METRIC(d##0) PROMCXX_BENCH_METRIC(d##1) PROMCXX_BENCH_METRIC(d##2) PROMCXX_BENCH_METRIC(d##3) \
  PROMCXX_BENCH_METRIC(d##4) PROMCXX_BENCH_METRIC(d##5) PROMCXX_BENCH_METRIC(d##6) PROMCXX_BENCH_METRIC(d##7) \
  PROMCXX_BENCH_METRIC(d##8) PROMCXX_BENCH_METRIC(d##9)
PROMCXX_BENCH_TEN(1)
PROMCXX_BENCH_TEN(2)
PROMCXX_BENCH_TEN(3)
PROMCXX_BENCH_TEN(4)
PROMCXX_BENCH_TEN(5)
PROMCXX_BENCH_TEN(6)
PROMCXX_BENCH_TEN(7)
PROMCXX_BENCH_TEN(8)
PROMCXX_BENCH_TEN(9)
PROMCXX_BENCH_TEN(a)
