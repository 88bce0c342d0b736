// Bad data never aborts (issue 18): built twice, with the default PROMCXX_ASSERT
// (which aborts on a broken contract in builds without NDEBUG) and with NDEBUG.
// Values that arrive at run time are dropped and counted in promcxx_bad_data_total{kind}.
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <promcxx.hpp>

#include <limits>
#include <string>

#ifdef PROMCXX_ASSERT_IS_DEFAULT
static_assert(true, "the default PROMCXX_ASSERT is in force here");
#else
#  error "bad_data_test must run with the default PROMCXX_ASSERT"
#endif

#include "exposition_text.hpp"

namespace {

using namespace test_support;

std::uint64_t count(promcxx::detail::bad_data kind) {
  return promcxx::detail::bad_data_counts[static_cast<std::size_t>(kind)].load();
}

} // namespace

TEST_CASE("bad data: invalid UTF-8, NaN, negative increments, huge exemplars and unknown states are dropped and counted") {
  using promcxx::detail::bad_data;
  promcxx::registry reg;
  promcxx::counter<"peer_total", "By peer.", promcxx::labels<"peer">> by_peer{reg};
  promcxx::histogram<"latency_seconds", "Latency.", promcxx::buckets<"1">, promcxx::exemplars> latency{reg};
  promcxx::summary<"size_bytes", "Sizes."> sizes{reg};
  promcxx::counter<"jobs_total", "Jobs.", promcxx::exemplars> jobs{reg};
  promcxx::stateset<"role", "Role.", promcxx::states<"leader", "follower">> role{reg};
  const double nan = std::numeric_limits<double>::quiet_NaN();

  by_peer.labels("bad\xff").inc();  // a peer name read from the network
  CHECK(count(bad_data::label_value) == 1);
  latency.observe(nan);
  sizes.observe(nan);
  CHECK(count(bad_data::observation_nan) == 2);
  jobs.inc(-1);
  jobs.inc(nan);
  CHECK(count(bad_data::counter_decrease) == 2);
  jobs.inc(1, {{"trace_id", std::string(300, 'x')}});
  CHECK(count(bad_data::exemplar) == 1);
  role.set_state("candidate");
  CHECK(count(bad_data::unknown_state) == 1);

  // Nothing was half-applied: the good parts of each call still count, the bad values do not.
  CHECK(latency.count() == 0);
  CHECK(sizes.count() == 0);
  CHECK(jobs.value() == 1);  // the exemplar was dropped, the increment was not
  CHECK_FALSE(role.is_set("leader"));
  const auto text = text_of(reg);
  CHECK_FALSE(contains(text, "bad"));
  CHECK(contains(text, "latency_seconds_count 0\n"));
  const auto defaults = text_of(promcxx::default_registry());
  CHECK(contains(defaults, "promcxx_bad_data_total{kind=\"label_value\"} 1\n"));
  CHECK(contains(defaults, "promcxx_bad_data_total{kind=\"observation_nan\"} 2\n"));
  CHECK(contains(defaults, "promcxx_bad_data_total{kind=\"counter_decrease\"} 2\n"));
  CHECK(contains(defaults, "promcxx_bad_data_total{kind=\"exemplar\"} 1\n"));
  CHECK(contains(defaults, "promcxx_bad_data_total{kind=\"unknown_state\"} 1\n"));
}
