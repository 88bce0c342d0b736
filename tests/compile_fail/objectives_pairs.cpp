// expect: promcxx::objectives: give (quantile, error) pairs, at least one
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
using targets = promcxx::objectives<0.5, 0.05, 0.9>;
constexpr auto size = targets::size;
#else
using targets = promcxx::objectives<0.5, 0.05, 0.9, 0.01>;
constexpr auto size = targets::size;
#endif
