// A simulated MPC signing node: transactions flow through consensus, signing
// and broadcast; peers connect and drop; presignatures drain and refill; DKG
// ceremonies run now and then; faults can be switched on for alert testing.
// Nothing is computed for real: durations are drawn from log-normal
// distributions and the outcome of each step is recorded in the mpc_* metrics.
//
// The simulation is a discrete-event queue on a caller-supplied clock
// (seconds since start), so the same seed gives the same sequence of events
// however often advance_to() is called; tests drive it with virtual time.
#ifndef MPC_WORKLOAD_HPP
#define MPC_WORKLOAD_HPP

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <numbers>  // std::numbers::pi for the daily-ish load wave
#include <random>
#include <utility>
#include <vector>

#include "mpc_metrics.hpp"
#include "session_series.hpp"  // per-session series (--session-series)

namespace mpc {

/// What the simulated node does; defaults give the healthy baseline.
struct workload_config {
  int threshold = 3;                     ///< votes a round needs, this node included
  int total_nodes = 5;                   ///< cluster size; peers = total_nodes - 1
  double tx_rate = 4.0;                  ///< mean new transactions per second
  double byzantine_rate = 0.0;           ///< extra: chance that a consensus round sees a Byzantine peer
  double signature_failure_rate = 0.002;  ///< chance that a signing session fails (0.2%: within the 99.5% signing SLO)
  bool stall_presignatures = false;      ///< presignature generation stops; the pool drains to 0
  bool drop_peers = false;               ///< peers cannot stay connected: 0-1 peers, errors, TLS failures
  std::uint64_t seed = 1;                ///< random seed; equal seeds give equal event sequences
};

/// Healthy-state parameters, named so tests and docs can refer to them.
namespace tuning {
inline constexpr double load_wave_amplitude = 0.3;   // transaction rate swings +-30%...
inline constexpr double load_wave_period = 600;      // ...over 10 minutes, so graphs have shape
inline constexpr double round_approve_ratio = 0.97;  // the rest are rejected by consensus
inline constexpr double own_vote_timeout = 0.01;     // this node's vote misses the deadline
inline constexpr double cggmp24_share = 0.6;         // ECDSA wallets; the rest are Schnorr (FROST)
inline constexpr double broadcast_failure = 0.005;
inline constexpr double vote_timeout_seconds = 5;    // a round without quorum gives up after this
inline constexpr int pool_refill_below = 70;         // generation starts below this...
inline constexpr int pool_full = 200;                // ...and stops here (normal range 40..200)
inline constexpr double presign_rate = 4.5;          // presignatures generated per second while refilling
inline constexpr int stalled_pool_start = 24;        // what is left when generation stalls
inline constexpr double background_byzantine_rate = 0.008;  // per second, healthy
inline constexpr double background_network_error_rate = 0.015;
inline constexpr double background_tls_failure_rate = 0.004;
inline constexpr double peer_mean_uptime = 900;      // healthy connection lifetime before a reset
inline constexpr double dropped_peer_mean_uptime = 8;
inline constexpr double dropped_retry_mean = 0.6;    // reconnect attempt interval under --drop-peers
} // namespace tuning

/// The simulated node. Records into the mpc_* metrics of mpc_metrics.hpp (one
/// workload per process: they are process-wide). Single-threaded.
class workload {
 public:
  /// Schedules the first events and sets the gauges; nothing else happens until advance_to().
  explicit workload(const workload_config& config) : config_(config), rng_(config.seed) {
    peers_.assign(static_cast<std::size_t>(std::max(0, config.total_nodes - 1)), false);
    pool_ = config.stall_presignatures ? tuning::stalled_pool_start
                                       : static_cast<int>(uniform(100, tuning::pool_full));
    generating_ = !config.stall_presignatures && pool_ < tuning::pool_refill_below;
    set_presignature_pool(pool_);
    set_connected_peers(0);
    set_active_nodes(1);
    set_queue_size(0);

    for (std::size_t i = 0; i < peers_.size(); ++i) at(uniform(0.05, 0.5), [this, i] { connect_attempt(i); });
    schedule_arrival();
    every(tuning::presign_rate, [this] { presign_tick(); });
    every(tuning::background_byzantine_rate, [this] { background_violation(); });
    every(tuning::background_network_error_rate, [this] { background_network_error(); });
    every(tuning::background_tls_failure_rate, [] { record_tls_failure(); });
    at(uniform(5, 15), [this] { start_dkg(); });
  }

  workload(const workload&) = delete;
  workload& operator=(const workload&) = delete;

  /// Runs every event due at or before `now` (seconds since start), in order.
  void advance_to(double now) {
    while (!queue_.empty() && queue_.front().when <= now) {
      std::pop_heap(queue_.begin(), queue_.end(), later);
      event e = std::move(queue_.back());
      queue_.pop_back();
      now_ = e.when;
      e.action();
    }
    now_ = std::max(now_, now);
  }

