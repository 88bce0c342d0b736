// summary (no quantiles), info and stateset: their API and what both encoders make of them.
#include "test_config.hpp"

#include <atomic>
#include <cmath>
#include <limits>
#include <string>
#include <thread>
#include <vector>

#include <promcxx/core.hpp>
#include <promcxx/exposition.hpp>
#include <promcxx/info.hpp>
#include <promcxx/stateset.hpp>
#include <promcxx/summary.hpp>

#include <doctest/doctest.h>

#include "om_test_util.hpp"

namespace {

using om_test::has_line;

TEST_CASE("summary: count and sum, no quantile series") {
  promcxx::registry reg;
  promcxx::summary<"rpc_duration_seconds", "RPC latency."> rpc{reg};
  rpc.observe(0.25);
  rpc.observe(1.5);
  CHECK(rpc.count() == 2);
  CHECK(rpc.sum() == doctest::Approx(1.75));
  const auto om = om_test::openmetrics(reg);
  CHECK(has_line(om, "# TYPE rpc_duration_seconds summary"));
  CHECK(has_line(om, "rpc_duration_seconds_count 2"));
  CHECK(has_line(om, "rpc_duration_seconds_sum 1.75"));
  CHECK(om_test::line_starting(om, "rpc_duration_seconds_created ").size() > 30);
  CHECK(om.find("quantile") == std::string::npos);
  const auto text = om_test::text(reg);
  CHECK(has_line(text, "# TYPE rpc_duration_seconds summary"));
  CHECK(has_line(text, "rpc_duration_seconds_sum 1.75"));
  CHECK(has_line(text, "rpc_duration_seconds_count 2"));
}

TEST_CASE("summary: labelled series, NaN is a contract violation and not recorded") {
  promcxx::registry reg;
  promcxx::summary<"db_query_duration_seconds", "Query time.", promcxx::labels<"table">> q{reg};
  q.labels("users").observe(2);
  CHECK_THROWS_AS(q.labels("users").observe(std::numeric_limits<double>::quiet_NaN()), promcxx_test::contract_violation);
  CHECK(q.labels("users").count() == 1);
  CHECK(q.labels("users").sum() == 2);
  CHECK(has_line(om_test::openmetrics(reg), "db_query_duration_seconds_count{table=\"users\"} 1"));
}

TEST_CASE("summary: counts from several threads add up") {
  promcxx::registry reg;
  promcxx::summary<"work_duration_seconds", "Work."> w{reg};
  std::vector<std::thread> threads;
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&w] {
      for (int i = 0; i < 10000; ++i) w.observe(0.5);
    });
  std::string out;
  for (int i = 0; i < 50; ++i) promcxx::render(reg, promcxx::exposition_format::openmetrics_1_0_0, out);
  for (auto& t : threads) t.join();
  CHECK(w.count() == 40000);
  CHECK(w.sum() == 20000);
}

TEST_CASE("info: value 1, set replaces the label values") {
  promcxx::registry reg;
  promcxx::info<"build", "Build information.", promcxx::labels<"version", "revision">> build{reg};
  CHECK(om_test::openmetrics(reg) == "# EOF\n");  // nothing to show before set()
  build.set("1.2", "abc");
  CHECK(has_line(om_test::openmetrics(reg), "build_info{version=\"1.2\",revision=\"abc\"} 1"));
  build.set(std::string{"1.3"}, "d\"e\\f");
  const auto om = om_test::openmetrics(reg);
  CHECK(has_line(om, "# TYPE build info"));
  CHECK(has_line(om, "build_info{version=\"1.3\",revision=\"d\\\"e\\\\f\"} 1"));
  CHECK(om.find("1.2") == std::string::npos);
  CHECK(has_line(om_test::text(reg), "# TYPE build_info gauge"));
  CHECK_THROWS_AS(build.set("\xc0\xaf", "x"), promcxx_test::contract_violation);
  CHECK(has_line(om_test::openmetrics(reg), "build_info{version=\"1.3\",revision=\"d\\\"e\\\\f\"} 1"));
}

TEST_CASE("info: without labels it is always exposed; registry const labels apply") {
  promcxx::registry reg;
  reg.set_const_labels({{"node_id", "node-1"}});
  promcxx::info<"agent", "Agent present."> agent{reg};
  CHECK(has_line(om_test::openmetrics(reg), "agent_info{node_id=\"node-1\"} 1"));
}

TEST_CASE("stateset: set_state has enum semantics, set has flag semantics") {
  promcxx::registry reg;
  promcxx::stateset<"node_role", "Raft role.", promcxx::states<"leader", "follower", "candidate">> role{reg};
  auto ones = [&reg] {
    const auto om = om_test::openmetrics(reg);
    std::string on;
    for (const char* s : {"leader", "follower", "candidate"})
      if (has_line(om, std::string("node_role{node_role=\"") + s + "\"} 1")) on += s;
    return on;
  };
  CHECK(ones().empty());  // every state starts at 0
  role.set_state<"follower">();
  CHECK(ones() == "follower");
  role.set_state("leader");
  CHECK(ones() == "leader");
  CHECK(role.is_set("leader"));
  CHECK_FALSE(role.is_set("follower"));
  role.set("candidate", true);
  CHECK(ones() == "leadercandidate");
  role.set<"leader">(false);
  CHECK(ones() == "candidate");
  CHECK_THROWS_AS(role.set_state("observer"), promcxx_test::contract_violation);
  CHECK_THROWS_AS(role.set("observer", true), promcxx_test::contract_violation);
  CHECK(ones() == "candidate");
  const auto text = om_test::text(reg);
  CHECK(has_line(text, "# TYPE node_role gauge"));
  CHECK(has_line(text, "node_role{node_role=\"candidate\"} 1"));
  CHECK(has_line(text, "node_role{node_role=\"leader\"} 0"));
}

TEST_CASE("stateset: labelled series and label_values") {
  promcxx::registry reg;
  promcxx::stateset<"link_state", "Peer link.", promcxx::states<"up", "down">, promcxx::labels<"peer">,
                    promcxx::label_values<"peer", "node-2", "node-3">>
      link{reg};
  link.with<"node-3">().set_state<"down">();
  link.labels("node-2").set_state<"up">();
  const auto om = om_test::openmetrics(reg);
  CHECK(has_line(om, "link_state{peer=\"node-2\",link_state=\"up\"} 1"));
  CHECK(has_line(om, "link_state{peer=\"node-2\",link_state=\"down\"} 0"));
  CHECK(has_line(om, "link_state{peer=\"node-3\",link_state=\"down\"} 1"));
}

TEST_CASE("stateset: a scrape never sees two states on while threads switch the enum") {
  promcxx::registry reg;
  promcxx::stateset<"phase", "Phase.", promcxx::states<"a", "b", "c">> phase{reg};
  phase.set_state<"a">();
  std::atomic<bool> stop{false};
  std::thread writer{[&] {
    for (unsigned i = 0; !stop.load(std::memory_order_relaxed); ++i) {
      if (i % 3 == 0) phase.set_state<"a">();
      else if (i % 3 == 1) phase.set_state<"b">();
      else phase.set_state<"c">();
    }
  }};
  int bad = 0;
  for (int i = 0; i < 300; ++i) {
    const auto om = om_test::openmetrics(reg);
    int on = 0;
    for (const char* s : {"a", "b", "c"}) on += has_line(om, std::string("phase{phase=\"") + s + "\"} 1");
    bad += on != 1;
  }
  stop = true;
  writer.join();
  CHECK(bad == 0);
}

} // namespace
