// expect: promcxx::buckets: bounds must be strictly increasing
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<1, 3, 3>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<1, 2, 3>> metric{promcxx::unregistered};
#endif
