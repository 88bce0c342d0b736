// expect: promcxx::native_histogram: invalid metric name
#include <promcxx/native_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::native_histogram<"rpc-seconds", "RPC."> h{reg};
#else
promcxx::registry reg;
promcxx::native_histogram<"rpc_seconds", "RPC."> h{reg};
#endif
