// expect: promcxx::quantile_summary: read() is for unlabelled summaries
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>, promcxx::labels<"op">> s{reg};
auto use() { return s.read().count; }
#else
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>> s{reg};
auto use() { return s.read().count; }
#endif
