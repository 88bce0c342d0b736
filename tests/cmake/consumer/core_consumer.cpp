// Core-only consumer: declares and updates metrics through promcxx::core and
// reads them back. Compiling proves core.hpp needs no fmt (FMT_VERSION would be
// defined by any fmt header it pulled in); the check script also proves the
// binary does not link libfmt.
#include <promcxx/core.hpp>

#ifdef FMT_VERSION
#error "promcxx/core.hpp pulled in an fmt header"
#endif

#include <cstdio>

namespace {
promcxx::counter<"core_consumer_events_total", "Events seen by the core-only consumer.", promcxx::labels<"kind">>
    events;
promcxx::gauge<"core_consumer_depth", "Queue depth of the core-only consumer."> depth;
} // namespace

int main() {
    events.labels("a").inc(2);
    events.labels("a").inc();
    depth.set(7.5);
    const double a = events.labels("a").value();
    if (a != 3.0 || depth.value() != 7.5) {
        std::fprintf(stderr, "core_consumer: read back %g and %g, expected 3 and 7.5\n", a, depth.value());
        return 1;
    }
    std::printf("core_consumer: promcxx %s core works without fmt\n", PROMCXX_VERSION_STRING);
    return 0;
}
