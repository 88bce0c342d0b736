// promcxx: the options a metric descriptor takes after its name and help.
#ifndef PROMCXX_OPTIONS_HPP
#define PROMCXX_OPTIONS_HPP

#include <array>
#include <cstddef>
#include <string_view>
#include <type_traits>

#include "buckets.hpp"
#include "fixed_string.hpp"
#include "detail/rules.hpp"
#include "names.hpp"

namespace promcxx {

namespace detail {
struct labels_option {};
struct label_values_option {};
struct max_series_option {};
struct unit_option {};
struct states_option {};
struct exemplars_option {};
} // namespace detail

/// Label names of a metric: `promcxx::labels<"protocol", "result">`.
template <fixed_string... Names>
struct labels {
  using option_kind = detail::labels_option;
  static constexpr std::size_t size = sizeof...(Names);
  static constexpr std::array<std::string_view, sizeof...(Names)> names{Names.view()...};
};

/// The values one label can take, known at compile time:
/// `promcxx::label_values<"state", "pending", "signed", "failed">`. When every
/// label has its values listed, all combinations exist from the start (reading
/// 0, so `rate()` sees the first increment) and `metric.with<"pending">()`
/// resolves the series at compile time.
template <fixed_string Label, fixed_string... Values>
struct label_values {
  using option_kind = detail::label_values_option;
  static constexpr std::string_view label = Label.view();
  static constexpr std::size_t size = sizeof...(Values);
  static constexpr std::array<std::string_view, sizeof...(Values)> values{Values.view()...};
};

/// Most distinct runtime label sets a metric keeps; further label sets share
/// one overflow series and are counted in `promcxx_series_overflow_total`.
template <std::size_t Max>
struct max_series {
  using option_kind = detail::max_series_option;
  static_assert(Max >= 1, "promcxx::max_series: the cap must be at least 1");
  static constexpr std::size_t value = Max;
};

/// OpenMetrics unit, which must be a suffix of the name: `promcxx::unit<"seconds">`.
template <fixed_string Unit>
struct unit {
  using option_kind = detail::unit_option;
  static constexpr std::string_view value = Unit.view();
};

/// Option for counters and histograms: keep the latest exemplar per series
/// (per bucket), shown in the OpenMetrics exposition.
struct exemplars {
  using option_kind = detail::exemplars_option;
};

/// The states of a stateset: `promcxx::states<"starting", "running", "stopped">`.
template <fixed_string... States>
struct states {
  using option_kind = detail::states_option;
  static constexpr std::size_t size = sizeof...(States);
  static constexpr std::array<std::string_view, sizeof...(States)> values{States.view()...};
};

namespace detail {

template <class T>
concept named_option = requires { typename T::option_kind; };

template <class T>
concept bucket_layout = std::is_base_of_v<bucket_layout_tag, T> && requires {
  { T::bounds.size() } -> std::convertible_to<std::size_t>;
  { T::bounds[0] } -> std::convertible_to<double>;
};

template <class T>
concept metric_option = named_option<T> || bucket_layout<T>;

template <class T, class Kind>
constexpr bool is_kind() noexcept {
  if constexpr (named_option<T>) return std::is_same_v<typename T::option_kind, Kind>;
  else return false;
}

template <class Kind, class... Options>
inline constexpr std::size_t count_kind = (std::size_t{is_kind<Options, Kind>()} + ... + 0);

template <class... Options>
inline constexpr std::size_t count_buckets = (std::size_t{bucket_layout<Options>} + ... + 0);

template <class Kind, class Default, class... Options>
struct pick_option {
  using type = Default;
};
template <class Kind, class Default, class First, class... Rest>
struct pick_option<Kind, Default, First, Rest...> {
  using type = std::conditional_t<is_kind<First, Kind>(), First, typename pick_option<Kind, Default, Rest...>::type>;
};

template <class Default, class... Options>
struct pick_buckets {
  using type = Default;
};
template <class Default, class First, class... Rest>
struct pick_buckets<Default, First, Rest...> {
  using type = std::conditional_t<bucket_layout<First>, First, typename pick_buckets<Default, Rest...>::type>;
};

} // namespace detail

} // namespace promcxx

#endif // PROMCXX_OPTIONS_HPP
