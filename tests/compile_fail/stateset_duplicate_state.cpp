// expect: promcxx::stateset: state names must be unique
#include <promcxx/stateset.hpp>
#ifdef PROMCXX_EXPECT_ERROR
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "leader">> metric{promcxx::unregistered};
#else
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "follower">> metric{promcxx::unregistered};
#endif
