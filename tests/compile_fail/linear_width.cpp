// expect: promcxx::linear_buckets: width must be positive
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::linear_buckets<0, -1, 5>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::linear_buckets<0, 1, 5>> metric{promcxx::unregistered};
#endif
