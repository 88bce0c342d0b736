// mpc_node --native-histograms: the signing and consensus-round latencies are
// also observed into native histograms, and only once enabled.
#include <doctest/doctest.h>

#include <cstdint>
#include <numeric>
#include <string>
#include <string_view>
#include <vector>

#include <promcxx/registry.hpp>

#include "cli.hpp"
#include "mpc_metrics.hpp"
#include "native_latency.hpp"

namespace {

promcxx::native_histogram_series::reading read(const promcxx::native_histogram_series& s) {
  promcxx::native_histogram_series::reading r;
  s.read(r);
  return r;
}

std::uint64_t bucket_total(const promcxx::native_histogram_series::reading& r) {
  return r.zero_count + std::accumulate(r.positive.begin(), r.positive.end(), std::uint64_t{0}) +
         std::accumulate(r.negative.begin(), r.negative.end(), std::uint64_t{0});
}

} // namespace

TEST_CASE("native latency: --native-histograms is a flag without a value, off by default") {
  CHECK_FALSE(mpc::parse_options({}).native_histograms);
  CHECK(mpc::parse_options({"--native-histograms"}).native_histograms);
  try {
    mpc::parse_options({"--native-histograms=1"});
    FAIL("a value was accepted");
  } catch (const mpc::usage_error& e) {
    CHECK(std::string(e.what()) == "--native-histograms: takes no value");
  }
}

TEST_CASE("native latency: off until enabled, then every signing and round duration is also native") {
  REQUIRE_FALSE(mpc::native_latency::enabled());
  mpc::record_signature(mpc::protocol::frost, mpc::sign_result::success, 0.25);  // classic only

  promcxx::registry reg;
  auto& f = mpc::native_latency::enable(reg);
  CHECK(mpc::native_latency::enabled());
  CHECK(&mpc::native_latency::enable(reg) == &f);  // once

  mpc::record_signature(mpc::protocol::frost, mpc::sign_result::success, 0.25);
  mpc::record_signature(mpc::protocol::frost, mpc::sign_result::failure, 3.0);
  mpc::record_signature("cggmp24", "success", 1.5);
  mpc::record_signature("no-such-protocol", "success", 1.0);  // classic overflow series; not native
  mpc::record_consensus_round(0.7);

  const auto frost = read(f.frost);
  CHECK(frost.count == 2);
  CHECK(frost.sum == doctest::Approx(3.25));
  CHECK(bucket_total(frost) == 2);
  CHECK(frost.schema == 3);
  // 0.25 = 2^-2 is the upper bound of bucket -16 at schema 3; 3.0 lies in bucket 13.
  CHECK(frost.positive_first == -16);
  REQUIRE(frost.positive.size() == 30);
  CHECK(frost.positive.front() == 1);
  CHECK(frost.positive.back() == 1);

  const auto cggmp = read(f.cggmp24);
  CHECK(cggmp.count == 1);
  CHECK(cggmp.sum == doctest::Approx(1.5));
  const auto round = read(f.consensus_round.labels(std::vector<std::string_view>{}));
  CHECK(round.count == 1);
  CHECK(round.sum == doctest::Approx(0.7));
}
