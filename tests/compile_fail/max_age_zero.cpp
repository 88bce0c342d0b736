// expect: promcxx::max_age: the window must be at least one second
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
constexpr unsigned window = promcxx::max_age<0>::value;
#else
constexpr unsigned window = promcxx::max_age<1>::value;
#endif
