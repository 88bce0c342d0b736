// expect: promcxx::stateset: a labelled stateset is updated through labels(...) or with<...>()
#include <promcxx/stateset.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "follower">, promcxx::labels<"peer">> metric{
    promcxx::unregistered};
void use() { metric.set_state<"leader">(); }
#else
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "follower">, promcxx::labels<"peer">> metric{
    promcxx::unregistered};
void use() { metric.labels("n1").set_state<"leader">(); }
#endif
