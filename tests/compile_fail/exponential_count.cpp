// expect: promcxx::exponential_buckets: count must be at least 1
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::exponential_buckets<1, 2, 0>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::exponential_buckets<1, 2, 1>> metric{promcxx::unregistered};
#endif
