// expect: exemplar_label_name_must_match_a_label_name_and_not_start_with_two_underscores
#include <promcxx/exemplar.hpp>
promcxx::counter<"jobs_total", "Jobs.", promcxx::exemplars> metric{promcxx::unregistered};
void f() {
#ifdef PROMCXX_EXPECT_ERROR
  metric.inc(1, {{"trace-id", "abc"}});
#else
  metric.inc(1, {{"trace_id", "abc"}});
#endif
}
