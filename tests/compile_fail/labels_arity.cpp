// expect: promcxx: labels(...) takes exactly one value per declared label name
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"a", "b">> metric{promcxx::unregistered};
void use() { metric.labels("x").inc(); }
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"a", "b">> metric{promcxx::unregistered};
void use() { metric.labels("x", "y").inc(); }
#endif
