// expect: promcxx::exponential_buckets: start and factor must be finite decimal numbers
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::exponential_buckets<"0.001", "two", 8>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::exponential_buckets<"0.001", "2", 8>> metric{promcxx::unregistered};
#endif
