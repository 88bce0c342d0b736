// expect: promcxx::max_buckets: at least 136, so that schema -4 holds every double
#include <promcxx/native_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
constexpr auto most = promcxx::max_buckets<135>::value;
#else
constexpr auto most = promcxx::max_buckets<136>::value;
#endif
