// expect: promcxx::quantile_summary: the third argument is promcxx::objectives<...>
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<>> s{reg};
#else
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>> s{reg};
#endif
