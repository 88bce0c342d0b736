// expect: promcxx::labels: label names starting with __ are reserved
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"g", "Help.", promcxx::labels<"__x">> metric{promcxx::unregistered};
#else
promcxx::gauge<"g", "Help.", promcxx::labels<"_x">> metric{promcxx::unregistered};
#endif
