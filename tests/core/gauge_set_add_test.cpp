// Gauges with per-thread deltas: exact concurrent inc/dec, what set() does to
// adds before, after and during it, reads that agree with scrapes, and reuse
// of removed series (design note in include/promcxx/handles.hpp).
#include "test_config.hpp"

#include <promcxx.hpp>
#include <promcxx/timer.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <chrono>
#include <cmath>
#include <cstdint>
#include <limits>
#include <string_view>
#include <thread>
#include <vector>

namespace {

constexpr int thread_count = 6;

/// The value a scrape shows for `name` (the series whose labels' values are `label_values`).
double scraped(const promcxx::registry& reg, std::string_view name, std::vector<std::string_view> label_values = {}) {
  promcxx::snapshot snap;
  reg.collect(snap);
  for (const auto& f : snap.families) {
    if (snap.view(f.name) != name) continue;
    for (std::uint32_t s = f.first_series; s < f.first_series + f.series_count; ++s) {
      const auto& series = snap.all_series[s];
      if (series.label_count != label_values.size()) continue;
      bool same = true;
      for (std::uint32_t l = 0; l < series.label_count; ++l)
        same = same && snap.view(snap.labels[series.first_label + l].value) == label_values[l];
      if (same) return snap.values[series.first_value];
    }
  }
  FAIL("series not in the scrape: ", name);
  return 0;
}

template <class Body>
void run_threads(int n, Body body) {
  std::vector<std::thread> threads;
  for (int t = 0; t < n; ++t) threads.emplace_back(body, t);
  for (auto& t : threads) t.join();
}

std::uint8_t flags_of(const promcxx::detail::family_core& core, std::uint32_t id) {
  return core.record(id).gauge_flags.load(std::memory_order_relaxed);
}

} // namespace

TEST_CASE("gauge: concurrent inc/dec/add/sub from many threads give exact values") {
  promcxx::registry reg;
  promcxx::gauge<"in_flight", "In flight."> in_flight{reg};
  promcxx::gauge<"depth", "Depth.", promcxx::labels<"queue">> depth{reg};
  constexpr int rounds = 20000;
  run_threads(thread_count, [&](int t) {
    auto handle = depth.labels("q");
    for (int i = 0; i < rounds; ++i) {
      in_flight.inc();
      if (i % 3 == 0) in_flight.dec();
      handle.add(t + 1);  // whole amounts take the int64 cells
      handle.sub(1);
      handle.add(0.5);    // exact in binary: the fractional cells sum exactly too
    }
  });
  const double expected_in_flight = thread_count * (rounds - (rounds + 2) / 3);
  CHECK(in_flight.value() == expected_in_flight);
  CHECK(scraped(reg, "in_flight") == expected_in_flight);
  double expected_depth = 0;
  for (int t = 0; t < thread_count; ++t) expected_depth += rounds * (t + 0.5);
  CHECK(depth.labels("q").value() == expected_depth);
  CHECK(scraped(reg, "depth", {"q"}) == expected_depth);
}

TEST_CASE("gauge: whole deltas are exact in int64 where a double would round") {
  promcxx::registry reg;
  promcxx::gauge<"big", "Big."> big{reg};
  constexpr double near_limit = 9007199254740990.0;  // 2^53 - 2
  big.add(near_limit);
  for (int i = 0; i < 4; ++i) big.inc();  // a double stops at 2^53: 2^53 + 1 rounds back down
  big.sub(near_limit);
  CHECK(big.value() == 4);  // a double CAS loop gives 2 here
  big.set(0.25);
  big.add(near_limit);
  big.inc();
  big.inc();
  big.sub(near_limit);
  CHECK(big.value() == 2.25);
}

TEST_CASE("gauge: a set overwrites the adds that happened before it, adds after it count") {
  promcxx::registry reg;
  promcxx::gauge<"level", "Level."> level{reg};

  SUBCASE("one thread") {
    level.set(10);
    level.inc();
    level.add(2.5);
    level.set(3);
    CHECK(level.value() == 3);
    level.dec();
    level.add(0.25);
    CHECK(level.value() == 2.25);
    level.set(-1);
    CHECK(level.value() == -1);
  }
  SUBCASE("adds on other threads, ordered by join") {
    run_threads(thread_count, [&](int) {
      for (int i = 0; i < 1000; ++i) level.inc();
      level.add(0.5);
    });
    level.set(5);  // every add above happened before: all overwritten
    CHECK(level.value() == 5);
    run_threads(thread_count, [&](int t) {
      for (int i = 0; i < 7; ++i) level.inc();
      level.dec();
      if (t == 0) level.add(0.75);
    });
    CHECK(level.value() == 5 + thread_count * 6 + 0.75);
    CHECK(scraped(reg, "level") == level.value());
  }
  SUBCASE("sets on other threads, ordered by join") {
    level.inc();
    std::thread{[&] { level.set(100); }}.join();
    CHECK(level.value() == 100);
    std::thread{[&] {
      level.add(-0.5);
      level.set(7);
      level.inc();
    }}.join();
    level.inc();
    CHECK(level.value() == 9);
  }
}

