// error: promcxx::info: give the name without the _info suffix
#include <promcxx/info.hpp>
#ifdef PROMCXX_CASE_OK
promcxx::info<"build", "Build.", promcxx::labels<"version">> metric{promcxx::unregistered};
#else
promcxx::info<"build_info", "Build.", promcxx::labels<"version">> metric{promcxx::unregistered};
#endif
