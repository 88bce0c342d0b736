// promcxx: the OpenMetrics stateset type: a fixed list of named states, each 0 or 1.
//
//     inline promcxx::stateset<"node_role", "Raft role of this node.",
//                              promcxx::states<"leader", "follower", "candidate">> role;
//     role.set_state<"follower">();      // enum: exactly this state is 1
//     role.set("candidate", true);       // flag set: one state on, the others kept
//
// OpenMetrics exposes one sample per state, `node_role{node_role="leader"} 0`;
// text format 0.0.4 has no stateset type, so the same samples go out as a gauge.
#ifndef PROMCXX_STATESET_HPP
#define PROMCXX_STATESET_HPP

#include <cstdint>
#include <string_view>
#include <type_traits>

#include "fixed_string.hpp"
#include "handles.hpp"
#include "metrics.hpp"

namespace promcxx {

/// A set of named states, each 0 or 1 (OpenMetrics `stateset`). Options:
/// `states<...>` (required, 1 to 64 states), `labels<...>`, `label_values<...>`,
/// `max_series<N>`. Series start with every state 0.
template <fixed_string Name, fixed_string Help, class... Options>
class stateset final : public detail::front_of<detail::descriptor<metric_type::stateset, Name, Help, Options...>> {
 public:
  using descriptor_type = detail::descriptor<metric_type::stateset, Name, Help, Options...>;

 private:
  using base = detail::front_of<descriptor_type>;
  static constexpr const detail::front_description& description = detail::front_description_of<descriptor_type>;

 public:
  static constexpr metric_type type = metric_type::stateset;
  using state_list = typename descriptor_type::state_list;
  using handle = stateset_handle<state_list>;
  using handle_type = handle;

  stateset() : base(description, &default_registry()) {}
  explicit stateset(registry& r) : base(description, &r) {}
  explicit stateset(unregistered_t) : base(description, nullptr) {}

  template <class... Values>
    requires(std::is_convertible_v<const Values&, std::string_view> && ...)
  [[nodiscard]] handle labels(const Values&... values) {
    return handle_of(this->series_of(values...));
  }
  template <fixed_string... Values>
  [[nodiscard]] handle with() noexcept {
    return handle_of(this->known(detail::known_series<descriptor_type, Values...>()), detail::series_ref{});  // permanent
  }

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
    return handle_of(*this->single_);
  }
  static handle handle_of(detail::series_record& r) noexcept { return handle_of(r, detail::family_core::ref_of(r)); }
  static handle handle_of(detail::series_record& r, detail::series_ref ref) noexcept { return handle{&r.bits, ref}; }
};

} // namespace promcxx

#endif // PROMCXX_STATESET_HPP
