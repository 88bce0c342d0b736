// expect: promcxx: unknown option; expected labels<...>, label_values<...>, buckets<...>, max_series<N> or unit<...>
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", int> metric{promcxx::unregistered};
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::max_series<10>> metric{promcxx::unregistered};
#endif
