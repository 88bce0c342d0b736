// A group of families the node registers only when a flag asks for it
// (--native-histograms, --session-series): made once, on first enable(), and
// read by the workload without a lock.
#ifndef MPC_OPTIONAL_FAMILIES_HPP
#define MPC_OPTIONAL_FAMILIES_HPP

#include <promcxx/registry.hpp>

#include <atomic>

namespace mpc {

template <class Families>
class optional_families {
 public:
  /// Registers the families with `reg` (once; later calls return the same ones). Call before serving.
  Families& enable(promcxx::registry& reg) {
    static Families families{reg};
    active_.store(&families, std::memory_order_release);
    return families;
  }
  /// The families, or nullptr before enable().
  [[nodiscard]] Families* get() const noexcept { return active_.load(std::memory_order_acquire); }
  [[nodiscard]] bool enabled() const noexcept { return get() != nullptr; }

 private:
  std::atomic<Families*> active_{nullptr};
};

} // namespace mpc

#endif // MPC_OPTIONAL_FAMILIES_HPP
