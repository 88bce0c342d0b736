// The histogram bucket search table (handles.hpp make_binade_search) equals the
// plain scan of all 4096 binades it replaced, for layouts that stress its edges.
#include <promcxx/core.hpp>

#include <doctest/doctest.h>

#include <algorithm>
#include <array>
#include <bit>
#include <cstddef>
#include <cstdint>
#include <iterator>
#include <limits>

namespace {

// The reference: walk every binade in value order, counting bounds below its lowest
// and below its highest value.
template <std::size_t N>
promcxx::detail::binade_search<N> scan_binades(const std::array<double, N>& bounds) {
  promcxx::detail::binade_search<N> s;
  for (std::size_t i = 0; i < N; ++i) s.bounds_then_inf[i] = bounds[i];
  s.bounds_then_inf[N] = std::numeric_limits<double>::infinity();
  constexpr std::uint64_t mantissa = (std::uint64_t{1} << 52) - 1;
  std::size_t below = 0, not_above = 0;
  for (std::uint64_t step = 0; step < 4096; ++step) {
    const std::uint64_t top = step < 2048 ? 4095 - step : step - 2048;
    const bool negative = top >= 2048;
    const bool infinite = (top & 0x7ff) == 0x7ff;
    const double smallest = std::bit_cast<double>(top << 52);
    const double largest = infinite ? smallest : std::bit_cast<double>(top << 52 | mantissa);
    const double lowest = negative ? largest : smallest;
    const double highest = negative ? smallest : largest;
    while (below < N && bounds[below] < lowest) ++below;
    if (not_above < below) not_above = below;
    while (not_above < N && bounds[not_above] < highest) ++not_above;
    s.set_byte(top, below);
    if (not_above - below > s.steps) s.steps = static_cast<std::uint32_t>(not_above - below);
  }
  return s;
}

template <std::size_t N>
void check_layout(const promcxx::detail::binade_search<N>& fast, const std::array<double, N>& bounds) {
  const auto expected = scan_binades(bounds);
  CHECK(fast.steps == expected.steps);
  CHECK(std::equal(std::begin(fast.bounds_then_inf), std::end(fast.bounds_then_inf), std::begin(expected.bounds_then_inf),
                   std::end(expected.bounds_then_inf)));
  std::size_t mismatches = 0;
  for (std::size_t top = 0; top < 4096; ++top) mismatches += fast.bounds_below(top) != expected.bounds_below(top);
  CHECK(mismatches == 0);
}

constexpr double min_subnormal = std::numeric_limits<double>::denorm_min();
constexpr double max_double = std::numeric_limits<double>::max();

constexpr std::array<double, 11> default_bounds = promcxx::default_buckets::bounds;
constexpr std::array<double, 7> signed_bounds{-1e300, -2.5, -1, -min_subnormal, 0, min_subnormal, 1};
constexpr std::array<double, 4> same_binade{1.0, 1.25, 1.5, 1.75};  // steps 4
constexpr std::array<double, 3> extremes{-max_double, -0.0, max_double};
constexpr std::array<double, 2> powers{0.5, 2.0};  // bounds at binade starts
constexpr std::array<double, 1> one_zero{0.0};

} // namespace

TEST_CASE("histogram: binade search table equals a scan of every binade") {
  using promcxx::detail::make_binade_search;
  check_layout(promcxx::detail::binade_search_of<promcxx::default_buckets>, default_bounds);
  constexpr auto s1 = make_binade_search(signed_bounds);
  check_layout(s1, signed_bounds);
  constexpr auto s2 = make_binade_search(same_binade);
  check_layout(s2, same_binade);
  CHECK(s2.steps == 4);
  constexpr auto s3 = make_binade_search(extremes);
  check_layout(s3, extremes);
  constexpr auto s4 = make_binade_search(powers);
  check_layout(s4, powers);
  constexpr auto s5 = make_binade_search(one_zero);
  check_layout(s5, one_zero);
  constexpr auto lin = make_binade_search(promcxx::linear_buckets<"1", "5", 200>::bounds);
  check_layout(lin, promcxx::linear_buckets<"1", "5", 200>::bounds);
  constexpr auto exp = make_binade_search(promcxx::exponential_buckets<"64", "4", 8>::bounds);
  check_layout(exp, promcxx::exponential_buckets<"64", "4", 8>::bounds);
}
