// expect: promcxx::summary: a labelled summary is updated through labels(...) or with<...>()
#include <promcxx/summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::summary<"rpc_duration_seconds", "RPC.", promcxx::labels<"service">> metric{promcxx::unregistered};
void use() { metric.observe(1); }
#else
promcxx::summary<"rpc_duration_seconds", "RPC.", promcxx::labels<"service">> metric{promcxx::unregistered};
void use() { metric.labels("db").observe(1); }
#endif
