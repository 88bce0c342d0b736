// promcxx: reading the options of the collector-based metrics (callbacks,
// quantile summaries, gauge histograms) by their public spelling only, so
// they do not depend on the metric core's descriptor internals.
#ifndef PROMCXX_DETAIL_PEER_OPTIONS_HPP
#define PROMCXX_DETAIL_PEER_OPTIONS_HPP

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

#include "../fixed_string.hpp"
#include "../names.hpp"
#include "../options.hpp"  // promcxx::labels

namespace promcxx::detail {

/// The label names of `labels<...>`; none for void.
template <class T>
struct label_names_of {
  static constexpr std::array<std::string_view, 0> names{};
};
template <fixed_string... Names>
struct label_names_of<labels<Names...>> {
  static constexpr std::array<std::string_view, sizeof...(Names)> names{Names.view()...};
};

template <class T>
inline constexpr bool is_labels_option = false;
template <fixed_string... Names>
inline constexpr bool is_labels_option<labels<Names...>> = true;

/// The `labels<...>` among Options, or void.
template <class... Options>
struct find_labels {
  using type = void;
};
template <class First, class... Rest>
struct find_labels<First, Rest...> {
  using type = std::conditional_t<is_labels_option<First>, First, typename find_labels<Rest...>::type>;
};
template <class... Options>
using find_labels_t = typename find_labels<Options...>::type;

/// The option among Options made from template `Option<unsigned>`, or Default.
template <class Default, template <unsigned> class Option, class... Options>
struct find_value {
  using type = Default;
  static constexpr auto value = Default::value;
};
template <class Default, template <unsigned> class Option, unsigned N, class... Rest>
struct find_value<Default, Option, Option<N>, Rest...> {
  static constexpr auto value = N;
};
template <class Default, template <unsigned> class Option, class First, class... Rest>
struct find_value<Default, Option, First, Rest...> : find_value<Default, Option, Rest...> {};

constexpr bool label_names_ok(std::span<const std::string_view> names) noexcept {
  for (std::size_t i = 0; i < names.size(); ++i) {
    if (!is_label_name(names[i]) || is_reserved_label_name(names[i])) return false;
    for (std::size_t k = 0; k < i; ++k)
      if (names[k] == names[i]) return false;
  }
  return true;
}

constexpr bool contains_name(std::span<const std::string_view> names, std::string_view name) noexcept {
  for (const auto n : names)
    if (n == name) return true;
  return false;
}

} // namespace promcxx::detail

#endif // PROMCXX_DETAIL_PEER_OPTIONS_HPP
