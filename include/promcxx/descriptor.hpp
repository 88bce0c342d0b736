// promcxx: what a compile-time metric declaration states, checked once.
//
// `detail::descriptor<Type, Name, Help, Options...>` turns the template
// arguments into a `static constexpr family_spec` and checks it with
// `first_broken_rule` (detail/rules.hpp, the same function runtime families
// and collectors are checked with), so each broken rule stops compilation with
// its own message. This is also the one place that says which options each
// metric kind accepts.
#ifndef PROMCXX_DESCRIPTOR_HPP
#define PROMCXX_DESCRIPTOR_HPP

#include <array>
#include <cstddef>
#include <span>
#include <string_view>
#include <type_traits>

#include "buckets.hpp"
#include "detail/rules.hpp"
#include "fixed_string.hpp"
#include "options.hpp"

namespace promcxx::detail {

template <class... Options>
constexpr std::span<const std::string_view> values_for(std::string_view label) noexcept {
  std::span<const std::string_view> out{};
  (
      [&] {
        if constexpr (is_kind<Options, label_values_option>()) {
          if (Options::label == label) out = Options::values;
        }
      }(),
      ...);
  return out;
}

template <class... Options>
constexpr bool label_values_name_declared([[maybe_unused]] std::span<const std::string_view> names) noexcept {
  bool ok = true;
  (
      [&] {
        if constexpr (is_kind<Options, label_values_option>()) ok = ok && contains(names, Options::label);
      }(),
      ...);
  return ok;
}

template <class... Options>
constexpr bool label_values_distinct() noexcept {
  bool ok = true;
  (
      [&] {
        if constexpr (is_kind<Options, label_values_option>()) ok = ok && all_distinct(Options::values);
      }(),
      ...);
  return ok;
}

template <class... Options>
inline constexpr bool wants_exemplars = count_kind<exemplars_option, Options...> > 0;

/// Everything a descriptor states, checked once with messages that name the rule.
template <metric_type Type, fixed_string Name, fixed_string Help, class... Options>
struct descriptor {
  // Options: known kinds, each at most once, and only on the kinds that take them.
  static_assert((metric_option<Options> && ...),
                "promcxx: unknown option; expected labels<...>, label_values<...>, buckets<...>, max_series<N> or "
                "unit<...>");
  static_assert(count_kind<labels_option, Options...> <= 1, "promcxx: labels<...> may be given once");
  static_assert(count_kind<max_series_option, Options...> <= 1, "promcxx: max_series<N> may be given once");
  static_assert(count_kind<unit_option, Options...> <= 1, "promcxx: unit<...> may be given once");
  static_assert(count_buckets<Options...> <= 1, "promcxx: a bucket layout may be given once");
  static_assert(count_kind<exemplars_option, Options...> <= 1, "promcxx::exemplars may be given once");
  static_assert(Type != metric_type::info || sizeof...(Options) == count_kind<labels_option, Options...>,
                "promcxx::info: the only option is labels<...>");
  static_assert(Type == metric_type::histogram || count_buckets<Options...> == 0,
                "promcxx: only histograms take a bucket layout");
  static_assert(count_kind<exemplars_option, Options...> == 0 || Type == metric_type::counter ||
                    Type == metric_type::histogram,
                "promcxx::exemplars: only counters and histograms carry exemplars");
  static_assert(Type != metric_type::summary || count_kind<states_option, Options...> == 0,
                "promcxx::summary: states<...> belongs to a stateset");
  static_assert(Type != metric_type::stateset || count_kind<states_option, Options...> == 1,
                "promcxx::stateset: give the states exactly once, as states<\"a\", \"b\", ...>");

  using label_list = typename pick_option<labels_option, labels<>, Options...>::type;
  using layout = typename pick_buckets<default_buckets, Options...>::type;
  using state_list = typename pick_option<states_option, states<>, Options...>::type;
  static constexpr std::string_view name = Name.view();
  static constexpr std::string_view help = Help.view();
  static constexpr std::size_t label_count = label_list::size;
  static constexpr auto label_names = label_list::names;
  static constexpr std::size_t cap = pick_option<max_series_option, max_series<default_max_series>, Options...>::type::value;
  static constexpr std::string_view unit_name = [] {
    using u = typename pick_option<unit_option, void, Options...>::type;
    if constexpr (std::is_void_v<u>) return std::string_view{};
    else return u::value;
  }();
  static constexpr bool exemplars = wants_exemplars<Options...>;

  static constexpr family_spec spec{
      Type,
      name,
      help,
      unit_name,
      label_list::names,
      Type == metric_type::histogram ? std::span<const double>{layout::bounds} : std::span<const double>{},
      std::span<const std::string_view>{state_list::values},
      cap};

  // The family rules, shared with runtime families and collect_sink.
  static constexpr rule broken_rule = first_broken_rule(spec);
#define PROMCXX_CHECK_RULE(id, message) static_assert(broken_rule != rule::id, message);
  PROMCXX_FAMILY_RULES(PROMCXX_CHECK_RULE)
#undef PROMCXX_CHECK_RULE

  static_assert(label_values_name_declared<Options...>(label_list::names),
                "promcxx::label_values: names a label the metric does not declare");
  static_assert(label_values_distinct<Options...>(), "promcxx::label_values: values must be unique");

  static constexpr std::size_t known_label_count = count_kind<label_values_option, Options...>;
  static constexpr bool all_known = label_count > 0 && known_label_count == label_count;
  static constexpr std::size_t known_combinations = [] {
    if constexpr (!all_known) {
      return std::size_t{0};
    } else {
      std::size_t product = 1;
      for (const auto n : label_names) product *= values_for<Options...>(n).size();
      return product;
    }
  }();
  static_assert(known_label_count == 0 || all_known,
                "promcxx::label_values: list the values of every label of the metric, or of none");
  static_assert(known_combinations <= cap, "promcxx::label_values: the known label combinations exceed max_series");

  static constexpr std::span<const std::string_view> known_values(std::size_t label) noexcept {
    return values_for<Options...>(label_names[label]);
  }

  /// Slot of the known combination (Values...), or the position of the first
  /// value that is not among its label's values, negated minus one.
  template <fixed_string... Values>
  static constexpr long long known_slot() noexcept {
    constexpr std::array<std::string_view, sizeof...(Values)> wanted{Values.view()...};
    if constexpr (sizeof...(Values) != label_count) return -1;
    long long slot = 0;
    for (std::size_t i = 0; i < label_count; ++i) {
      const auto choices = values_for<Options...>(label_names[i]);
      long long position = -1;
      for (std::size_t k = 0; k < choices.size(); ++k)
        if (choices[k] == wanted[i]) position = static_cast<long long>(k);
      if (position < 0) return -static_cast<long long>(i) - 1;
      slot = slot * static_cast<long long>(choices.size()) + position;
    }
    return slot;
  }
};

} // namespace promcxx::detail

#endif // PROMCXX_DESCRIPTOR_HPP
