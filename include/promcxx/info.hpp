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
#include <string_view>
#include <type_traits>

#include "config.hpp"
#include "fixed_string.hpp"
#include "metrics.hpp"
#include "names.hpp"

namespace promcxx {

/// One label set with the value 1. Options: `labels<...>` only. An info with
/// labels is exposed once `set(...)` has given it values; each `set` replaces
/// the previous values (it allocates: meant for start-up and rare changes).
/// Without labels it is always exposed.
template <fixed_string Name, fixed_string Help, class... Options>
class info final : public detail::front_of<detail::descriptor<metric_type::info, Name, Help, Options...>> {
 public:
  using descriptor_type = detail::descriptor<metric_type::info, Name, Help, Options...>;

 private:
  using base = detail::front_of<descriptor_type>;
  static constexpr const detail::front_description& description = detail::front_description_of<descriptor_type>;

 public:
  static constexpr metric_type type = metric_type::info;
  static constexpr std::size_t label_count = base::label_count;

  info() : base(description, &default_registry()) {}
  explicit info(registry& r) : base(description, &r) {}
  explicit info(unregistered_t) : base(description, nullptr) {}

  /// Replaces the label values (one per declared label, in order) in one step:
  /// a scrape sees the old set or the new one. Invalid UTF-8 breaks the
  /// contract (PROMCXX_ASSERT) and leaves the values unchanged.
  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  void set(const Values&... values) {
    static_assert(sizeof...(Values) == label_count, "promcxx::info: set(...) takes one value per declared label");
    const std::array<std::string_view, label_count> v{std::string_view{values}...};
    for (const auto value : v) {
      if (!detail::is_valid_utf8(value)) [[unlikely]] {
        PROMCXX_BAD_DATA(detail::bad_data::label_value, "info: label values must be valid UTF-8");
        return;
      }
    }
    this->core_.replace_all(v);
  }
};

} // namespace promcxx

#endif // PROMCXX_INFO_HPP
