// expect: promcxx::quantile_summary: an unlabelled summary has no series to remove
#include <promcxx/quantile_summary.hpp>

using unlabelled = promcxx::quantile_summary<"cf_rpc_seconds", "RPC latency.", promcxx::objectives<0.5, 0.05>>;
using labelled = promcxx::quantile_summary<"cf_call_seconds", "Call latency.", promcxx::objectives<0.5, 0.05>,
                                           promcxx::labels<"method">>;

#ifdef PROMCXX_EXPECT_ERROR
void drop(unlabelled& s) { s.clear(); }
#else
void drop(labelled& s) { s.clear(); static_cast<void>(s.remove("get")); }
#endif
