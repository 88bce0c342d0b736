// Per-thread paged cells (include/promcxx/storage.hpp): exact sums over many
// threads, memory that follows the pages a thread writes, pages a series never
// straddles, reuse from zero, and whole increments kept exact. Built into the
// TSan suite by CI with the rest of the unit suite.
#include "test_config.hpp"

#include <promcxx.hpp>

#include <doctest/doctest.h>

#include <barrier>
#include <bit>
#include <cmath>
#include <limits>
#include <cstdint>
#include <string>
#include <thread>
#include <vector>

namespace {

namespace d = promcxx::detail;

std::size_t pages_listed(std::uint32_t index) {
  std::size_t n = 0;
  for (const d::cell_page* p = d::global_page_lists.first(index >> d::page_shift); p != nullptr; p = p->next_same_number) ++n;
  return n;
}

/// Allocates `count` cells until the allocator hands out `wanted` again (freed
/// ranges are reused first-fit, after any freed earlier in this process).
void reallocate(std::uint32_t count, std::uint32_t wanted) {
  std::vector<std::uint32_t> others;
  std::uint32_t got = 0;
  while ((got = d::global_cells.allocate(count)) != wanted) {
    REQUIRE(got != 0);
    others.push_back(got);
    REQUIRE(others.size() < 100000);
  }
  for (auto o : others) d::global_cells.release(o, count);
}

} // namespace

TEST_CASE("storage: 256 live threads, each writing its own share and one shared series, sum exactly") {
  constexpr int threads = 256;
  constexpr int series_per_thread = 8;
  constexpr int increments = 500;
  promcxx::registry reg;
  promcxx::counter<"storage_share_total", "Per-thread shares.", promcxx::labels<"share">,
                   promcxx::max_series<threads * series_per_thread>>
      shares{reg};
  promcxx::counter<"storage_hot_total", "Written by every thread."> hot{reg};
  promcxx::histogram<"storage_latency_seconds", "Observed by every thread.", promcxx::buckets<"0.5", "1", "2">> latency{reg};

  std::barrier all_wrote{threads + 1};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      for (int s = 0; s < series_per_thread; ++s) {
        auto h = shares.labels(std::to_string(t * series_per_thread + s));
        for (int i = 0; i < increments; ++i) h.inc();
      }
      for (int i = 0; i < increments; ++i) {
        hot.inc();
        latency.observe(static_cast<double>(i % 4) * 0.5);
      }
      all_wrote.arrive_and_wait();  // every thread alive and written: reads see 256 writers
      all_wrote.arrive_and_wait();
    });
  }
  all_wrote.arrive_and_wait();
  CHECK(hot.value() == double{threads} * increments);
  CHECK(latency.count() == std::uint64_t{threads} * increments);
  for (int s = 0; s < threads * series_per_thread; s += 97) CHECK(shares.labels(std::to_string(s)).value() == increments);
  all_wrote.arrive_and_wait();
  for (auto& w : workers) w.join();
  // Exited threads' cells stay counted.
  CHECK(hot.value() == double{threads} * increments);
  double total = 0;
  for (int s = 0; s < threads * series_per_thread; ++s) total += shares.labels(std::to_string(s)).value();
  CHECK(total == double{threads} * series_per_thread * increments);
  CHECK(latency.sum() == doctest::Approx(double{threads} * (increments / 4) * (0 + 0.5 + 1 + 1.5)));
}

TEST_CASE("storage: a read walks only the pages of threads that wrote that page") {
  const std::uint32_t mine = d::global_cells.allocate(d::cells_per_page);  // a whole page to itself
  REQUIRE(mine != 0);
  REQUIRE(mine % d::cells_per_page == 0);
  CHECK(pages_listed(mine) == 0);
  std::thread{[&] { d::add_to_cell(mine, std::uint64_t{3}); }}.join();
  std::thread{[&] { d::add_to_cell(mine + 1, std::uint64_t{4}); }}.join();  // adopts the first thread's slab
  CHECK(pages_listed(mine) == 1);
  std::barrier both{2};
  std::thread other{[&] {
    both.arrive_and_wait();  // the first writer still holds its slab: a second page for this number
    d::add_to_cell(mine + 2, std::uint64_t{5});
    both.arrive_and_wait();
  }};
  std::thread first{[&] {
    d::add_to_cell(mine, std::uint64_t{1});
    both.arrive_and_wait();
    both.arrive_and_wait();
  }};
  first.join();
  other.join();
  CHECK(pages_listed(mine) == 2);
  CHECK(d::sum_cells_u64(mine) == 4);
  CHECK(d::sum_cells_u64(mine + 1) == 4);
  CHECK(d::sum_cells_u64(mine + 2) == 5);
  d::global_cells.release(mine, d::cells_per_page);
}

