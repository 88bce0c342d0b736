// expect: promcxx::max_series: the cap must be at least 1
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"q">, promcxx::max_series<0>> metric{promcxx::unregistered};
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"q">, promcxx::max_series<1>> metric{promcxx::unregistered};
#endif
