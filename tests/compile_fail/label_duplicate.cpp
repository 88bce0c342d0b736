// expect: promcxx::labels: label names must be unique
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"g", "Help.", promcxx::labels<"a", "a">> metric{promcxx::unregistered};
#else
promcxx::gauge<"g", "Help.", promcxx::labels<"a", "b">> metric{promcxx::unregistered};
#endif
