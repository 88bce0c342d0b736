// expect: promcxx::exemplars may be given once
#include <promcxx/exemplar.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs_total", "Jobs.", promcxx::exemplars, promcxx::exemplars> metric{promcxx::unregistered};
#else
promcxx::counter<"jobs_total", "Jobs.", promcxx::exemplars> metric{promcxx::unregistered};
#endif
