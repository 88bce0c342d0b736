// expect: promcxx::info: the only option is labels<...>
#include <promcxx/info.hpp>
#ifdef PROMCXX_EXPECT_ERROR
promcxx::info<"build", "Build.", promcxx::labels<"version">, promcxx::max_series<4>> metric{promcxx::unregistered};
#else
promcxx::info<"build", "Build.", promcxx::labels<"version">> metric{promcxx::unregistered};
#endif
