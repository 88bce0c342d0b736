// expect: promcxx: names ending in _bucket, _count or _sum are reserved for histogram and summary series
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"latency_sum", "Latency."> metric{promcxx::unregistered};
#else
promcxx::histogram<"latency_seconds", "Latency."> metric{promcxx::unregistered};
#endif
