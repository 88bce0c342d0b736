// expect: promcxx: help text must not be empty
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"g", ""> metric{promcxx::unregistered};
#else
promcxx::gauge<"g", "Help."> metric{promcxx::unregistered};
#endif
