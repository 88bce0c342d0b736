// error: promcxx::exemplars: only counters and histograms carry exemplars
#include <promcxx/exemplar.hpp>
#ifdef PROMCXX_CASE_OK
promcxx::gauge<"queue_size", "Queue."> metric{promcxx::unregistered};
#else
promcxx::gauge<"queue_size", "Queue.", promcxx::exemplars> metric{promcxx::unregistered};
#endif
