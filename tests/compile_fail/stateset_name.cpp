// expect: promcxx::stateset: the name is also the label that carries the state, so it must match [a-zA-Z_][a-zA-Z0-9_]* (no ':')
#include <promcxx/stateset.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::stateset<"node:role", "Role.", promcxx::states<"leader">> metric{promcxx::unregistered};
#else
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader">> metric{promcxx::unregistered};
#endif