TEST_CASE("gauge: adds concurrent with sets land wholly on one side; reads never tear") {
  // Sets go up in steps of 10^6, larger than all adds together: a read is then
  // (the step of one set) + (some of the adds after it). One reader sees values
  // that never go down; a read mixing one set's base with another set's
  // absorption would jump by up to all the adds, or drop.
  promcxx::registry reg;
  promcxx::gauge<"mixed", "Mixed."> mixed{reg};
  constexpr double step = 1e6;
  constexpr int adders = 3, max_adds = 100000;  // all adds together stay below half a step
  constexpr int min_sets = 20000, min_reads = 20000, max_sets = 2000000;
  mixed.inc();  // the cells are in use from the start
  mixed.set(step);
  std::atomic<bool> stop{false};
  std::atomic<int> bad_reads{0}, reads{0}, last_set{1};
  std::thread setter{[&] {
    for (int k = 2; k <= max_sets; ++k) {
      mixed.set(k * step);
      last_set.store(k, std::memory_order_relaxed);
      if (k >= min_sets && reads.load(std::memory_order_relaxed) >= min_reads) break;
    }
    stop = true;
  }};
  std::thread reader{[&] {
    double previous = 0;
    while (!stop.load(std::memory_order_relaxed)) {
      const double v = mixed.value();
      const double adds = v - std::floor(v / step) * step;
      if (v < previous || adds > adders * max_adds * 1.5) bad_reads.fetch_add(1);
      previous = v;
      reads.fetch_add(1, std::memory_order_relaxed);
    }
  }};
  run_threads(adders, [&](int t) {
    for (int i = 0; i < max_adds && !stop.load(std::memory_order_relaxed); ++i) {
      if (t == 0) mixed.add(1.5);
      else mixed.inc();
    }
  });
  setter.join();
  reader.join();
  CHECK(bad_reads.load() == 0);
  MESSAGE("reads during sets: ", reads.load());
  const double base = last_set.load() * step;
  const double v = mixed.value();
  CHECK(v >= base);                               // the last set wins
  CHECK(v <= base + adders * max_adds * 1.5);     // plus only adds, each at most once
  CHECK(scraped(reg, "mixed") == v);
  // Once every writer has joined, the defined part is exact again.
  mixed.set(-3);
  run_threads(adders, [&](int) { mixed.inc(); });
  CHECK(mixed.value() == -3 + adders);
}

TEST_CASE("gauge: concurrent sets leave exactly one of them") {
  promcxx::registry reg;
  promcxx::gauge<"target", "Target."> target{reg};
  target.inc();  // sets then take the absorbing path with its lock
  run_threads(thread_count, [&](int t) {
    for (int i = 0; i < 2000; ++i) target.set(t * 1000 + i);
  });
  const double v = target.value();
  bool one_of_the_last = false;
  for (int t = 0; t < thread_count; ++t) one_of_the_last = one_of_the_last || v == t * 1000 + 1999;
  CHECK(one_of_the_last);
}

TEST_CASE("gauge: a gauge that is only set never touches its cells") {
  promcxx::registry reg;
  promcxx::gauge<"temperature", "Temperature."> temperature{reg};
  run_threads(2, [&](int t) {
    for (int i = 0; i < 1000; ++i) temperature.set(t + i * 0.5);
  });
  CHECK(flags_of(temperature.core(), temperature.core().single()) == 0);  // set-only: one store per set
  temperature.set(21.5);
  CHECK(temperature.value() == 21.5);
  temperature.inc();
  CHECK(flags_of(temperature.core(), temperature.core().single()) == promcxx::detail::gauge_added);
  CHECK(temperature.value() == 22.5);
}

TEST_CASE("gauge: NaN and infinite deltas make the value NaN/Inf until the next set") {
  promcxx::registry reg;
  promcxx::gauge<"odd", "Odd."> odd{reg};
  odd.inc();
  odd.add(std::numeric_limits<double>::quiet_NaN());
  CHECK(std::isnan(odd.value()));
  odd.inc();
  CHECK(std::isnan(odd.value()));
  odd.set(1);
  odd.inc();
  CHECK(odd.value() == 2);
  odd.add(std::numeric_limits<double>::infinity());
  odd.add(-5.5);
  CHECK(odd.value() == std::numeric_limits<double>::infinity());
  odd.set(4);
  odd.add(0.5);
  CHECK(odd.value() == 4.5);
  odd.set(-0.0);
  CHECK(std::signbit(odd.value()));  // no stray +0.0 from the (empty) deltas
}

