// expect: promcxx::objectives: quantiles must be strictly increasing
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
using targets = promcxx::objectives<0.9, 0.01, 0.5, 0.05>;
constexpr auto size = targets::size;
#else
using targets = promcxx::objectives<0.5, 0.05, 0.9, 0.01>;
constexpr auto size = targets::size;
#endif
