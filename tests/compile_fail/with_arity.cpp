// expect: promcxx: with<...>() takes exactly one value per label
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">, promcxx::label_values<"state", "ok", "failed">> metric{
    promcxx::unregistered};
void use() { metric.with<"ok", "failed">().inc(); }
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">, promcxx::label_values<"state", "ok", "failed">> metric{
    promcxx::unregistered};
void use() { metric.with<"ok">().inc(); }
#endif
