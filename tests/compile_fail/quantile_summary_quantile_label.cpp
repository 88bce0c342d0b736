// expect: promcxx::quantile_summary: the label name quantile is reserved for the quantiles
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>, promcxx::labels<"quantile">> s{reg};
#else
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>, promcxx::labels<"op">> s{reg};
#endif
