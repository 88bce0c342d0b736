// expect: promcxx::labels: label name must match [a-zA-Z_][a-zA-Z0-9_]*
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"g", "Help.", promcxx::labels<"bad-label">> metric{promcxx::unregistered};
#else
promcxx::gauge<"g", "Help.", promcxx::labels<"good_label">> metric{promcxx::unregistered};
#endif
