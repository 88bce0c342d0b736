// expect: promcxx: metric name must match [a-zA-Z_:][a-zA-Z0-9_:]*
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"9bad-name", "Help."> metric{promcxx::unregistered};
#else
promcxx::gauge<"good_name", "Help."> metric{promcxx::unregistered};
#endif
