// expect: promcxx::label_values: values must be unique
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">, promcxx::label_values<"state", "ok", "ok">> metric{
    promcxx::unregistered};
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">, promcxx::label_values<"state", "ok", "failed">> metric{
    promcxx::unregistered};
#endif
