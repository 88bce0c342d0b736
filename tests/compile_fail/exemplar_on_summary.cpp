// expect: promcxx::exemplars: only counters and histograms carry exemplars
#include <promcxx/exemplar.hpp>
#include <promcxx/summary.hpp>
#ifdef PROMCXX_EXPECT_ERROR
promcxx::summary<"rpc_duration_seconds", "RPC.", promcxx::exemplars> metric{promcxx::unregistered};
#else
promcxx::summary<"rpc_duration_seconds", "RPC."> metric{promcxx::unregistered};
#endif
