// expect: promcxx: with<...>(): a value is not among its label's label_values<...>
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">, promcxx::label_values<"state", "ok", "failed">> metric{promcxx::unregistered};
void use() { metric.with<"okay">().inc(); }
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">, promcxx::label_values<"state", "ok", "failed">> metric{promcxx::unregistered};
void use() { metric.with<"ok">().inc(); }
#endif
