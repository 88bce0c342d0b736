// Scope timers and in-flight guards: exactly one recording per guard, the
// right kind of update per target, and no allocation.
#include "test_config.hpp"
#include "alloc_counter.hpp"

#include <doctest/doctest.h>

#include <chrono>
#include <string>
#include <thread>
#include <type_traits>
#include <utility>

#include <promcxx.hpp>
#include <promcxx/timer.hpp>

namespace {

std::string exposition(promcxx::registry& reg) {
  std::string out;
  promcxx::render(reg, promcxx::exposition_format::text_0_0_4, out);
  return out;
}

// Types the guards accept and refuse, checked at compile time.
using plain_counter = promcxx::counter<"peers_t_total", "x">;
static_assert(!promcxx::detail::observes_double<plain_counter> && !promcxx::detail::sets_double<plain_counter>);
static_assert(promcxx::detail::counts_up_and_down<promcxx::gauge<"peers_t_g", "x">>);
static_assert(!promcxx::detail::counts_up_and_down<plain_counter>);

} // namespace

TEST_CASE("timer: a histogram observes the elapsed seconds once, at scope exit") {
  promcxx::registry reg;
  promcxx::histogram<"peers_timer_seconds", "Timed scopes.", promcxx::buckets<0.001, 10.0>> h{reg};
  {
    auto t = promcxx::start_timer(h);
    std::this_thread::sleep_for(std::chrono::milliseconds(20));
    CHECK(h.count() == 0);
  }
  CHECK(h.count() == 1);
  CHECK(h.sum() >= 0.020);  // steady_clock: at least the time slept
  const auto text = exposition(reg);
  CHECK(text.find("peers_timer_seconds_bucket{le=\"0.001\"} 0\n") != std::string::npos);
  CHECK(text.find("peers_timer_seconds_count 1\n") != std::string::npos);
}

TEST_CASE("timer: stop() records once and returns the same value afterwards; cancel() records nothing") {
  promcxx::registry reg;
  promcxx::summary<"peers_timer_summary_seconds", "Timed scopes."> s{reg};
  double first = 0;
  {
    auto t = promcxx::start_timer(s);
    std::this_thread::sleep_for(std::chrono::milliseconds(5));
    first = t.stop();
    CHECK(first >= 0.005);
    CHECK(t.stop() == first);
    CHECK(s.count() == 1);
  }
  CHECK(s.count() == 1);  // not again at scope exit
  CHECK(s.sum() == first);
  {
    auto t = promcxx::start_timer(s);
    t.cancel();
    CHECK(t.stop() == 0);
  }
  CHECK(s.count() == 1);
}

TEST_CASE("timer: a gauge is set to the duration; a labelled handle is kept by value") {
  promcxx::registry reg;
  promcxx::gauge<"peers_last_run_seconds", "Duration of the last run."> last{reg};
  promcxx::histogram<"peers_rpc_seconds", "RPC latency.", promcxx::labels<"method">> rpc{reg};
  last.set(-1);
  {
    auto t = promcxx::start_timer(last);
    auto r = promcxx::start_timer(rpc.labels("get"));  // a temporary handle
    static_assert(!std::is_reference_v<decltype(r)>);
    std::this_thread::sleep_for(std::chrono::milliseconds(2));
  }
  CHECK(last.value() >= 0.002);
  CHECK(rpc.labels("get").count() == 1);
  CHECK(rpc.labels("get").sum() >= 0.002);
}

TEST_CASE("timer: a moved timer records once, from its new owner") {
  promcxx::registry reg;
  promcxx::histogram<"peers_moved_seconds", "Moved timers."> h{reg};
  {
    auto a = promcxx::start_timer(h);
    auto b = std::move(a);
    CHECK(a.stop() == 0);  // the moved-from timer is disarmed
    CHECK(h.count() == 0);
  }
  CHECK(h.count() == 1);
}

TEST_CASE("track_inprogress: +1 for the scope, -1 after, also when the scope throws") {
  promcxx::registry reg;
  promcxx::gauge<"peers_in_flight", "Requests in flight."> in_flight{reg};
  promcxx::gauge<"peers_in_flight_by_kind", "Requests in flight.", promcxx::labels<"kind">> by_kind{reg};
  {
    auto g = promcxx::track_inprogress(in_flight);
    auto k = promcxx::track_inprogress(by_kind.labels("read"));
    CHECK(in_flight.value() == 1);
    {
      auto g2 = promcxx::track_inprogress(in_flight);
      CHECK(in_flight.value() == 2);
      g2.done();
      CHECK(in_flight.value() == 1);
    }
    CHECK(in_flight.value() == 1);
    CHECK(by_kind.labels("read").value() == 1);
  }
  CHECK(in_flight.value() == 0);
  CHECK(by_kind.labels("read").value() == 0);
  try {
    auto g = promcxx::track_inprogress(in_flight);
    throw std::runtime_error("boom");
  } catch (const std::runtime_error&) {
  }
  CHECK(in_flight.value() == 0);
  CHECK(exposition(reg).find("peers_in_flight 0\n") != std::string::npos);
}

TEST_CASE("timer and track_inprogress allocate nothing") {
  promcxx::registry reg;
  promcxx::histogram<"peers_alloc_seconds", "x", promcxx::labels<"m">> h{reg};
  promcxx::summary<"peers_alloc_summary_seconds", "x"> s{reg};
  promcxx::gauge<"peers_alloc_gauge", "x"> g{reg};
  h.labels("a").observe(0);  // the series exists before counting starts
  s.observe(0);
  g.set(0);
  const auto before = promcxx_test::thread_allocations();
  for (int i = 0; i < 10000; ++i) {
    auto a = promcxx::start_timer(h.labels("a"));
    auto b = promcxx::start_timer(s);
    auto c = promcxx::start_timer(g);
    auto d = promcxx::track_inprogress(g);
    b.stop();
  }
  CHECK(promcxx_test::thread_allocations() - before == 0);
  CHECK(h.labels("a").count() == 10001);
  CHECK(s.count() == 10001);
}