  /// Simulated time reached, in seconds since start.
  [[nodiscard]] double now() const noexcept { return now_; }
  /// Presignatures in the pool (also in mpc_presignature_pool_size).
  [[nodiscard]] int presignatures() const noexcept { return pool_; }
  /// Peers connected (also in mpc_connected_peers).
  [[nodiscard]] int peers_connected() const noexcept { return connected_; }
  /// Transactions not yet in a final state (also in mpc_transaction_queue_size).
  [[nodiscard]] int in_flight() const noexcept { return in_flight_; }

 private:
  struct event {
    double when;
    std::uint64_t order;  // ties run in scheduling order: deterministic
    std::function<void()> action;
  };
  static bool later(const event& a, const event& b) noexcept {
    return a.when != b.when ? a.when > b.when : a.order > b.order;
  }

  template <class F>
  void at(double when, F&& action) {
    queue_.push_back(event{when, next_order_++, std::forward<F>(action)});
    std::push_heap(queue_.begin(), queue_.end(), later);
  }
  template <class F>
  void after(double delay, F&& action) { at(now_ + delay, std::forward<F>(action)); }

  /// Runs `action` as a Poisson process with `rate` events per second.
  template <class F>
  void every(double rate, F action) {
    after(exponential(1 / rate), [this, rate, action] {
      action();
      every(rate, action);
    });
  }

  // Random draws.
  double uniform(double lo, double hi) { return std::uniform_real_distribution<double>{lo, hi}(rng_); }
  bool chance(double p) { return uniform(0, 1) < p; }
  double exponential(double mean) { return std::exponential_distribution<double>{1 / mean}(rng_); }
  /// Log-normal with the given median; sigma is the spread of ln(x).
  double lognormal(double median, double sigma, double cap) {
    return std::min(cap, std::lognormal_distribution<double>{std::log(median), sigma}(rng_));
  }
  template <class T, std::size_t N>
  T pick(const T (&choices)[N], const double (&weights)[N]) {
    double x = uniform(0, 1);
    for (std::size_t i = 0; i + 1 < N; ++i) {
      if (x < weights[i]) return choices[i];
      x -= weights[i];
    }
    return choices[N - 1];
  }

  [[nodiscard]] bool quorum() const noexcept { return connected_ + 1 >= config_.threshold; }

  // Peers.
  void update_peer_gauges() {
    set_connected_peers(connected_);
    set_active_nodes(connected_ + 1);
  }

  void connect_attempt(std::size_t peer) {
    if (peers_[peer]) return;
    bool ok = false;
    if (config_.drop_peers) {
      // At most one peer gets through, and only briefly.
      ok = connected_ == 0 && chance(0.1);
      if (!ok) {
        const double x = uniform(0, 1);
        if (x < 0.4) record_network_error(net_error::connection_refused);
        else if (x < 0.6) record_network_error(net_error::timeout);
        else record_tls_failure();
      }
    } else {
      const double x = uniform(0, 1);
      ok = x < 0.93;
      if (!ok) {
        if (x < 0.96) record_tls_failure();
        else if (x < 0.99) record_network_error(net_error::connection_refused);
        else record_network_error(net_error::timeout);
      }
    }
    if (!ok) {
      after(config_.drop_peers ? 0.2 + exponential(tuning::dropped_retry_mean) : uniform(1, 3),
            [this, peer] { connect_attempt(peer); });
      return;
    }
    peers_[peer] = true;
    ++connected_;
    update_peer_gauges();
    after(exponential(config_.drop_peers ? tuning::dropped_peer_mean_uptime : tuning::peer_mean_uptime),
          [this, peer] { disconnect(peer); });
  }

  void disconnect(std::size_t peer) {
    peers_[peer] = false;
    --connected_;
    update_peer_gauges();
    record_network_error(net_error::connection_reset);
    // Healthy: the peer restarts or fails over, so reconnecting takes a few seconds (visible at 10 s scrapes).
    after(config_.drop_peers ? 0.2 + exponential(tuning::dropped_retry_mean) : uniform(2, 8),
          [this, peer] { connect_attempt(peer); });
  }

  void background_network_error() {
    static constexpr net_error types[] = {net_error::timeout, net_error::message_decode, net_error::connection_refused};
    static constexpr double weights[] = {0.5, 0.3, 0.2};
    record_network_error(pick(types, weights));
  }

  // Byzantine peers.
  // Healthy background noise is the benign kinds only (a slow or garbled peer):
  // a double vote or an invalid signature is evidence of a faulty or malicious
  // signer, and the stack pages on the first one (MPCDoubleVoteDetected).
  void background_violation() {
    static constexpr violation types[] = {violation::timeout, violation::malformed_message};
    static constexpr double weights[] = {0.6, 0.4};
    record_byzantine_violation(pick(types, weights));
  }

