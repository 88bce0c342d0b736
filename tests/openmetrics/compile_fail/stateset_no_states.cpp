// error: promcxx::stateset: give the states exactly once
#include <promcxx/stateset.hpp>
#ifdef PROMCXX_CASE_OK
promcxx::stateset<"node_role", "Role.", promcxx::states<"leader">> metric{promcxx::unregistered};
#else
promcxx::stateset<"node_role", "Role."> metric{promcxx::unregistered};
#endif
