// expect: promcxx::histogram: label name "le" is reserved for bucket bounds
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"latency_seconds", "Latency.", promcxx::labels<"le">> metric{promcxx::unregistered};
#else
promcxx::histogram<"latency_seconds", "Latency.", promcxx::labels<"path">> metric{promcxx::unregistered};
#endif
