// promcxx: the OpenMetrics stateset type: a fixed list of named states, each 0 or 1.
//
//     inline promcxx::stateset<"node_role", "Raft role of this node.",
//                              promcxx::states<"leader", "follower", "candidate">> role;
//     role.set_state<"follower">();      // enum: exactly this state is 1
//     role.set("candidate", true);       // flag set: one state on, the others kept
//
// OpenMetrics exposes one sample per state, `node_role{node_role="leader"} 0`;
// text format 0.0.4 has no stateset type, so the same samples go out as a gauge.
// All states of a series live in one 64-bit word, so an enum transition is a
// single store and a scrape never sees two states on at once.
#ifndef PROMCXX_STATESET_HPP
#define PROMCXX_STATESET_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <span>
#include <string_view>
#include <vector>

#include "config.hpp"
#include "fixed_string.hpp"
#include "metrics.hpp"
#include "names.hpp"
#include "options.hpp"

namespace promcxx {

namespace detail {

/// Position of `state` in the list, or the list's size when absent.
template <std::size_t N>
constexpr std::size_t state_index(const std::array<std::string_view, N>& states, std::string_view state) noexcept {
  for (std::size_t i = 0; i < N; ++i)
    if (states[i] == state) return i;
  return N;
}

template <std::size_t N>
constexpr bool states_valid(const std::array<std::string_view, N>& states) noexcept {
  for (const auto s : states)
    if (s.empty() || !is_valid_utf8(s)) return false;
  return true;
}

} // namespace detail

/// Cacheable handle of one stateset series; `States` is the `states<...>` list.
template <class States>
class stateset_handle {
 public:
  static constexpr std::size_t state_count = States::size;

  constexpr stateset_handle() noexcept = default;
  explicit constexpr stateset_handle(std::atomic<std::uint64_t>* bits) noexcept : bits_(bits) {}

  /// Enum semantics: `State` becomes 1 and every other state 0, atomically.
  template <fixed_string State>
  void set_state() noexcept {
    constexpr std::size_t i = detail::state_index(States::values, State.view());
    static_assert(i < state_count, "promcxx::stateset: set_state<...>(): not one of the declared states<...>");
    bits_->store(std::uint64_t{1} << i, std::memory_order_relaxed);
  }
  /// Enum semantics with a state chosen at run time; an undeclared state breaks
  /// the contract (PROMCXX_ASSERT) and leaves the series unchanged.
  void set_state(std::string_view state) {
    const std::size_t i = detail::state_index(States::values, state);
    if (i == state_count) [[unlikely]] {
      PROMCXX_ASSERT(false, "stateset: set_state() got a state that is not among the declared states");
      return;
    }
    bits_->store(std::uint64_t{1} << i, std::memory_order_relaxed);
  }

  /// Flag-set semantics: turns `State` on or off and keeps the other states.
  template <fixed_string State>
  void set(bool on) noexcept {
    constexpr std::size_t i = detail::state_index(States::values, State.view());
    static_assert(i < state_count, "promcxx::stateset: set<...>(bool): not one of the declared states<...>");
    flip(i, on);
  }
  /// Flag-set semantics with a state chosen at run time (PROMCXX_ASSERT on an undeclared state).
  void set(std::string_view state, bool on) {
    const std::size_t i = detail::state_index(States::values, state);
    if (i == state_count) [[unlikely]] {
      PROMCXX_ASSERT(false, "stateset: set() got a state that is not among the declared states");
      return;
    }
    flip(i, on);
  }

  /// Whether `state` is currently 1 (false for an undeclared state).
  [[nodiscard]] bool is_set(std::string_view state) const noexcept {
    const std::size_t i = detail::state_index(States::values, state);
    return i < state_count && (bits_->load(std::memory_order_relaxed) >> i & 1U) != 0;
  }

