// expect: promcxx::gauge_func: the callback returns a number, or takes a callback_sink&
#include <promcxx/callback.hpp>
#include <string>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::gauge_func<"queue_depth", "Depth."> g{reg, [] { return std::string("1"); }};
#else
promcxx::registry reg;
promcxx::gauge_func<"queue_depth", "Depth."> g{reg, [] { return 1; }};
#endif
