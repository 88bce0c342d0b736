// expect: promcxx::gauge_func/counter_func: the third argument, if any, is promcxx::labels<...>
#include <promcxx/callback.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::gauge_func<"queue_depth", "Depth.", int> g{reg, [] { return 1.0; }};
#else
promcxx::registry reg;
promcxx::gauge_func<"queue_depth", "Depth."> g{reg, [] { return 1.0; }};
#endif
