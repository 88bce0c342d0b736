// expect: promcxx::objectives: each quantile must lie strictly between 0 and 1
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
using targets = promcxx::objectives<0.5, 0.05, 1.0, 0.001>;
constexpr auto size = targets::size;
#else
using targets = promcxx::objectives<0.5, 0.05, 0.999, 0.0001>;
constexpr auto size = targets::size;
#endif
