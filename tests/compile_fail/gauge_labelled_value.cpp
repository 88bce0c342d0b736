// expect: promcxx::gauge: a labelled gauge is read through labels(...) or with<...>()
#include <promcxx/core.hpp>

inline promcxx::gauge<"cf_queue_depth", "Queue depth.", promcxx::labels<"queue">> depth{promcxx::unregistered};
inline promcxx::gauge<"cf_workers", "Workers."> workers{promcxx::unregistered};

#ifdef PROMCXX_EXPECT_ERROR
double read() { return depth.value(); }
#else
double read() { return depth.labels("a").value() + workers.value(); }
#endif
