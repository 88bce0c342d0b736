// expect: promcxx::label_values: the known label combinations exceed max_series
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">, promcxx::label_values<"state", "a", "b", "c">,
                 promcxx::max_series<2>> metric{promcxx::unregistered};
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">, promcxx::label_values<"state", "a", "b", "c">,
                 promcxx::max_series<3>> metric{promcxx::unregistered};
#endif
