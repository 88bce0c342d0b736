// expect: promcxx::unit: info and stateset metrics take no unit
#include <promcxx/stateset.hpp>
#ifdef PROMCXX_EXPECT_ERROR
promcxx::stateset<"disk_state_bytes", "State.", promcxx::states<"ok", "full">, promcxx::unit<"bytes">> metric{
    promcxx::unregistered};
#else
promcxx::stateset<"disk_state_bytes", "State.", promcxx::states<"ok", "full">> metric{promcxx::unregistered};
#endif
