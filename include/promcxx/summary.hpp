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

#include <cstdint>
#include <string_view>
#include <type_traits>

#include "fixed_string.hpp"
#include "handles.hpp"
#include "metrics.hpp"

namespace promcxx {

/// Count and sum of observations (no quantiles). Options: `labels<...>`
/// (never `quantile`), `label_values<...>`, `max_series<N>`, `unit<...>`.
template <fixed_string Name, fixed_string Help, class... Options>
class summary final : public detail::front_of<detail::descriptor<metric_type::summary, Name, Help, Options...>> {
 public:
  using descriptor_type = detail::descriptor<metric_type::summary, Name, Help, Options...>;

 private:
  using base = detail::front_of<descriptor_type>;
  static constexpr const detail::front_description& description = detail::front_description_of<descriptor_type>;

 public:
  static constexpr metric_type type = metric_type::summary;
  using handle = summary_handle;
  using handle_type = handle;

  summary() : base(description, &default_registry()) {}
  explicit summary(registry& r) : base(description, &r) {}
  explicit summary(unregistered_t) : base(description, nullptr) {}

  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  [[nodiscard]] handle labels(const Values&... values) {
    return handle_of(this->series_of(values...));
  }
  template <fixed_string... Values>
  [[nodiscard]] handle with() noexcept {
    return handle_of(this->known(detail::known_series<descriptor_type, Values...>()), detail::series_ref{});  // permanent
  }

  void observe(double v) { self().observe(v); }
  [[nodiscard]] std::uint64_t count() const noexcept { return const_cast<summary*>(this)->self().count(); }
  [[nodiscard]] double sum() const noexcept { return const_cast<summary*>(this)->self().sum(); }

 private:
  summary_handle self() noexcept {
    static_assert(base::label_count == 0,
                  "promcxx::summary: a labelled summary is updated through labels(...) or with<...>()");
    return handle_of(*this->single_);
  }
  static handle handle_of(const detail::series_record& r) noexcept { return handle_of(r, detail::family_core::ref_of(r)); }
  static handle handle_of(const detail::series_record& r, detail::series_ref ref) noexcept {
    return handle{r.first_cell, ref};
  }
};

} // namespace promcxx

#endif // PROMCXX_SUMMARY_HPP
