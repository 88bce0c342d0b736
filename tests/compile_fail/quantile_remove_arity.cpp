// expect: promcxx::quantile_summary: remove(...) takes exactly one value per declared label name
#include <promcxx/quantile_summary.hpp>

using labelled = promcxx::quantile_summary<"cf_call_seconds", "Call latency.", promcxx::objectives<0.5, 0.05>,
                                           promcxx::labels<"method", "code">>;

#ifdef PROMCXX_EXPECT_ERROR
bool drop(labelled& s) { return s.remove("get"); }
#else
bool drop(labelled& s) { return s.remove("get", "200"); }
#endif
