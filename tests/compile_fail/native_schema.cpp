// expect: promcxx::schema: the native histogram schema must be in -4..8
#include <promcxx/native_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
constexpr int resolution = promcxx::schema<9>::value;
#else
constexpr int resolution = promcxx::schema<8>::value;
#endif
