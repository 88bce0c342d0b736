// expect: promcxx::unit: the metric name must end in _<unit> (before _total for counters)
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"busy_total", "Busy.", promcxx::unit<"seconds">> metric{promcxx::unregistered};
#else
promcxx::counter<"busy_seconds_total", "Busy.", promcxx::unit<"seconds">> metric{promcxx::unregistered};
#endif
