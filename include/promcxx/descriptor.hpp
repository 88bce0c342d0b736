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

// Helpers per option type rather than lambdas per descriptor: a lambda is a new
// closure type in every metric that instantiates it, a function template is shared
// by every metric with the same option (compile time, issue 11).

template <class Option>
constexpr void take_values_for(std::string_view label, std::span<const std::string_view>& out) noexcept {
  if constexpr (is_kind<Option, label_values_option>()) {
    if (Option::label == label) out = Option::values;
  }
}

/// The label_values<...> list of `label` (the last one given), or an empty span.
template <class... Options>
constexpr std::span<const std::string_view> values_for(std::string_view label) noexcept {
  std::span<const std::string_view> out{};
  (take_values_for<Options>(label, out), ...);
  return out;
}

template <class Option>
constexpr bool label_values_name_ok([[maybe_unused]] std::span<const std::string_view> names) noexcept {
  if constexpr (is_kind<Option, label_values_option>()) return contains(names, Option::label);
  else return true;
}

template <class... Options>
constexpr bool label_values_name_declared([[maybe_unused]] std::span<const std::string_view> names) noexcept {
  return (label_values_name_ok<Options>(names) && ...);
}

template <class Option>
constexpr bool label_values_distinct_in() noexcept {
  if constexpr (is_kind<Option, label_values_option>()) return all_distinct(Option::values);
  else return true;
}

template <class... Options>
constexpr bool label_values_distinct() noexcept {
  return (label_values_distinct_in<Options>() && ...);
}

/// Label value combinations of a metric whose labels all have label_values<...>.
template <bool AllKnown, class... Options>
constexpr std::size_t known_combinations_of([[maybe_unused]] std::span<const std::string_view> names) noexcept {
  if constexpr (!AllKnown) {
    return 0;
  } else {
    std::size_t product = 1;
    for (const auto n : names) product *= values_for<Options...>(n).size();
    return product;
  }
}

template <class>
inline constexpr bool rule_broken = false;

/// Stops compilation with the message of rule `R`, and is instantiated only for a
/// broken rule: a static_assert per rule cost every metric about a millisecond of
/// compile time (issue 11).
template <rule R, class Descriptor>
struct rule_check;
struct rules_hold {
  static constexpr bool checked = true;
};
#define PROMCXX_RULE_CHECK(id, message)              \
  template <class Descriptor>                        \
  struct rule_check<rule::id, Descriptor> {          \
    static_assert(rule_broken<Descriptor>, message); \
    static constexpr bool checked = true;            \
  };
PROMCXX_FAMILY_RULES(PROMCXX_RULE_CHECK)
#undef PROMCXX_RULE_CHECK

/// What `unit_name` is without a unit<...> option.
struct no_unit {
  static constexpr std::string_view value{};
};

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
  static constexpr std::string_view unit_name = pick_option<unit_option, no_unit, Options...>::type::value;
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

  // The family rules, shared with runtime families and collect_sink; a broken one
  // stops compilation with its own message (rule_check).
  static constexpr rule broken_rule = first_broken_rule(spec);
  static_assert(std::conditional_t<broken_rule == rule::none, rules_hold, rule_check<broken_rule, descriptor>>::checked);

  static_assert(label_values_name_declared<Options...>(label_list::names),
                "promcxx::label_values: names a label the metric does not declare");
  static_assert(label_values_distinct<Options...>(), "promcxx::label_values: values must be unique");

  static constexpr std::size_t known_label_count = count_kind<label_values_option, Options...>;
  static constexpr bool all_known = label_count > 0 && known_label_count == label_count;
  static constexpr std::size_t known_combinations = known_combinations_of<all_known, Options...>(label_names);
  static_assert(known_label_count == 0 || all_known,
                "promcxx::label_values: list the values of every label of the metric, or of none");
  static_assert(known_combinations <= cap, "promcxx::label_values: the known label combinations exceed max_series");

  static constexpr std::span<const std::string_view> known_values(std::size_t label) noexcept {
    return values_for<Options...>(label_names[label]);
  }
  /// The label_values<...> list of every label, in label order (all_known only).
  static constexpr std::array<std::span<const std::string_view>, label_count> known_value_lists() noexcept {
    std::array<std::span<const std::string_view>, label_count> lists{};
    for (std::size_t i = 0; i < label_count; ++i) lists[i] = known_values(i);
    return lists;
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
