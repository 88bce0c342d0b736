// expect: promcxx::counter: name must end in _total
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"jobs", "Jobs."> metric{promcxx::unregistered};
#else
promcxx::counter<"jobs_total", "Jobs."> metric{promcxx::unregistered};
#endif
