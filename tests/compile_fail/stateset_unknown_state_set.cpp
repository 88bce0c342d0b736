// expect: promcxx::stateset: set<...>(bool): not one of the declared states<...>
#include <promcxx/stateset.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "follower">> metric{promcxx::unregistered};
void use() { metric.set<"observer">(true); }
#else
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "follower">> metric{promcxx::unregistered};
void use() { metric.set<"leader">(true); }
#endif
