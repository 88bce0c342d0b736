// expect: promcxx: names ending in _bucket, _count or _sum are reserved for histogram and summary series
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"fill_bucket", "Fill."> metric{promcxx::unregistered};
#else
promcxx::gauge<"bucket_fill", "Fill."> metric{promcxx::unregistered};
#endif
