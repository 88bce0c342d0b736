// Signing and consensus latencies as native (sparse exponential) histograms,
// next to the classic ones of mpc_metrics.hpp. Off unless enabled
// (mpc_node --native-histograms): Prometheus 2.42 reads native histograms
// only with --enable-feature=native-histograms, over protobuf. They get
// names of their own because such a Prometheus ingests a family that has
// both kinds of buckets as native only (2.42 has no scrape_classic_histograms),
// which would empty every classic dashboard and alert.
#ifndef MPC_NATIVE_LATENCY_HPP
#define MPC_NATIVE_LATENCY_HPP

#include <atomic>
#include <string_view>

#include "optional_families.hpp"

#include <promcxx/native_histogram.hpp>
#include <promcxx/registry.hpp>

namespace mpc::native_latency {

/// The native families and their series, created together by enable().
struct families {
  explicit families(promcxx::registry& reg)
      : signature(reg, "mpc_signature_duration_native_seconds",
                  "Time to produce a threshold signature, by protocol (native histogram).", {"protocol"}, {},
                  "seconds"),
        consensus_round(reg, "mpc_consensus_round_duration_native_seconds",
                        "Time from proposal to decision of a consensus round (native histogram).", {}, {},
                        "seconds"),
        // Both protocol series exist from the start, as in the classic family.
        cggmp24(signature.labels({"cggmp24"})),
        frost(signature.labels({"frost"})) {}

  promcxx::native_histogram_family signature;
  promcxx::native_histogram_family consensus_round;
  promcxx::native_histogram_series& cggmp24;
  promcxx::native_histogram_series& frost;
};

namespace detail {
inline optional_families<families> registered;
} // namespace detail

/// Registers the families with `reg` (once; later calls return the same ones). Call before serving.
inline families& enable(promcxx::registry& reg = promcxx::default_registry()) { return detail::registered.enable(reg); }

/// True once enable() ran.
inline bool enabled() noexcept { return detail::registered.enabled(); }

/// Observes a signing duration for `protocol_name` (cggmp24 or frost; others are ignored).
inline void observe_signature(std::string_view protocol_name, double seconds) noexcept {
  families* f = detail::registered.get();
  if (f == nullptr) return;
  if (protocol_name == "cggmp24") f->cggmp24.observe(seconds);
  else if (protocol_name == "frost") f->frost.observe(seconds);
}

/// Observes the duration of one consensus round.
inline void observe_consensus_round(double seconds) noexcept {
  families* f = detail::registered.get();
  if (f != nullptr) f->consensus_round.observe(seconds);
}

} // namespace mpc::native_latency

#endif // MPC_NATIVE_LATENCY_HPP