  void injected_violation() {
    static constexpr violation types[] = {violation::double_vote, violation::invalid_signature, violation::timeout,
                                          violation::malformed_message};
    static constexpr double weights[] = {0.25, 0.25, 0.25, 0.25};
    record_byzantine_violation(pick(types, weights));
  }

  // Transactions: pending -> (consensus) approved | rejected -> (signing)
  // signed | failed -> broadcast -> confirmed | failed.
  void schedule_arrival() {
    const double peak = config_.tx_rate * (1 + tuning::load_wave_amplitude);
    after(exponential(1 / peak), [this, peak] {
      // Thinning: accept with rate(t)/peak, giving a Poisson process with a time-varying rate.
      const double wave = 1 + tuning::load_wave_amplitude * std::sin(2 * std::numbers::pi * now_ / tuning::load_wave_period);
      if (chance(config_.tx_rate * wave / peak)) start_transaction();
      schedule_arrival();
    });
  }

  void start_transaction() {
    ++in_flight_;
    set_queue_size(in_flight_);
    record_transaction(tx_state::pending);
    if (!quorum()) {
      // Not enough nodes to decide: this node's vote times out and the transaction fails.
      const double waited = tuning::vote_timeout_seconds + uniform(0, 0.2);
      after(waited, [this, waited] {
        record_vote(vote_result::timeout);
        record_consensus_round(waited);
        finish(tx_state::failed);
      });
      return;
    }
    const double round = lognormal(0.3, 0.45, tuning::vote_timeout_seconds);
    after(round, [this, round] { end_round(round); });
  }

  void end_round(double round) {
    for (int i = 0; i < connected_; ++i) record_vote_processing(lognormal(0.006, 0.6, 1.0));
    if (config_.byzantine_rate > 0 && chance(config_.byzantine_rate)) injected_violation();
    const bool approved = chance(tuning::round_approve_ratio);
    record_vote(chance(tuning::own_vote_timeout) ? vote_result::timeout
                                                 : approved ? vote_result::approve : vote_result::reject);
    record_consensus_round(round);
    if (!approved) {
      finish(tx_state::rejected);
      return;
    }
    record_transaction(tx_state::approved);
    start_signing();
  }

  void start_signing() {
    const protocol p = chance(tuning::cggmp24_share) ? protocol::cggmp24 : protocol::frost;
    double took = 0;
    int rounds = 2;  // FROST: commitments, then shares
    if (p == protocol::frost) {
      took = lognormal(0.06, 0.5, 10);
    } else if (pool_ > 0) {
      take_presignature();
      took = lognormal(0.18, 0.5, 10);  // online phase only
      rounds = 1;
    } else {
      took = lognormal(0.7, 0.35, 10);  // no presignature: the full interactive protocol
      rounds = 4;
    }
    // No random draw here: the event sequence is the same with or without --session-series.
    const std::uint64_t session = ++sessions_;
    session_series::begin(session, to_string(p), config_.threshold, rounds, p == protocol::frost ? 96 : 1536);
    after(took, [this, p, took, session] {
      session_series::end(session, to_string(p));
      if (chance(config_.signature_failure_rate)) {
        record_signature(p, sign_result::failure, took);
        finish(tx_state::failed);
        return;
      }
      record_signature(p, sign_result::success, took);
      record_transaction(tx_state::signed_);
      after(uniform(0.05, 0.3), [this] {
        record_transaction(tx_state::broadcast);
        if (chance(tuning::broadcast_failure)) {
          finish(tx_state::failed);
          return;
        }
        after(uniform(2, 12), [this] { finish(tx_state::confirmed); });  // block confirmation
      });
    });
  }

  void finish(tx_state final_state) {
    record_transaction(final_state);
    --in_flight_;
    set_queue_size(in_flight_);
  }

  // Presignatures: generated in the background while the pool is below its
  // refill mark, until full (needs quorum: generation is interactive).
  void take_presignature() {
    --pool_;
    set_presignature_pool(pool_);
    if (pool_ < tuning::pool_refill_below && !config_.stall_presignatures) generating_ = true;
  }

  void presign_tick() {
    if (!generating_ || !quorum()) return;
    ++pool_;
    set_presignature_pool(pool_);
    if (pool_ >= tuning::pool_full) generating_ = false;
  }

  // DKG: a ceremony every few minutes (new wallets, key refresh), seconds long.
  void start_dkg() {
    if (quorum()) {
      const double took = lognormal(6, 0.35, 110);
      after(took, [took] { record_dkg(took); });
    }
    after(30 + exponential(150), [this] { start_dkg(); });
  }

  workload_config config_;
  std::mt19937_64 rng_;
  std::vector<event> queue_;
  std::uint64_t next_order_ = 0;
  double now_ = 0;
  std::vector<bool> peers_;
  int connected_ = 0;
  int in_flight_ = 0;
  int pool_ = 0;
  bool generating_ = false;
  std::uint64_t sessions_ = 0;  // signing sessions started
};

} // namespace mpc

#endif // MPC_WORKLOAD_HPP
