// expect: promcxx::buckets: at least one bound is required (the +Inf bucket is implicit)
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<1>> metric{promcxx::unregistered};
#endif
