// expect: promcxx: series of label_values<...> cannot be removed
#include <promcxx/core.hpp>

promcxx::counter<"state_total", "States.", promcxx::labels<"state">, promcxx::label_values<"state", "a", "b">> states;
promcxx::counter<"peer_total", "Peers.", promcxx::labels<"peer">> peers;

int main() {
#ifdef PROMCXX_EXPECT_ERROR
  return states.remove("a") ? 0 : 1;
#else
  return peers.remove("a") ? 1 : 0;
#endif
}
