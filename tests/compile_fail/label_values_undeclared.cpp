// expect: promcxx::label_values: names a label the metric does not declare
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">, promcxx::label_values<"status", "a">> metric{promcxx::unregistered};
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">, promcxx::label_values<"state", "a">> metric{promcxx::unregistered};
#endif
