// expect: promcxx::quantile_summary: a labelled summary is observed through labels(...)
#include <promcxx/quantile_summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>, promcxx::labels<"op">> s{reg};
void use() { s.observe(1); }
#else
promcxx::registry reg;
promcxx::quantile_summary<"rpc_seconds", "RPC.", promcxx::objectives<0.5, 0.05>, promcxx::labels<"op">> s{reg};
void use() { s.labels("get").observe(1); }
#endif
