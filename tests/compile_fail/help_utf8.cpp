// expect: promcxx: help text must be valid UTF-8
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"level", "Level \xff."> metric{promcxx::unregistered};
#else
promcxx::gauge<"level", "Level \xc3\xa9."> metric{promcxx::unregistered};
#endif
