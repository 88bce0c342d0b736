// expect: promcxx: only histograms take a bucket layout
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"level", "Level.", promcxx::buckets<1, 2>> metric{promcxx::unregistered};
#else
promcxx::histogram<"level", "Level.", promcxx::buckets<1, 2>> metric{promcxx::unregistered};
#endif
