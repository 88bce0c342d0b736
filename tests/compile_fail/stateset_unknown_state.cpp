// expect: promcxx::stateset: set_state<...>(): not one of the declared states<...>
#include <promcxx/stateset.hpp>
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "follower">> metric{promcxx::unregistered};
void f() {
#ifdef PROMCXX_EXPECT_ERROR
  metric.set_state<"observer">();
#else
  metric.set_state<"leader">();
#endif
}
