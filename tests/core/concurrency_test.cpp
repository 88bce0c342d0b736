// Exact counts under concurrency, and scrapes that never go backwards or
// contradict themselves while writers run. Built into the TSan suite by CI.
#include "test_config.hpp"

#include <promcxx.hpp>

#include <doctest/doctest.h>

#include <atomic>
#include <thread>
#include <vector>

namespace {

struct histogram_view {
  std::vector<double> cumulative;  // per bound, then +Inf
  double count = 0;
};

} // namespace

TEST_CASE("concurrency: N threads x M increments give exactly N*M; scrapes are monotonic and consistent") {
  constexpr int threads = 8;
  constexpr int waves = 3;  // threads exit and new ones adopt their slabs mid-run
  constexpr int increments = 20000;
  promcxx::registry reg;
  promcxx::counter<"hits_total", "Hits."> hits{reg};
  promcxx::counter<"labelled_hits_total", "Hits.", promcxx::labels<"worker">> labelled{reg};
  promcxx::histogram<"work_seconds", "Work.", promcxx::buckets<1, 2, 3, 4, 5, 6, 7>> work{reg};

  std::atomic<bool> done{false};
  std::atomic<int> scrapes{0};
  std::atomic<int> failures{0};
  std::thread scraper([&] {
    promcxx::snapshot snap;
    double last_hits = 0;
    double last_count = 0;
    while (!done.load()) {
      reg.collect(snap);
      for (const auto& f : snap.families) {
        const auto name = snap.view(f.name);
        const auto& s = snap.all_series[f.first_series];
        const double* v = snap.values.data() + s.first_value;
        if (name == "hits_total") {
          if (v[0] < last_hits) failures.fetch_add(1);
          last_hits = v[0];
        } else if (name == "work_seconds") {
          for (std::uint32_t b = 1; b <= f.bound_count; ++b)
            if (v[b] < v[b - 1]) failures.fetch_add(1);  // cumulative buckets never decrease
          if (v[f.bound_count] < last_count) failures.fetch_add(1);
          last_count = v[f.bound_count];  // +Inf is the count by construction
        }
      }
      scrapes.fetch_add(1);
    }
  });

  for (int wave = 0; wave < waves; ++wave) {
    std::vector<std::thread> workers;
    for (int t = 0; t < threads; ++t) {
      workers.emplace_back([&, t] {
        auto mine = labelled.labels(t % 2 == 0 ? "even" : "odd");
        for (int i = 0; i < increments; ++i) {
          hits.inc();
          mine.inc();
          work.observe(static_cast<double>(i % 9));
        }
      });
    }
    for (auto& w : workers) w.join();
  }
  while (scrapes.load() < 3) std::this_thread::yield();
  done = true;
  scraper.join();

  constexpr double expected = double{threads} * waves * increments;
  CHECK(hits.value() == expected);
  CHECK(labelled.labels("even").value() + labelled.labels("odd").value() == expected);
  CHECK(work.count() == static_cast<std::uint64_t>(expected));
  CHECK(failures.load() == 0);
  // Slabs are reused by later threads, not multiplied per wave.
  CHECK(promcxx::detail::global_slabs.slab_count() <= static_cast<std::size_t>(threads + 3));
}

TEST_CASE("concurrency: series created by many threads at once are created once") {
  promcxx::registry reg;
  promcxx::counter<"created_total", "Created.", promcxx::labels<"key">> created{reg};
  std::vector<std::thread> workers;
  for (int t = 0; t < 4; ++t)
    workers.emplace_back([&] {
      for (int i = 0; i < 200; ++i) created.labels(std::to_string(i)).inc();
    });
  for (auto& w : workers) w.join();
  promcxx::snapshot snap;
  reg.collect(snap);
  REQUIRE(snap.families.size() == 1);
  CHECK(snap.families[0].series_count == 200);
  for (int i = 0; i < 200; ++i) CHECK(created.labels(std::to_string(i)).value() == 4);
}
