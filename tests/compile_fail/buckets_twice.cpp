// expect: promcxx: a bucket layout may be given once
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<1, 2>, promcxx::buckets<3>> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<1, 2>> metric{promcxx::unregistered};
#endif
