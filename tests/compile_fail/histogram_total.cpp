// expect: promcxx: only counter names may end in _total
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"latency_total", "Latency."> metric{promcxx::unregistered};
#else
promcxx::histogram<"latency_seconds", "Latency."> metric{promcxx::unregistered};
#endif