TEST_CASE("storage: memory follows the pages a thread writes, not the size of the cell space") {
  constexpr int threads = 64;
  promcxx::registry reg;
  // Three families far apart in the cell space (the histogram family's cells come after 4096 counters).
  promcxx::counter<"storage_far_a_total", "A.", promcxx::labels<"k">, promcxx::max_series<4096>> a{reg};
  promcxx::histogram<"storage_far_b_seconds", "B.", promcxx::labels<"k">> b{reg};
  promcxx::counter<"storage_far_c_total", "C."> c{reg};
  std::vector<decltype(a.labels(""))> series;
  for (int i = 0; i < 4096; ++i) series.push_back(a.labels(std::to_string(i)));
  auto bh = b.labels("x");

  const std::size_t before = d::global_page_arena.reserved_bytes();
  std::barrier all_wrote{threads + 1};
  std::vector<std::thread> workers;
  for (int t = 0; t < threads; ++t) {
    workers.emplace_back([&, t] {
      series[static_cast<std::size_t>(t) * 64].inc();  // one page each
      bh.observe(1.0);
      c.inc();
      all_wrote.arrive_and_wait();
      all_wrote.arrive_and_wait();
    });
  }
  all_wrote.arrive_and_wait();
  const std::size_t grown = d::global_page_arena.reserved_bytes() - before;
  // Per new thread at most: its slab, one directory and three pages; plus the page
  // lists' heads and one 64 KiB block of slack. The old design reserved 128 MiB each.
  const std::size_t per_thread = sizeof(d::slab) + sizeof(d::page_directory) + 3 * sizeof(d::cell_page);
  MESSAGE(threads << " threads grew the cell arena by " << grown << " bytes");
  CHECK(grown <= threads * per_thread + 4 * sizeof(d::page_directory) + (std::size_t{64} << 10));
  all_wrote.arrive_and_wait();
  for (auto& w : workers) w.join();
  CHECK(c.value() == threads);
  CHECK(bh.count() == threads);
}

TEST_CASE("storage: a series' cells never straddle a page, and skipped gaps are reused") {
  std::vector<std::uint32_t> ranges;
  for (int i = 0; i < 40; ++i) {
    const std::uint32_t first = d::global_cells.allocate(13);  // a default histogram series
    REQUIRE(first != 0);
    CHECK((first % d::cells_per_page) + 13 <= d::cells_per_page);
    ranges.push_back(first);
  }
  // 64 = 4 x 13 + 12: a gap of 12 cells before each page boundary, handed to small series.
  const std::uint32_t high_water = d::global_cells.high_water();
  const std::uint32_t small = d::global_cells.allocate(1);
  CHECK(small < high_water);
  d::global_cells.release(small, 1);
  for (auto first : ranges) d::global_cells.release(first, 13);
}

TEST_CASE("storage: a reused range reads zero in every thread's page") {
  const std::uint32_t first = d::global_cells.allocate(2);
  REQUIRE(first != 0);
  std::thread{[&] {
    d::add_to_cell(first, std::uint64_t{7});
    d::add_to_cell(first + 1, 2.5);
  }}.join();
  d::add_to_cell(first, std::uint64_t{1});
  CHECK(d::sum_cells_u64(first) == 8);
  CHECK(d::sum_cells_double(first + 1) == 2.5);
  d::global_cells.release(first, 2);
  reallocate(2, first);
  CHECK(d::sum_cells_u64(first) == 0);
  CHECK(d::sum_cells_double(first + 1) == 0.0);
  d::global_cells.release(first, 2);
}

TEST_CASE("storage: the shared fallback page is read together with the threads' pages") {
  const std::uint32_t index = d::global_cells.allocate(1);
  REQUIRE(index != 0);
  d::add_to_cell(index, std::uint64_t{2});
  d::atomic_add(d::global_fallback_pages.at(index), std::uint64_t{40});  // what a thread without memory does
  CHECK(d::sum_cells_u64(index) == 42);
  d::global_cells.release(index, 1);
  reallocate(1, index);
  CHECK(d::sum_cells_u64(index) == 0);  // zeroing reaches the fallback page too
  d::global_cells.release(index, 1);
}

