// expect: promcxx::quantile_summary: help text must be non-empty valid UTF-8
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "", promcxx::objectives<0.5, 0.05>> s{reg};
#else
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>> s{reg};
#endif
