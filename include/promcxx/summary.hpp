// promcxx: a summary without quantiles: `_count` and `_sum` only.
//
// For code that moves from another client and keeps its dashboards, which use
// `rate(x_sum[5m]) / rate(x_count[5m])`. Quantiles computed in the client cannot
// be aggregated across instances; use a histogram when you need them.
//
//     inline promcxx::summary<"rpc_duration_seconds", "RPC latency."> rpc;
//     rpc.observe(0.042);
#ifndef PROMCXX_SUMMARY_HPP
#define PROMCXX_SUMMARY_HPP

#include <cmath>    // std::isnan
#include <cstdint>
#include <span>
#include <vector>

#include "config.hpp"
#include "fixed_string.hpp"
#include "metrics.hpp"
#include "options.hpp"
#include "storage.hpp"

namespace promcxx {

/// Cacheable handle of one summary series: two per-thread cells, count then sum.
class summary_handle {
 public:
  constexpr summary_handle() noexcept = default;
  explicit constexpr summary_handle(std::uint32_t first_cell) noexcept : first_cell_(first_cell) {}

  /// Records `v`. NaN breaks the contract (PROMCXX_ASSERT) and is otherwise
  /// ignored, since it would turn the sum into NaN forever.
  void observe(double v) {
    if (std::isnan(v)) [[unlikely]] {
      PROMCXX_ASSERT(false, "summary observations must not be NaN");
      return;
    }
    detail::add_to_cell(first_cell_, std::uint64_t{1});
    detail::add_to_cell(first_cell_ + 1, v);
  }
  [[nodiscard]] std::uint64_t count() const noexcept { return detail::sum_cells_u64(first_cell_); }
  [[nodiscard]] double sum() const noexcept { return detail::sum_cells_double(first_cell_ + 1); }

 private:
  std::uint32_t first_cell_ = 0;
};

/// Count and sum of observations (no quantiles). Options: `labels<...>`
/// (never `quantile`), `label_values<...>`, `max_series<N>`, `unit<...>`.
template <fixed_string Name, fixed_string Help, class... Options>
class summary final : public detail::metric_base<summary<Name, Help, Options...>,
                                           detail::descriptor<metric_type::summary, Name, Help, Options...>,
                                           detail::cell_payload, summary_handle> {
  using base = detail::metric_base<summary, detail::descriptor<metric_type::summary, Name, Help, Options...>,
                                   detail::cell_payload, summary_handle>;
  friend base;
  static_assert(detail::count_kind<detail::states_option, Options...> == 0,
                "promcxx::summary: states<...> belongs to a stateset");
  static_assert(detail::count_kind<detail::exemplars_option, Options...> == 0,
                "promcxx::exemplars: only counters and histograms carry exemplars");

 public:
  static constexpr metric_type type = metric_type::summary;
  using handle = summary_handle;

  summary() = default;
  explicit summary(registry& r) : base(r) {}
  explicit summary(unregistered_t u) : base(u) {}

  void observe(double v) { self().observe(v); }
  [[nodiscard]] std::uint64_t count() const noexcept { return const_cast<summary*>(this)->self().count(); }
  [[nodiscard]] double sum() const noexcept { return const_cast<summary*>(this)->self().sum(); }

 private:
  summary_handle self() noexcept {
    static_assert(base::label_count == 0,
                  "promcxx::summary: a labelled summary is updated through labels(...) or with<...>()");
    return this->unlabelled();
  }
  static constexpr std::span<const double> family_bounds() noexcept { return {}; }
  static void create(detail::cell_payload& p) noexcept { p.first_cell = detail::global_cells.allocate(2); }
  static void destroy(detail::cell_payload& p) noexcept {
    detail::global_cells.release(p.first_cell, 2);
    p.first_cell = 0;
  }
  static summary_handle make_handle(detail::cell_payload& p) noexcept { return summary_handle{p.first_cell}; }
  static void emit(const detail::cell_payload& p, std::vector<double>& out) {
    out.push_back(detail::sum_cells_double(p.first_cell + 1));                     // snapshot order: sum,
    out.push_back(static_cast<double>(detail::sum_cells_u64(p.first_cell)));      // then count
  }
};

} // namespace promcxx

#endif // PROMCXX_SUMMARY_HPP
