// expect: promcxx::unit: the metric name must end in _<unit> (before _total for counters)
#include <promcxx/core.hpp>
#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"io_wait_total", "Wait.", promcxx::unit<"seconds">> metric{promcxx::unregistered};
#else
promcxx::counter<"io_wait_seconds_total", "Wait.", promcxx::unit<"seconds">> metric{promcxx::unregistered};
#endif
