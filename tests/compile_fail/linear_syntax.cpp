// expect: promcxx::linear_buckets: start and width must be finite decimal numbers
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::linear_buckets<"zero", "0.5", 4>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::linear_buckets<"0", "0.5", 4>> metric{promcxx::unregistered};
#endif
