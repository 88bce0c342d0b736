// expect: promcxx::info: give the name without the _info suffix; the encoders append it
#include <promcxx/info.hpp>
#ifdef PROMCXX_EXPECT_ERROR
promcxx::info<"build_info", "Build.", promcxx::labels<"version">> metric{promcxx::unregistered};
#else
promcxx::info<"build", "Build.", promcxx::labels<"version">> metric{promcxx::unregistered};
#endif
