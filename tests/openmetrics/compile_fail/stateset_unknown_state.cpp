// error: promcxx::stateset: set_state<...>(): not one of the declared states<...>
#include <promcxx/stateset.hpp>
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "follower">> metric{promcxx::unregistered};
void f() {
#ifdef PROMCXX_CASE_OK
  metric.set_state<"leader">();
#else
  metric.set_state<"observer">();
#endif
}
