// expect: promcxx::buckets: a bound must be a decimal number such as "0.25", "1e-3" or 10
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<"0.25", "ten">> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<"0.25", "1e1">> metric{promcxx::unregistered};
#endif
