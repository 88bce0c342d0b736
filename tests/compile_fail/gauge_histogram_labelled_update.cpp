// expect: promcxx::gauge_histogram: a labelled gauge histogram is updated through labels(...)
#include <promcxx/gauge_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "Ages.", promcxx::buckets<1>, promcxx::labels<"queue">> g{reg};
void use() { g.add(0.5); }
#else
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "Ages.", promcxx::buckets<1>, promcxx::labels<"queue">> g{reg};
void use() { g.labels("q").add(0.5); }
#endif
