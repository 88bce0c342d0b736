// expect: promcxx::age_buckets: between 1 and 60 buckets
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
constexpr unsigned streams = promcxx::age_buckets<61>::value;
#else
constexpr unsigned streams = promcxx::age_buckets<60>::value;
#endif
