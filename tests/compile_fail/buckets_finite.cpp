// expect: promcxx::buckets: bounds must be finite (the +Inf bucket is implicit)
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<1, std::numeric_limits<double>::infinity()>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<1, 2>> metric{promcxx::unregistered};
#endif
