// expect: promcxx: max_series<N> may be given once
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"a">, promcxx::max_series<4>, promcxx::max_series<8>> metric{
    promcxx::unregistered};
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::labels<"a">, promcxx::max_series<8>> metric{promcxx::unregistered};
#endif
