// expect: promcxx::objectives: each error must be positive and at most min(q, 1 - q)
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
using targets = promcxx::objectives<0.9, 0.2>;
constexpr auto size = targets::size;
#else
using targets = promcxx::objectives<0.9, 0.1>;
constexpr auto size = targets::size;
#endif
