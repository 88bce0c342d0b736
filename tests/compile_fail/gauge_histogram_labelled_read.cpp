// expect: promcxx::gauge_histogram: read() is for unlabelled gauge histograms
#include <promcxx/gauge_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "Ages.", promcxx::buckets<1>, promcxx::labels<"queue">> g{reg};
auto use() { return g.read().second; }
#else
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "Ages.", promcxx::buckets<1>> g{reg};
auto use() { return g.read().second; }
#endif
