// expect: promcxx::native_histogram: options are labels, schema, zero_threshold, max_buckets, min_reset_interval, unit and a classic bucket layout
#include <promcxx/native_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::native_histogram<"rpc_seconds", "RPC.", promcxx::max_series<4>> h{reg};
#else
promcxx::registry reg;
promcxx::native_histogram<"rpc_seconds", "RPC.", promcxx::schema<2>> h{reg};
#endif
