// expect: promcxx::labels: label names must be valid, unreserved, distinct
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>, promcxx::labels<"op", "op">> s{reg};
#else
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>, promcxx::labels<"op", "peer">> s{reg};
#endif
