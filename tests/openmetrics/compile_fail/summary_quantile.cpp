// error: promcxx::summary: label name "quantile" is reserved
#include <promcxx/summary.hpp>
#ifdef PROMCXX_CASE_OK
promcxx::summary<"rpc_duration_seconds", "RPC.", promcxx::labels<"service">> metric{promcxx::unregistered};
#else
promcxx::summary<"rpc_duration_seconds", "RPC.", promcxx::labels<"quantile">> metric{promcxx::unregistered};
#endif