TEST_CASE("gauge: a removed series' handles stop, and the series reusing its record starts at 0") {
  promcxx::registry reg;
  promcxx::gauge<"workers", "Workers.", promcxx::labels<"pool">, promcxx::max_series<1>> workers{reg};
  auto old_handle = workers.labels("a");
  run_threads(thread_count, [&](int) {
    for (int i = 0; i < 100; ++i) old_handle.inc();
    old_handle.add(0.5);
  });
  old_handle.set(3);
  old_handle.inc();
  CHECK(old_handle.value() == 4);
  CHECK(workers.remove("a"));
  auto fresh = workers.labels("b");  // max_series<1>: the same record and cells
  CHECK(fresh.value() == 0);
  CHECK(scraped(reg, "workers", {"b"}) == 0);
  old_handle.inc();
  old_handle.set(99);
  CHECK(fresh.value() == 0);
  fresh.inc();
  fresh.inc();
  CHECK(fresh.value() == 2);
  fresh.set(8);  // reuse made it set-only again: the inc above flagged it anew
  fresh.dec();
  CHECK(scraped(reg, "workers", {"b"}) == 7);
}

TEST_CASE("gauge: runtime gauge families use the same per-thread cells") {
  promcxx::registry reg;
  promcxx::family_options options;
  options.max_series = 1;
  auto& depth = reg.gauge_family("queue_depth", "Depth.", {"queue"}, options);
  run_threads(thread_count, [&](int) {
    auto h = depth.labels({"q"});
    for (int i = 0; i < 5000; ++i) {
      h.inc();
      h.inc();
      h.dec();
    }
  });
  CHECK(depth.labels({"q"}).value() == thread_count * 5000);
  CHECK(scraped(reg, "queue_depth", {"q"}) == thread_count * 5000);
  depth.labels({"q"}).set(1.5);
  depth.labels({"q"}).inc();
  CHECK(scraped(reg, "queue_depth", {"q"}) == 2.5);
  CHECK(depth.remove({"q"}));
  auto next = depth.labels({"r"});
  CHECK(next.value() == 0);
  next.dec();
  CHECK(scraped(reg, "queue_depth", {"r"}) == -1);
}

TEST_CASE("gauge: track_inprogress from many threads returns to 0") {
  promcxx::registry reg;
  promcxx::gauge<"busy", "Busy.", promcxx::labels<"kind">> busy{reg};
  std::atomic<int> peak_ok{0};
  run_threads(thread_count, [&](int) {
    auto handle = busy.labels("job");
    for (int i = 0; i < 2000; ++i) {
      const auto in_progress = promcxx::track_inprogress(handle);
      if (handle.value() >= 1 && handle.value() <= thread_count) peak_ok.fetch_add(1);
    }
  });
  CHECK(busy.labels("job").value() == 0);
  CHECK(peak_ok.load() == thread_count * 2000);  // each thread sees its own +1, never more than all threads'
}

TEST_CASE("gauge: idle expiry sees whole-number moves after fractional ones") {
  promcxx::registry reg;
  promcxx::family_options options;
  options.expire_after_seconds = 60;
  auto& lag = reg.gauge_family("lag_seconds", "Lag.", {"peer"}, options);
  lag.labels({"a"}).add(0.5);
  const double t0 = promcxx::detail::now_seconds() - 200;
  CHECK(lag.expire_idle(t0) == 0);
  lag.labels({"a"}).inc();  // moves by 1 next to a fractional sum: still a change
  CHECK(lag.expire_idle(t0 + 61) == 0);
  lag.labels({"a"}).set(1.5);  // the same value again: no change
  CHECK(lag.expire_idle(t0 + 122) == 1);
}

TEST_CASE("gauge: a set waits for the series lock, and its holder wakes it") {
  promcxx::registry reg;
  promcxx::gauge<"locked", "Locked."> locked{reg};
  locked.inc();  // sets now take the series lock
  auto& flags = locked.core().record(locked.core().single()).gauge_flags;
  std::atomic<bool> done{false};
  std::thread setter;
  {
    const promcxx::detail::gauge_lock held{flags};
    setter = std::thread{[&] {
      locked.set(5);
      done = true;
    }};
    // The setter announces that it sleeps before it does (bounded: about 10 s at most).
    for (int i = 0; i < 10000 && (flags.load() & promcxx::detail::gauge_waiting) == 0; ++i)
      std::this_thread::sleep_for(std::chrono::milliseconds(1));
    CHECK((flags.load() & promcxx::detail::gauge_waiting) != 0);
    CHECK_FALSE(done.load());  // still blocked: the lock is held here
  }
  setter.join();  // hangs (and the suite times out) if the unlock did not wake it
  CHECK(done.load());
  CHECK(locked.value() == 5);
  CHECK((flags.load() & (promcxx::detail::gauge_locked | promcxx::detail::gauge_waiting)) == 0);
}
