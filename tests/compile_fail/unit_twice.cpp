// expect: promcxx: unit<...> may be given once
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"wait_seconds", "Wait.", promcxx::unit<"seconds">, promcxx::unit<"seconds">> metric{promcxx::unregistered};
#else
promcxx::gauge<"wait_seconds", "Wait.", promcxx::unit<"seconds">> metric{promcxx::unregistered};
#endif
