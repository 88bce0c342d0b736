// expect: promcxx::gauge_histogram: help text must be non-empty valid UTF-8
#include <promcxx/gauge_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "", promcxx::buckets<1>> g{reg};
#else
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "Ages.", promcxx::buckets<1>> g{reg};
#endif
