// expect: promcxx::gauge: a labelled gauge is updated through labels(...) or with<...>()
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"level", "Level.", promcxx::labels<"a">> metric{promcxx::unregistered};
void use() { metric.set(1); }
#else
promcxx::gauge<"level", "Level.", promcxx::labels<"a">> metric{promcxx::unregistered};
void use() { metric.labels("x").set(1); }
#endif
