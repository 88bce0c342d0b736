// expect: promcxx::gauge_func/counter_func: invalid descriptor (name, _total suffix, help or labels)
#include <promcxx/callback.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::counter_func<"jobs", "Jobs."> c{reg, [] { return 1.0; }};
#else
promcxx::registry reg;
promcxx::counter_func<"jobs_total", "Jobs."> c{reg, [] { return 1.0; }};
#endif
