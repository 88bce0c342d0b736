// expect: promcxx: only statesets take states
#include <promcxx/core.hpp>
#include <promcxx/stateset.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"role", "Role.", promcxx::states<"a", "b">> metric{promcxx::unregistered};
#else
promcxx::stateset<"role", "Role.", promcxx::states<"a", "b">> metric{promcxx::unregistered};
#endif