TEST_CASE("counter: whole increments of 2^53 and more stay exact, and later fractions are kept") {
  promcxx::registry reg;
  promcxx::counter<"storage_big_total", "Big."> big{reg};
  big.inc(9007199254740992.0);  // 2^53
  for (int i = 0; i < 4; ++i) big.inc(0.5);
  CHECK(big.value() == 9007199254740994.0);  // the old design added each 0.5 to 2^53 and lost it
}

namespace {

/// The definition: how many bounds lie below v.
template <class Layout>
std::uint32_t bounds_below(double v) {
  std::uint32_t n = 0;
  for (const double b : Layout::bounds) n += static_cast<std::uint32_t>(b < v);
  return n;
}

template <class Layout>
void check_bucket_search() {
  std::vector<double> values{0.0, -0.0, std::numeric_limits<double>::infinity(), -std::numeric_limits<double>::infinity(),
                             std::numeric_limits<double>::denorm_min(), -std::numeric_limits<double>::denorm_min(),
                             std::numeric_limits<double>::max(), std::numeric_limits<double>::lowest()};
  for (const double b : Layout::bounds) {
    values.push_back(b);
    values.push_back(std::nextafter(b, std::numeric_limits<double>::infinity()));
    values.push_back(std::nextafter(b, -std::numeric_limits<double>::infinity()));
  }
  std::uint64_t x = 0x9e3779b97f4a7c15ULL;
  for (int i = 0; i < 200000; ++i) {  // random bit patterns: every binade, both signs
    x = x * 6364136223846793005ULL + 1442695040888963407ULL;
    const double v = std::bit_cast<double>(x);
    if (!std::isnan(v)) values.push_back(v);
    values.push_back(static_cast<double>(x >> 40) / 1e6 - 8);  // dense around the usual bounds
  }
  std::size_t wrong = 0;
  for (const double v : values) {
    const auto expected = bounds_below<Layout>(v);
    if (promcxx::detail::bucket_index_of<Layout>(v) != expected ||
        promcxx::detail::bucket_index_in(Layout::bounds, v) != expected) {
      if (++wrong <= 5) MESSAGE("v=" << v << " expected bucket " << expected);
    }
  }
  CHECK(wrong == 0);
}

} // namespace

TEST_CASE("histogram: the bucket search (binade table, packed compares) agrees with counting bounds below v") {
  check_bucket_search<promcxx::default_buckets>();
  check_bucket_search<promcxx::buckets<"-5", "-1", "-0.25", "0", "0.25", "1">>();
  check_bucket_search<promcxx::exponential_buckets<"1", "2", 10>>();
  check_bucket_search<promcxx::linear_buckets<"0", "1", 10>>();  // several bounds per binade: packed compares
  check_bucket_search<promcxx::buckets<"1e-22", "1e22">>();
  check_bucket_search<promcxx::buckets<"0.1">>();
  static_assert(promcxx::detail::binade_search_of<promcxx::default_buckets>.steps == 1,
                "the default buckets hold at most one bound per binade");
}

TEST_CASE("histogram: sum lanes add up to the sum of every observation, from many threads") {
  promcxx::registry reg;
  promcxx::histogram<"storage_lanes_seconds", "Lanes.", promcxx::labels<"k">> h{reg};
  auto series = h.labels("a");
  std::vector<std::thread> workers;
  for (int t = 0; t < 8; ++t)
    workers.emplace_back([&] {
      for (int i = 0; i < 10000; ++i) series.observe(static_cast<double>(i % 16) * 0.125);  // exact in binary
    });
  for (auto& w : workers) w.join();
  CHECK(series.count() == 80000);
  CHECK(series.sum() == 8 * 625 * (0 + 15) * 16 / 2 * 0.125);
  const std::string text = [&] {
    std::string out;
    promcxx::render(reg, promcxx::exposition_format::text_0_0_4, out);
    return out;
  }();
  CHECK(text.find("storage_lanes_seconds_sum{k=\"a\"} 75000\n") != std::string::npos);
  CHECK(text.find("storage_lanes_seconds_count{k=\"a\"} 80000\n") != std::string::npos);
}
