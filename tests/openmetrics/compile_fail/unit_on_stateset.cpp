// error: promcxx::unit: info and stateset metrics take no unit
#include <promcxx/stateset.hpp>
#ifdef PROMCXX_CASE_OK
promcxx::stateset<"disk_state_bytes", "State.", promcxx::states<"ok", "full">> metric{promcxx::unregistered};
#else
promcxx::stateset<"disk_state_bytes", "State.", promcxx::states<"ok", "full">, promcxx::unit<"bytes">> metric{
    promcxx::unregistered};
#endif
