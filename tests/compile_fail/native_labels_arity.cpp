// expect: promcxx::native_histogram: one value per label name
#include <promcxx/native_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::native_histogram<"rpc_seconds", "RPC.", promcxx::labels<"op", "peer">> h{reg};
void use() { h.labels("get").observe(1); }
#else
promcxx::registry reg;
promcxx::native_histogram<"rpc_seconds", "RPC.", promcxx::labels<"op", "peer">> h{reg};
void use() { h.labels("get", "n1").observe(1); }
#endif
