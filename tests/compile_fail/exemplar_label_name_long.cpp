// expect: exemplar_label_name_is_longer_than_128_code_points
#include <promcxx/exemplar.hpp>
promcxx::histogram<"rpc_duration_seconds", "RPC.", promcxx::exemplars> metric{promcxx::unregistered};
void f() {
#ifdef PROMCXX_EXPECT_ERROR
  metric.observe(1, {{"a12345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                      "012345678901234567890123456789012345678", "x"}});
#else
  metric.observe(1, {{"a12345678901234567890123456789012345678901234567890123456789012345678901234567890123456789"
                      "01234567890123456789012345678901234567", "x"}});
#endif
}
