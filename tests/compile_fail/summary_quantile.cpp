// expect: promcxx::summary: label name "quantile" is reserved
#include <promcxx/summary.hpp>
#ifdef PROMCXX_EXPECT_ERROR
promcxx::summary<"rpc_duration_seconds", "RPC.", promcxx::labels<"quantile">> metric{promcxx::unregistered};
#else
promcxx::summary<"rpc_duration_seconds", "RPC.", promcxx::labels<"service">> metric{promcxx::unregistered};
#endif
