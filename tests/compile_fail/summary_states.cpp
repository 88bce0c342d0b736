// expect: promcxx::summary: states<...> belongs to a stateset
#include <promcxx/summary.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::summary<"rpc_duration_seconds", "RPC.", promcxx::states<"a">> metric{promcxx::unregistered};
#else
promcxx::summary<"rpc_duration_seconds", "RPC."> metric{promcxx::unregistered};
#endif
