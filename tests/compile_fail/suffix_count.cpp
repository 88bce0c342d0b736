// expect: promcxx: names ending in _bucket, _count or _sum are reserved for histogram and summary series
#include <promcxx/core.hpp>
#include <limits>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::gauge<"peer_count", "Peers."> metric{promcxx::unregistered};
#else
promcxx::gauge<"peer_total_seen", "Peers."> metric{promcxx::unregistered};
#endif
