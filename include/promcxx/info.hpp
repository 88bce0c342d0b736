// promcxx: the OpenMetrics info type: constant facts about the process as labels.
//
//     inline promcxx::info<"build", "Build information.", promcxx::labels<"version", "revision">> build;
//     build.set("1.2.0", "abc123");
//
// exposes `build_info{version="1.2.0",revision="abc123"} 1` (OpenMetrics type
// `info`; in text format 0.0.4 a gauge named `build_info`). The value is always 1.
#ifndef PROMCXX_INFO_HPP
#define PROMCXX_INFO_HPP

#include <array>
#include <mutex>
#include <span>
#include <string>
#include <string_view>
#include <type_traits>

#include "config.hpp"
#include "fixed_string.hpp"
#include "metrics.hpp"
#include "names.hpp"
#include "options.hpp"
#include "registry.hpp"

namespace promcxx {

/// One label set with the value 1. Options: `labels<...>` only. An info with
/// labels is exposed once `set(...)` has given it values; each `set` replaces
/// the previous values (it allocates: meant for start-up and rare changes).
/// Without labels it is always exposed.
template <fixed_string Name, fixed_string Help, class... Options>
class info final : public detail::family_base {
  using descriptor = detail::descriptor<metric_type::info, Name, Help, Options...>;
  static_assert(!detail::has_suffix(Name.view(), "_info"),
                "promcxx::info: give the name without the _info suffix; the encoders append it");
  static_assert(detail::count_kind<detail::label_values_option, Options...> == 0 &&
                    detail::count_kind<detail::max_series_option, Options...> == 0 &&
                    detail::count_kind<detail::states_option, Options...> == 0 &&
                    detail::count_kind<detail::exemplars_option, Options...> == 0,
                "promcxx::info: the only option is labels<...>");

 public:
  static constexpr metric_type type = metric_type::info;
  static constexpr std::size_t label_count = descriptor::label_count;

  info() { init(&default_registry()); }
  explicit info(registry& r) { init(&r); }
  explicit info(unregistered_t) {}
  ~info() { detach(); }

  /// Replaces the label values (one per declared label, in order). Invalid
  /// UTF-8 breaks the contract (PROMCXX_ASSERT) and leaves the values unchanged.
  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  void set(const Values&... values) {
    static_assert(sizeof...(Values) == label_count, "promcxx::info: set(...) takes one value per declared label");
    const std::array<std::string_view, label_count> v{std::string_view{values}...};
    for (const auto value : v) {
      if (!detail::is_valid_utf8(value)) [[unlikely]] {
        PROMCXX_ASSERT(false, "info: label values must be valid UTF-8");
        return;
      }
    }
    std::array<std::string, label_count> copy;  // built outside the lock: scrapes never wait on allocation
    for (std::size_t i = 0; i < label_count; ++i) copy[i].assign(v[i]);
    std::lock_guard lock{mutex_};
    values_.swap(copy);
    is_set_ = true;
  }

  [[nodiscard]] std::string_view family_name() const noexcept override { return descriptor::name; }
  [[nodiscard]] std::span<const std::string_view> family_label_names() const noexcept override {
    return descriptor::label_names;
  }

  void collect_into(collect_sink& sink) const override {
    sink.begin_trusted_family(descriptor::name, descriptor::help, metric_type::info, {}, {}, {},
                              descriptor::label_names);
    std::lock_guard lock{mutex_};
    if (label_count > 0 && !is_set_) return;
    std::array<std::string_view, label_count> views{};
    for (std::size_t i = 0; i < label_count; ++i) views[i] = values_[i];
    sink.begin_trusted_series(views, 0);
  }

 private:
  void init(registry* r) { r->add(*this); }

  mutable std::mutex mutex_;
  std::array<std::string, label_count> values_{};
  bool is_set_ = false;
};

} // namespace promcxx

#endif // PROMCXX_INFO_HPP
