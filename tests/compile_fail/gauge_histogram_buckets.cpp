// expect: promcxx::gauge_histogram: give at least one bucket bound
#include <promcxx/gauge_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "Ages.", promcxx::buckets<>> g{reg};
#else
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "Ages.", promcxx::buckets<1>> g{reg};
#endif
