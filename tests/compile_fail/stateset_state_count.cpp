// expect: promcxx::stateset: between 1 and 64 states
#include <promcxx/stateset.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::stateset<"node_role", "Role.", promcxx::states<>> metric{promcxx::unregistered};
#else
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader">> metric{promcxx::unregistered};
#endif
