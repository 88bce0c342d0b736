// expect: promcxx::label_values: list the values of every label of the metric, or of none
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state", "queue">, promcxx::label_values<"state", "ok">> metric{
    promcxx::unregistered};
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state", "queue">, promcxx::label_values<"state", "ok">,
                 promcxx::label_values<"queue", "a">> metric{promcxx::unregistered};
#endif
