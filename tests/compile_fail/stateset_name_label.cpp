// expect: promcxx::stateset: a label may not be named like the stateset (that label carries the state)
#include <promcxx/stateset.hpp>
#ifdef PROMCXX_EXPECT_ERROR
promcxx::stateset<"node_role", "Role.", promcxx::states<"a">, promcxx::labels<"node_role">> metric{
    promcxx::unregistered};
#else
promcxx::stateset<"node_role", "Role.", promcxx::states<"a">, promcxx::labels<"peer">> metric{promcxx::unregistered};
#endif
