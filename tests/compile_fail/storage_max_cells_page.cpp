// expect: PROMCXX_MAX_CELLS: must be a multiple of 64 cells (one page)
#ifdef PROMCXX_EXPECT_ERROR
#  define PROMCXX_MAX_CELLS (std::uint32_t{1000})
#else
#  define PROMCXX_MAX_CELLS (std::uint32_t{1024})
#endif
#include <promcxx/core.hpp>
