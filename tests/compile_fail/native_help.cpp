// expect: promcxx::native_histogram: help must not be empty
#include <promcxx/native_histogram.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::native_histogram<"rpc_seconds", ""> h{reg};
#else
promcxx::registry reg;
promcxx::native_histogram<"rpc_seconds", "RPC."> h{reg};
#endif
