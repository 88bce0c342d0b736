// expect: promcxx::gauge_histogram: invalid name (or one ending in _total, _bucket, _count, _sum)
#include <promcxx/gauge_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_count", "Ages.", promcxx::buckets<1>> g{reg};
#else
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "Ages.", promcxx::buckets<1>> g{reg};
#endif
