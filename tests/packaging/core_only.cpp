// promcxx/core.hpp alone: no fmt, no sockets, no zlib, no encoder (fmt's
// test/base-test.cc idea). Built without fmt or zlib on the command line, it
// then declares and updates metrics to show the core is enough for that.
#include <promcxx/core.hpp>

#define PROMCXX_GUARDS_PRESENT 0
#include "core_guards.inc"

#include <cstdio>

namespace {

promcxx::registry reg;
promcxx::counter<"core_only_events_total", "Events.", promcxx::labels<"kind">> events{reg};
promcxx::gauge<"core_only_level", "Level."> level{reg};
promcxx::histogram<"core_only_seconds", "Durations.", promcxx::buckets<"0.5", "1">> seconds{reg};

} // namespace

int main() {
    events.labels("a").inc();
    events.labels("a").inc(2);
    level.set(4);
    level.dec();
    seconds.observe(0.75);
    const bool ok = events.labels("a").value() == 3 && level.value() == 3 && seconds.count() == 1 &&
                    seconds.sum() == 0.75;
    if (!ok) std::fprintf(stderr, "core_only: metric values are wrong\n");
    return ok ? 0 : 1;
}
