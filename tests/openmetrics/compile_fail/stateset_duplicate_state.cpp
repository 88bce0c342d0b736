// error: promcxx::stateset: state names must be unique
#include <promcxx/stateset.hpp>
#ifdef PROMCXX_CASE_OK
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "follower">> metric{promcxx::unregistered};
#else
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader", "leader">> metric{promcxx::unregistered};
#endif
