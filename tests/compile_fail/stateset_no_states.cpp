// expect: promcxx::stateset: give the states exactly once, as states<"a", "b", ...>
#include <promcxx/stateset.hpp>
#ifdef PROMCXX_EXPECT_ERROR
promcxx::stateset<"node_role", "Role."> metric{promcxx::unregistered};
#else
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader">> metric{promcxx::unregistered};
#endif
