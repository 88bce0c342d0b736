// expect: promcxx::zero_threshold: the threshold must be a finite number >= 0
#include <promcxx/native_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
constexpr double zero = promcxx::zero_threshold<-1>::value;
#else
constexpr double zero = promcxx::zero_threshold<0>::value;
#endif
