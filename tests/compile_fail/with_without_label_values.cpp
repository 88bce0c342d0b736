// expect: promcxx: with<...>() needs label_values<...> for every label
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">> metric{promcxx::unregistered};
void use() { metric.with<"ok">().inc(); }
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"state">> metric{promcxx::unregistered};
void use() { metric.labels("ok").inc(); }
#endif
