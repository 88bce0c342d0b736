// expect: promcxx::buckets: a decimal bound may have at most 15 significant digits and an exponent within -22..22
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<"1e23">> metric{promcxx::unregistered};
#else
promcxx::histogram<"h_seconds", "H.", promcxx::buckets<"1e22">> metric{promcxx::unregistered};
#endif
