// expect: promcxx::stateset: state names must be non-empty UTF-8
#include <promcxx/stateset.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "">> metric{promcxx::unregistered};
#else
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "\xc3\xa9">> metric{promcxx::unregistered};
#endif