 private:
  void flip(std::size_t i, bool on) noexcept {
    const std::uint64_t bit = std::uint64_t{1} << i;
    if (on) bits_->fetch_or(bit, std::memory_order_relaxed);
    else bits_->fetch_and(~bit, std::memory_order_relaxed);
  }

  std::atomic<std::uint64_t>* bits_ = nullptr;
};

/// A set of named states, each 0 or 1 (OpenMetrics `stateset`). Options:
/// `states<...>` (required, 1 to 64 states), `labels<...>`, `label_values<...>`,
/// `max_series<N>`. Series start with every state 0.
template <fixed_string Name, fixed_string Help, class... Options>
class stateset final
    : public detail::metric_base<
          stateset<Name, Help, Options...>, detail::descriptor<metric_type::stateset, Name, Help, Options...>,
          detail::gauge_payload,
          stateset_handle<typename detail::pick_option<detail::states_option, states<>, Options...>::type>> {
 public:
  using state_list = typename detail::pick_option<detail::states_option, states<>, Options...>::type;
  using handle = stateset_handle<state_list>;

 private:
  using descriptor = detail::descriptor<metric_type::stateset, Name, Help, Options...>;
  using base = detail::metric_base<stateset, descriptor, detail::gauge_payload, handle>;
  friend base;

  static_assert(detail::count_kind<detail::states_option, Options...> == 1,
                "promcxx::stateset: give the states exactly once, as states<\"a\", \"b\", ...>");
  static_assert(state_list::size >= 1 && state_list::size <= 64, "promcxx::stateset: between 1 and 64 states");
  static_assert(detail::states_valid(state_list::values), "promcxx::stateset: state names must be non-empty UTF-8");
  static_assert(detail::all_distinct(state_list::values), "promcxx::stateset: state names must be unique");
  static_assert(detail::is_label_name(Name.view()),
                "promcxx::stateset: the name is also the label that carries the state, so it must match "
                "[a-zA-Z_][a-zA-Z0-9_]* (no ':')");
  static_assert(!detail::contains(descriptor::label_names, Name.view()),
                "promcxx::stateset: a label may not be named like the stateset (that label carries the state)");
  static_assert(detail::count_kind<detail::exemplars_option, Options...> == 0,
                "promcxx::exemplars: only counters and histograms carry exemplars");

 public:
  static constexpr metric_type type = metric_type::stateset;

  stateset() = default;
  explicit stateset(registry& r) : base(r) {}
  explicit stateset(unregistered_t u) : base(u) {}

  template <fixed_string State>
  void set_state() noexcept {
    self().template set_state<State>();
  }
  void set_state(std::string_view state) { self().set_state(state); }
  template <fixed_string State>
  void set(bool on) noexcept {
    self().template set<State>(on);
  }
  void set(std::string_view state, bool on) { self().set(state, on); }
  [[nodiscard]] bool is_set(std::string_view state) const noexcept {
    return const_cast<stateset*>(this)->self().is_set(state);
  }

 private:
  handle self() noexcept {
    static_assert(base::label_count == 0,
                  "promcxx::stateset: a labelled stateset is updated through labels(...) or with<...>()");
    return this->unlabelled();
  }
  static constexpr std::span<const double> family_bounds() noexcept { return {}; }
  static constexpr std::span<const std::string_view> family_states() noexcept { return state_list::values; }
  static void create(detail::gauge_payload& p) noexcept { p.bits.store(0, std::memory_order_relaxed); }
  static void destroy(detail::gauge_payload&) noexcept {}
  static handle make_handle(detail::gauge_payload& p) noexcept { return handle{&p.bits}; }
  static void emit(const detail::gauge_payload& p, std::vector<double>& out) {
    const std::uint64_t bits = p.bits.load(std::memory_order_relaxed);  // one load: a consistent set
    for (std::size_t i = 0; i < state_list::size; ++i) out.push_back(static_cast<double>(bits >> i & 1U));
  }
};

} // namespace promcxx

#endif // PROMCXX_STATESET_HPP
