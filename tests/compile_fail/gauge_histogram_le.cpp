// expect: promcxx::gauge_histogram: the label name le is reserved
#include <promcxx/gauge_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "Ages.", promcxx::buckets<1>, promcxx::labels<"le">> g{reg};
#else
promcxx::registry reg;
promcxx::gauge_histogram<"queue_age_seconds", "Ages.", promcxx::buckets<1>, promcxx::labels<"queue">> g{reg};
#endif
