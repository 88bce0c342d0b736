// expect: promcxx::gauge_func: a labelled callback takes a callback_sink& and calls it once per series
#include <promcxx/callback.hpp>

#ifdef PROMCXX_EXPECT_ERROR
promcxx::registry reg;
promcxx::gauge_func<"conns", "Connections.", promcxx::labels<"state">> g{reg, [] { return 1.0; }};
#else
promcxx::registry reg;
promcxx::gauge_func<"conns", "Connections.", promcxx::labels<"state">> g{
    reg, [](promcxx::callback_sink& out) { out(1.0, "open"); }};
#endif
