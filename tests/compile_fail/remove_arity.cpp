// expect: promcxx: remove(...) takes exactly one value per declared label name
#include <promcxx/core.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::counter<"peer_total", "Peers.", promcxx::labels<"peer", "kind">> peers{promcxx::unregistered};
bool use() { return peers.remove("a"); }
#else
promcxx::counter<"peer_total", "Peers.", promcxx::labels<"peer", "kind">> peers{promcxx::unregistered};
bool use() { return peers.remove("a", "b"); }
#endif
