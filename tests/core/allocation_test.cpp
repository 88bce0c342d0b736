// Zero allocations on the hot path, proven with the counting global operator new of tests/support.
#include "test_config.hpp"
#include "alloc_counter.hpp"

#include <promcxx/core.hpp>
#include <promcxx/exposition.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <barrier>
#include <cstdlib>
#include <new>
#include <string>
#include <thread>
#include <vector>

using promcxx_test::allocations;

TEST_CASE("allocation: millions of hot-path operations on concurrent threads allocate nothing") {
  promcxx::registry reg;
  promcxx::counter<"ops_total", "Ops."> ops{reg};
  promcxx::gauge<"level", "Level."> level{reg};
  promcxx::histogram<"latency_seconds", "Latency."> latency{reg};
  promcxx::counter<"by_peer_total", "By peer.", promcxx::labels<"peer", "kind">> by_peer{reg};
  promcxx::counter<"by_state_total", "By state.", promcxx::labels<"state">,
                   promcxx::label_values<"state", "pending", "signed">>
      by_state{reg};
  const std::string peer = "node-3";  // runtime values, as a caller would have them
  const std::string kind = "vote";
  by_peer.labels(peer, kind).inc();  // the series exists before counting starts

  constexpr int threads = 4;
  constexpr int iterations = 300000;
  std::barrier sync{threads + 1};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&] {
      ops.inc();  // first write adopts this thread's slab: once per thread, before counting
      latency.observe(0.1);
      sync.arrive_and_wait();  // counting starts
      auto cached = by_peer.labels(peer, kind);
      for (int i = 0; i < iterations; ++i) {
        ops.inc();
        ops.inc(2);
        level.set(i);
        level.inc();
        latency.observe(i * 1e-5);
        cached.inc();
        by_peer.labels(peer, kind).inc();
        by_state.with<"signed">().inc();
        by_state.labels("pending").inc();
      }
      sync.arrive_and_wait();  // counting ends
    });
  }
  sync.arrive_and_wait();
  const auto before = allocations();
  sync.arrive_and_wait();
  const auto after = allocations();
  for (auto& w : workers) w.join();
  CHECK(after - before == 0);
  CHECK(ops.value() == threads * (1 + 3.0 * iterations));
  CHECK(by_peer.labels(peer, kind).value() == 1 + 2.0 * threads * iterations);
  // The counting operator new is live: creating a new series does allocate.
  const auto probe = allocations();
  by_peer.labels("node-9", "vote").inc();
  CHECK(allocations() > probe);
}

namespace {
struct fixed_collector : promcxx::collector {
  void collect(promcxx::collect_sink& sink) const override {
    if (sink.family("collected_widgets", "Widgets computed at scrape time.", promcxx::metric_type::gauge))
      sink.sample({{"kind", "sprocket"}}, 3);
  }
};
} // namespace

TEST_CASE("allocation: a steady-state render allocates nothing once its buffers have grown") {
  promcxx::registry reg;
  reg.set_const_labels({{"node_id", "node-with-a-long-name-1"}});
  promcxx::counter<"a_rather_long_family_name_total", "Help.", promcxx::labels<"path">> requests{reg};
  promcxx::histogram<"another_long_histogram_name_seconds", "Help."> latency{reg};
  promcxx::info<"build_information", "Build.", promcxx::labels<"version">> build{reg};
  fixed_collector collected;
  reg.add(collected);
  for (int i = 0; i < 50; ++i) requests.labels("/path/number/" + std::to_string(i)).inc();
  latency.observe(0.3);
  build.set("1.2.3");
  std::string out;
  for (const auto format : {promcxx::exposition_format::text_0_0_4, promcxx::exposition_format::openmetrics_1_0_0}) {
    promcxx::render(reg, format, out);  // grows the buffers
    promcxx::render(reg, format, out);
    const auto before = allocations();
    promcxx::render(reg, format, out);
    CHECK(allocations() - before == 0);
    CHECK(out.find("collected_widgets") != std::string::npos);
  }
}
