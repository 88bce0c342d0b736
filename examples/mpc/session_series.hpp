// Per-session series (mpc_node --session-series): every signing session gets
// its own series, created when the session starts and removed when it ends, so
// a soak run churns series the way a node that tracks peers or sessions does.
// Off by default: a label per session is unbounded cardinality for Prometheus
// (a removed session's series is gone from the next scrape, but each one is a
// new time series in the TSDB); the soak test (tests/property) uses it to show
// that memory stays flat and every scrape stays valid under churn.
#ifndef MPC_SESSION_SERIES_HPP
#define MPC_SESSION_SERIES_HPP

#include <atomic>
#include <cstddef>
#include <cstdint>
#include <cstdio>
#include <initializer_list>
#include <string_view>

#include "optional_families.hpp"

#include <promcxx/registry.hpp>

namespace mpc::session_series {

/// Live sessions a family holds at most: far above the signing sessions in flight
/// at 1000 transactions/s; past it, sessions share the overflow series (and
/// promcxx_series_overflow_total counts them), memory does not grow.
inline constexpr std::size_t max_live_sessions = 4096;

/// The per-session families, created together by enable().
struct families {
  explicit families(promcxx::registry& reg)
      : messages(reg.counter_family("mpc_signing_session_messages_total",
                                    "Protocol messages sent in a signing session still running.",
                                    {"session", "protocol"}, options({}))),
        signers(reg.gauge_family("mpc_signing_session_signers", "Parties signing in a session still running.",
                                 {"session", "protocol"}, options({}))),
        message_size(reg.histogram_family("mpc_signing_session_message_size_bytes",
                                          "Size of the protocol messages of a signing session still running.",
                                          {"session", "protocol"}, options({64, 256, 1024, 4096, 16384}))) {}

  promcxx::counter_family& messages;
  promcxx::gauge_family& signers;
  promcxx::histogram_family& message_size;

 private:
  static promcxx::family_options options(std::initializer_list<double> buckets) {
    promcxx::family_options o;
    o.buckets = buckets;
    o.max_series = max_live_sessions;
    return o;
  }
};

namespace detail {
inline optional_families<families> registered;

/// The session label: "s" and the session number (the series key, so at most 21 bytes).
struct session_label {
  char text[24];
  std::string_view view;
  explicit session_label(std::uint64_t session) noexcept {
    const int n = std::snprintf(text, sizeof text, "s%llu", static_cast<unsigned long long>(session));
    view = std::string_view{text, static_cast<std::size_t>(n)};
  }
};
} // namespace detail

/// Registers the families with `reg` (once; later calls return the same ones). Call before serving.
inline families& enable(promcxx::registry& reg = promcxx::default_registry()) { return detail::registered.enable(reg); }

/// True once enable() ran.
inline bool enabled() noexcept { return detail::registered.enabled(); }

/// A signing session starts: `signers` parties exchange `rounds` rounds of messages of `message_bytes` each.
inline void begin(std::uint64_t session, std::string_view protocol_name, int signers, int rounds,
                  double message_bytes) {
  families* f = detail::registered.get();
  if (f == nullptr) return;
  const detail::session_label label{session};
  const std::string_view values[] = {label.view, protocol_name};
  const int messages = rounds * (signers - 1);  // one per other signer per round
  f->messages.labels(values).inc(messages);
  f->signers.labels(values).set(signers);
  auto size = f->message_size.labels(values);
  for (int i = 0; i < messages; ++i) size.observe(message_bytes);
}

/// The session ended (signed or failed): its series go.
inline void end(std::uint64_t session, std::string_view protocol_name) {
  families* f = detail::registered.get();
  if (f == nullptr) return;
  const detail::session_label label{session};
  const std::string_view values[] = {label.view, protocol_name};
  f->messages.remove(values);
  f->signers.remove(values);
  f->message_size.remove(values);
}

} // namespace mpc::session_series

#endif // MPC_SESSION_SERIES_HPP
