// Issue 18 regression: a collector that emitted one label set twice in a family
// exposed the series twice (client_golang refuses such a scrape as a whole).
// Now the first one stays, each repeat is dropped and counted in
// promcxx_collect_errors_total, in any label order, and the check sorts keys
// rather than comparing pairs (the old duplicate-label check was quadratic).
#include <doctest/doctest.h>

#include <promcxx.hpp>

#include <cstdint>
#include <string>
#include <string_view>
#include <vector>

#include "exposition_text.hpp"

namespace {

using namespace test_support;

struct sample {
  std::vector<promcxx::label_pair> labels;
  double value;
};

struct samples_collector : promcxx::collector {
  std::vector<sample> samples;
  void collect(promcxx::collect_sink& sink) const override {
    if (!sink.family("peer_lag_seconds", "Lag by peer.", promcxx::metric_type::gauge)) return;
    for (const auto& s : samples) sink.sample(std::span<const promcxx::label_pair>{s.labels}, s.value);
  }
};

} // namespace

TEST_CASE("robustness: a series a collector emits twice is exposed once, the first value, and counted") {
  promcxx::registry reg;
  samples_collector c;
  c.samples = {{{{"peer", "a"}}, 1}, {{{"peer", "b"}}, 2}, {{{"peer", "a"}}, 3}, {{{"peer", "a"}}, 4}};
  reg.add(c);
  const auto text = rendered(reg, promcxx::exposition_format::text_0_0_4);
  CHECK(has_line(text, "peer_lag_seconds{peer=\"a\"} 1"));
  CHECK(has_line(text, "peer_lag_seconds{peer=\"b\"} 2"));
  CHECK(lines_starting(text, "peer_lag_seconds{") == 2);
  CHECK(has_line(text, "promcxx_collect_errors_total 2"));
  reg.remove(c);
}

TEST_CASE("robustness: the same label set in another order is the same series; other names are not") {
  promcxx::registry reg;
  reg.set_const_labels({{"node_id", "n1"}});
  samples_collector c;
  c.samples = {{{{"peer", "a"}, {"dir", "in"}}, 1},
               {{{"dir", "in"}, {"peer", "a"}}, 2},  // repeat, other order
               {{{"peer", "in"}}, 3},                // same value, other name: another series
               {{{"dir", "in"}}, 4},
               {{}, 5},
               {{}, 6}};  // repeat of the series without labels (constant labels only)
  reg.add(c);
  const auto om = rendered(reg, promcxx::exposition_format::openmetrics_1_0_0);
  CHECK(has_line(om, "peer_lag_seconds{node_id=\"n1\",peer=\"a\",dir=\"in\"} 1.0"));
  CHECK(has_line(om, "peer_lag_seconds{node_id=\"n1\",peer=\"in\"} 3.0"));
  CHECK(has_line(om, "peer_lag_seconds{node_id=\"n1\",dir=\"in\"} 4.0"));
  CHECK(has_line(om, "peer_lag_seconds{node_id=\"n1\"} 5.0"));
  CHECK(lines_starting(om, "peer_lag_seconds{") == 4);
  CHECK(has_line(om, "promcxx_collect_errors_total{node_id=\"n1\"} 2.0"));
  reg.remove(c);
}

TEST_CASE("robustness: repeats are found in every metric type a collector emits") {
  promcxx::registry reg;
  struct histogram_twice : promcxx::collector {
    void collect(promcxx::collect_sink& sink) const override {
      const double bounds[] = {1};
      const std::uint64_t first[] = {1, 2}, second[] = {5, 9};
      const promcxx::label_pair labels[] = {{"op", "sign"}};
      if (!sink.histogram_family("op_seconds", "Ops.", bounds)) return;
      sink.histogram_sample(labels, first, 1.5);
      sink.histogram_sample(labels, second, 20);
    }
  } c;
  reg.add(c);
  const auto text = rendered(reg, promcxx::exposition_format::text_0_0_4);
  CHECK(has_line(text, "op_seconds_count{op=\"sign\"} 2"));
  CHECK(lines_starting(text, "op_seconds_count{") == 1);
  CHECK(has_line(text, "promcxx_collect_errors_total 1"));
  reg.remove(c);
}

TEST_CASE("robustness: many series, many repeats: each repeat counted once, the first values kept") {
  // 60000 emissions of 20000 series: any pairwise check would make 10^9 comparisons here.
  promcxx::registry reg;
  samples_collector c;
  std::vector<std::string> names;
  for (int i = 0; i < 20000; ++i) names.push_back("peer-" + std::to_string(i));
  for (int round = 0; round < 3; ++round)
    for (int i = 0; i < 20000; ++i) c.samples.push_back({{{"peer", names[i]}}, static_cast<double>(round)});
  const promcxx::label_pair same[] = {{"peer", "hot"}};
  for (int i = 0; i < 40000; ++i) c.samples.push_back({{same[0]}, static_cast<double>(i)});
  reg.add(c);
  const auto text = rendered(reg, promcxx::exposition_format::text_0_0_4);
  CHECK(lines_starting(text, "peer_lag_seconds{") == 20001);
  CHECK(lines_starting(text, "peer_lag_seconds{peer=\"peer-") == 20000);
  CHECK(text.find("peer_lag_seconds{peer=\"peer-17\"} 0\n") != std::string::npos);
  CHECK(text.find(" 1\npeer_lag") == std::string::npos);  // no value of a later round
  CHECK(has_line(text, "peer_lag_seconds{peer=\"hot\"} 0"));
  CHECK(has_line(text, "promcxx_collect_errors_total 79999"));
  reg.remove(c);
}
