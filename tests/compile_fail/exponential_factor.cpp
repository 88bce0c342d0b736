// expect: promcxx::exponential_buckets: factor must be greater than 1
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::exponential_buckets<1, 1, 5>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::exponential_buckets<1, 2, 5>> metric{promcxx::unregistered};
#endif
