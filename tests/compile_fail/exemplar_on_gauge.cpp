// expect: promcxx::exemplars: only counters and histograms carry exemplars
#include <promcxx/exemplar.hpp>
#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"queue_size", "Queue.", promcxx::exemplars> metric{promcxx::unregistered};
#else
promcxx::gauge<"queue_size", "Queue."> metric{promcxx::unregistered};
#endif
