// expect: promcxx: labels<...> may be given once
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"a">, promcxx::labels<"b">> metric{promcxx::unregistered};
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"a", "b">> metric{promcxx::unregistered};
#endif
