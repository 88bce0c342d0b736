// expect: promcxx::info: set(...) takes one value per declared label
#include <promcxx/info.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::info<"build", "Build.", promcxx::labels<"version", "revision">> metric{promcxx::unregistered};
void use() { metric.set("1.2"); }
#else
promcxx::info<"build", "Build.", promcxx::labels<"version", "revision">> metric{promcxx::unregistered};
void use() { metric.set("1.2", "abc"); }
#endif
