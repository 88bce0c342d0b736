// expect: promcxx: only counter names may end in _total
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"jobs_total", "Jobs."> metric{promcxx::unregistered};
#else
promcxx::gauge<"jobs_running", "Jobs."> metric{promcxx::unregistered};
#endif
