// expect: promcxx::exponential_buckets: start must be positive
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::exponential_buckets<0, 2, 8>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::exponential_buckets<0.001, 2, 8>> metric{promcxx::unregistered};
#endif
