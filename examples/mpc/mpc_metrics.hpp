// The MPC wallet node's metrics: the 15 mpc_* families of the seed's Rust
// metrics module, declared once with promcxx descriptors, plus the seed's
// record_* / set_* helpers. Include it from any translation unit of a node;
// call initialize_metrics() once at startup.
//
// Every series carries a `node_id` label, set as a constant label of the
// default registry (dashboards group and alert by it). Closed label sets are
// listed with label_values<...>, so every series exists (at 0) from the start
// and rate() sees the first increment; max_series equals the number of known
// combinations, so a mistyped runtime label value lands in the overflow series
// (counted in promcxx_series_overflow_total) instead of growing the family.
#ifndef MPC_METRICS_HPP
#define MPC_METRICS_HPP

#include <string_view>

#include <promcxx/core.hpp>

#include "native_latency.hpp"  // the same latencies as native histograms (--native-histograms)

namespace mpc {

/// States a transaction passes through; each entry into a state is counted.
enum class tx_state { pending, approved, signed_, broadcast, confirmed, failed, rejected };
/// Outcome of this node's vote in a consensus round.
enum class vote_result { approve, reject, timeout };
/// Kinds of Byzantine behaviour detected in peers.
enum class violation { double_vote, invalid_signature, timeout, malformed_message };
/// Threshold-signature protocols the node runs.
enum class protocol { cggmp24, frost };
/// Outcome of one signing session.
enum class sign_result { success, failure };
/// Kinds of peer-to-peer network errors.
enum class net_error { connection_refused, connection_reset, timeout, message_decode };

namespace metrics {

namespace px = promcxx;

// Counters.
inline px::counter<"mpc_transactions_total", "Transactions that entered each state of the signing pipeline.",
                   px::labels<"state">,
                   px::label_values<"state", "pending", "approved", "signed", "broadcast", "confirmed", "failed",
                                    "rejected">,
                   px::max_series<7>>
    transactions;
inline px::counter<"mpc_votes_total", "Consensus votes cast by this node, by result.", px::labels<"result">,
                   px::label_values<"result", "approve", "reject", "timeout">, px::max_series<3>>
    votes;
inline px::counter<"mpc_byzantine_violations_total", "Byzantine protocol violations detected in peers, by type.",
                   px::labels<"type">,
                   px::label_values<"type", "double_vote", "invalid_signature", "timeout", "malformed_message">,
                   px::max_series<4>>
    byzantine_violations;
inline px::counter<"mpc_signatures_total", "Threshold signing sessions finished, by protocol and result.",
                   px::labels<"protocol", "result">, px::label_values<"protocol", "cggmp24", "frost">,
                   px::label_values<"result", "success", "failure">, px::max_series<4>>
    signatures;
inline px::counter<"mpc_network_errors_total", "Peer-to-peer network errors, by type.", px::labels<"type">,
                   px::label_values<"type", "connection_refused", "connection_reset", "timeout", "message_decode">,
                   px::max_series<4>>
    network_errors;
inline px::counter<"mpc_tls_handshake_failures_total", "Failed TLS handshakes with peers."> tls_handshake_failures;

// Gauges.
inline px::gauge<"mpc_active_nodes", "MPC nodes this node sees as active, itself included."> active_nodes;
inline px::gauge<"mpc_consensus_threshold", "Votes (and signers) a consensus round needs."> consensus_threshold;
inline px::gauge<"mpc_presignature_pool_size", "Presignatures ready for fast CGGMP24 signing."> presignature_pool_size;
inline px::gauge<"mpc_connected_peers", "Peers with an established, authenticated connection."> connected_peers;
inline px::gauge<"mpc_transaction_queue_size", "Transactions received and not yet in a final state.">
    transaction_queue_size;

// Histograms. Buckets bracket each operation's normal range and its alert
// threshold with a bound on both sides, so histogram_quantile() stays accurate
// where it matters (signing p95 > 2 s, DKG p95 > 30 s, round p95 > 2 s,
// vote processing p99 > 0.5 s).
inline px::histogram<"mpc_signature_duration_seconds", "Time to produce a threshold signature, by protocol.",
                     px::labels<"protocol">, px::label_values<"protocol", "cggmp24", "frost">, px::max_series<2>,
                     px::buckets<"0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "0.75", "1", "1.5", "2", "3", "5",
                                 "10">,
                     px::unit<"seconds">>
    signature_duration;
inline px::histogram<"mpc_dkg_duration_seconds", "Time a distributed key generation ceremony took.",
                     px::buckets<"1", "2", "5", "10", "15", "20", "30", "45", "60", "120">, px::unit<"seconds">>
    dkg_duration;
inline px::histogram<"mpc_vote_processing_duration_seconds", "Time to verify and apply one received vote.",
                     px::buckets<"0.001", "0.0025", "0.005", "0.01", "0.025", "0.05", "0.1", "0.25", "0.5", "1">,
                     px::unit<"seconds">>
    vote_processing_duration;
inline px::histogram<"mpc_consensus_round_duration_seconds", "Time from proposal to decision of a consensus round.",
                     px::buckets<"0.05", "0.1", "0.25", "0.5", "0.75", "1", "1.5", "2", "3", "5", "10">,
                     px::unit<"seconds">>
    consensus_round_duration;

} // namespace metrics

/// Label value of a transaction state as exported ("signed" for tx_state::signed_).
constexpr std::string_view to_string(tx_state s) noexcept {
  constexpr std::string_view names[] = {"pending", "approved", "signed", "broadcast", "confirmed", "failed", "rejected"};
  return names[static_cast<int>(s)];
}
/// Label value of a vote result.
constexpr std::string_view to_string(vote_result r) noexcept {
  constexpr std::string_view names[] = {"approve", "reject", "timeout"};
  return names[static_cast<int>(r)];
}
/// Label value of a violation type.
constexpr std::string_view to_string(violation v) noexcept {
  constexpr std::string_view names[] = {"double_vote", "invalid_signature", "timeout", "malformed_message"};
  return names[static_cast<int>(v)];
}
/// Label value of a protocol.
constexpr std::string_view to_string(protocol p) noexcept { return p == protocol::cggmp24 ? "cggmp24" : "frost"; }
/// Label value of a signing result.
constexpr std::string_view to_string(sign_result r) noexcept { return r == sign_result::success ? "success" : "failure"; }
/// Label value of a network error type.
constexpr std::string_view to_string(net_error e) noexcept {
  constexpr std::string_view names[] = {"connection_refused", "connection_reset", "timeout", "message_decode"};
  return names[static_cast<int>(e)];
}

/// Sets the `node_id` constant label on every series of the default registry and
/// the static gauges. Call once, before serving; throws std::invalid_argument when
/// node_id is not valid UTF-8.
/// `total_nodes` is accepted for the seed's signature; mpc_active_nodes starts at 1.
inline void initialize_metrics(std::string_view node_id, int threshold, [[maybe_unused]] int total_nodes) {
  promcxx::default_registry().set_const_labels({{"node_id", node_id}});
  metrics::consensus_threshold.set(threshold);
  // Only itself until peers connect: starting at total_nodes would hide
  // MPCConsensusThresholdNotReached for a node that is isolated from the start.
  metrics::active_nodes.set(1);
}

// Enum helpers: the series is chosen at compile time (with<...>()), so these
// cost one relaxed add each.

/// Counts a transaction entering `state`.
inline void record_transaction(tx_state state) noexcept {
  auto& m = metrics::transactions;
  switch (state) {
    case tx_state::pending: m.with<"pending">().inc(); break;
    case tx_state::approved: m.with<"approved">().inc(); break;
    case tx_state::signed_: m.with<"signed">().inc(); break;
    case tx_state::broadcast: m.with<"broadcast">().inc(); break;
    case tx_state::confirmed: m.with<"confirmed">().inc(); break;
    case tx_state::failed: m.with<"failed">().inc(); break;
    case tx_state::rejected: m.with<"rejected">().inc(); break;
  }
}

/// Counts one vote cast by this node.
inline void record_vote(vote_result result) noexcept {
  auto& m = metrics::votes;
  switch (result) {
    case vote_result::approve: m.with<"approve">().inc(); break;
    case vote_result::reject: m.with<"reject">().inc(); break;
    case vote_result::timeout: m.with<"timeout">().inc(); break;
  }
}

/// Counts one Byzantine violation detected in a peer.
inline void record_byzantine_violation(violation type) noexcept {
  auto& m = metrics::byzantine_violations;
  switch (type) {
    case violation::double_vote: m.with<"double_vote">().inc(); break;
    case violation::invalid_signature: m.with<"invalid_signature">().inc(); break;
    case violation::timeout: m.with<"timeout">().inc(); break;
    case violation::malformed_message: m.with<"malformed_message">().inc(); break;
  }
}

/// Counts a finished signing session and observes its duration in seconds.
inline void record_signature(protocol p, sign_result result, double duration_seconds) noexcept {
  const bool ok = result == sign_result::success;
  if (p == protocol::cggmp24) {
    (ok ? metrics::signatures.with<"cggmp24", "success">() : metrics::signatures.with<"cggmp24", "failure">()).inc();
    metrics::signature_duration.with<"cggmp24">().observe(duration_seconds);
  } else {
    (ok ? metrics::signatures.with<"frost", "success">() : metrics::signatures.with<"frost", "failure">()).inc();
    metrics::signature_duration.with<"frost">().observe(duration_seconds);
  }
  native_latency::observe_signature(to_string(p), duration_seconds);
}

/// Counts one network error.
inline void record_network_error(net_error type) noexcept {
  auto& m = metrics::network_errors;
  switch (type) {
    case net_error::connection_refused: m.with<"connection_refused">().inc(); break;
    case net_error::connection_reset: m.with<"connection_reset">().inc(); break;
    case net_error::timeout: m.with<"timeout">().inc(); break;
    case net_error::message_decode: m.with<"message_decode">().inc(); break;
  }
}

// Runtime-string helpers, mirroring the seed's API (`record_vote("approve")`).
// A value outside the documented set goes to the family's overflow series.

/// Counts a transaction entering the state named `state` (pending, approved, signed, ...).
inline void record_transaction(std::string_view state) noexcept { metrics::transactions.labels(state).inc(); }
/// Counts a vote with result `result` (approve, reject or timeout).
inline void record_vote(std::string_view result) noexcept { metrics::votes.labels(result).inc(); }
/// Counts a Byzantine violation of type `type` (double_vote, invalid_signature, timeout, malformed_message).
inline void record_byzantine_violation(std::string_view type) noexcept {
  metrics::byzantine_violations.labels(type).inc();
}
/// Counts a signing session of `protocol` (cggmp24, frost) with `result` (success, failure) and observes its duration.
inline void record_signature(std::string_view protocol_name, std::string_view result, double duration_seconds) noexcept {
  metrics::signatures.labels(protocol_name, result).inc();
  metrics::signature_duration.labels(protocol_name).observe(duration_seconds);
  native_latency::observe_signature(protocol_name, duration_seconds);
}
/// Counts a network error of type `type` (connection_refused, connection_reset, timeout, message_decode).
inline void record_network_error(std::string_view type) noexcept { metrics::network_errors.labels(type).inc(); }

// Unlabelled metrics.

/// Counts one failed TLS handshake.
inline void record_tls_failure() noexcept { metrics::tls_handshake_failures.inc(); }
/// Sets the number of presignatures ready for use.
inline void set_presignature_pool(double size) noexcept { metrics::presignature_pool_size.set(size); }
/// Sets the number of connected peers.
inline void set_connected_peers(double peers) noexcept { metrics::connected_peers.set(peers); }
/// Sets the number of active nodes seen, this node included.
inline void set_active_nodes(double nodes) noexcept { metrics::active_nodes.set(nodes); }
/// Sets the number of transactions not yet in a final state.
inline void set_queue_size(double size) noexcept { metrics::transaction_queue_size.set(size); }
/// Observes the duration in seconds of one DKG ceremony.
inline void record_dkg(double duration_seconds) noexcept { metrics::dkg_duration.observe(duration_seconds); }
/// Observes the time in seconds spent processing one received vote.
inline void record_vote_processing(double duration_seconds) noexcept {
  metrics::vote_processing_duration.observe(duration_seconds);
}
/// Observes the duration in seconds of one consensus round.
inline void record_consensus_round(double duration_seconds) noexcept {
  metrics::consensus_round_duration.observe(duration_seconds);
  native_latency::observe_consensus_round(duration_seconds);
}

} // namespace mpc

#endif // MPC_METRICS_HPP
