// expect: promcxx::counter: a labelled counter is updated through labels(...) or with<...>()
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"a">> metric{promcxx::unregistered};
void use() { metric.inc(); }
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"a">> metric{promcxx::unregistered};
void use() { metric.labels("x").inc(); }
#endif
