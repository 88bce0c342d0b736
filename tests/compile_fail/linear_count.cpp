// expect: promcxx::linear_buckets: count must be at least 1
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::linear_buckets<0, 1, 0>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::linear_buckets<0, 1, 1>> metric{promcxx::unregistered};
#endif
