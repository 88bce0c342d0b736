// error: promcxx::unit: the metric name must end in _<unit>
#include <promcxx/core.hpp>
#ifdef PROMCXX_CASE_OK
promcxx::counter<"io_wait_seconds_total", "Wait.", promcxx::unit<"seconds">> metric{promcxx::unregistered};
#else
promcxx::counter<"io_wait_total", "Wait.", promcxx::unit<"seconds">> metric{promcxx::unregistered};
#endif
