// error: promcxx::info: the only option is labels<...>
#include <promcxx/info.hpp>
#ifdef PROMCXX_CASE_OK
promcxx::info<"build", "Build.", promcxx::labels<"version">> metric{promcxx::unregistered};
#else
promcxx::info<"build", "Build.", promcxx::labels<"version">, promcxx::max_series<4>> metric{promcxx::unregistered};
#endif
