// expect: promcxx::histogram: a labelled histogram is updated through labels(...) or with<...>()
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::labels<"a">> metric{promcxx::unregistered};
void use() { metric.observe(1); }
#else
promcxx::histogram<"h_seconds", "H.", promcxx::labels<"a">> metric{promcxx::unregistered};
void use() { metric.labels("x").observe(1); }
#endif
