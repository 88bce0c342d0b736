// expect: PROMCXX_MAX_CELLS: at most 2^27 cells (4096 directories of 2^15)
#ifdef PROMCXX_EXPECT_ERROR
#  define PROMCXX_MAX_CELLS (std::uint32_t{1} << 28)
#else
#  define PROMCXX_MAX_CELLS (std::uint32_t{1} << 27)
#endif
#include <promcxx/core.hpp>
