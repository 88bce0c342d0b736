// expect: promcxx::quantile_summary: invalid name (or one ending in _total, _bucket, _count, _sum)
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds_total", "RPC.", promcxx::objectives<0.5, 0.05>> s{reg};
#else
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>> s{reg};
#endif
