// error: promcxx::stateset: a label may not be named like the stateset
#include <promcxx/stateset.hpp>
#ifdef PROMCXX_CASE_OK
promcxx::stateset<"node_role", "Role.", promcxx::states<"a">, promcxx::labels<"peer">> metric{promcxx::unregistered};
#else
promcxx::stateset<"node_role", "Role.", promcxx::states<"a">, promcxx::labels<"node_role">> metric{
    promcxx::unregistered};
#endif
