// error: promcxx::exemplars: only counters and histograms carry exemplars
#include <promcxx/exemplar.hpp>
#include <promcxx/summary.hpp>
#ifdef PROMCXX_CASE_OK
promcxx::summary<"rpc_duration_seconds", "RPC."> metric{promcxx::unregistered};
#else
promcxx::summary<"rpc_duration_seconds", "RPC.", promcxx::exemplars> metric{promcxx::unregistered};
#endif
