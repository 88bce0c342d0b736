// The simulated node against the stack's alert thresholds
// (stack/prometheus/alerts.yml): the healthy baseline stays below every mpc_*
// threshold for hours, and each fault flag pushes its alerts' expressions over
// theirs within one rate window. Runs in virtual time; scrapes every 10 s.
#include <doctest/doctest.h>

#include <string>

#include "mpc_metrics.hpp"
#include "series_history.hpp"
#include "workload.hpp"

namespace {

using mpc_test::series_history;

series_history run(const mpc::workload_config& config, double seconds, double step = 10) {
  mpc::workload w{config};
  series_history h{step};
  h.record(0);
  for (double t = step; t <= seconds + 1e-9; t += step) {
    w.advance_to(t);
    h.record(t);
  }
  return h;
}

const std::string byz = "mpc_byzantine_violations_total";
std::string byz_type(const char* type) { return byz + "{type=\"" + type + "\"}"; }
std::string tx(const char* state) { return std::string("mpc_transactions_total{state=\"") + state + "\"}"; }
std::string vote(const char* result) { return std::string("mpc_votes_total{result=\"") + result + "\"}"; }
std::string sig(const char* protocol, const char* result) {
  return std::string("mpc_signatures_total{protocol=\"") + protocol + "\",result=\"" + result + "\"}";
}
const std::string pool = "mpc_presignature_pool_size{}";
const std::string peers = "mpc_connected_peers{}";
const std::string active = "mpc_active_nodes{}";
const std::string queue = "mpc_transaction_queue_size{}";
const std::string tls = "mpc_tls_handshake_failures_total{}";
const std::string neterr = "mpc_network_errors_total";

double failure_ratio(const series_history& h, const char* protocol, double t) {
  const double failed = h.increase(sig(protocol, "failure"), t, 300);
  return failed / (failed + h.increase(sig(protocol, "success"), t, 300));
}

double finished(const series_history& h, double t, double window) {
  return h.increase(tx("confirmed"), t, window) + h.increase(tx("failed"), t, window) +
         h.increase(tx("rejected"), t, window);
}

} // namespace

TEST_CASE("workload: the healthy baseline stays below every mpc alert threshold for two hours") {
  mpc::workload_config config;
  config.seed = 42;
  const auto h = run(config, 7200);
  const double w = 300;
  for (double t = 600; t <= h.end(); t += 60) {
    CAPTURE(t);
    // Byzantine group.
    CHECK(h.rate_sum(byz, t, w) < 0.05);
    CHECK(h.increase(byz_type("invalid_signature"), t, w) == 0);  // alert: any
    CHECK(h.rate(byz_type("timeout"), t, w) < 0.05);
    CHECK(h.rate(byz_type("malformed_message"), t, w) < 0.05);
    CHECK(h.increase(byz_type("double_vote"), t, w) == 0);  // alert: any double vote
    // Consensus group.
    CHECK(h.max_over_time(active, t, w) >= config.threshold);
    CHECK(h.quantile(0.95, "mpc_consensus_round_duration_seconds", "", t, w) < 2);
    CHECK(h.quantile(0.99, "mpc_vote_processing_duration_seconds", "", t, w) < 0.5);
    const double votes = h.rate_sum("mpc_votes_total", t, 600);
    CHECK(h.rate(vote("reject"), t, 600) / votes < 0.2);
    CHECK(h.rate(vote("timeout"), t, 600) / votes < 0.1);
    // Transactions group.
    CHECK(h.increase(tx("failed"), t, w) / finished(h, t, w) < 0.1);
    CHECK(h.increase(tx("rejected"), t, 600) / finished(h, t, 600) < 0.2);
    CHECK(h.min_over_time(queue, t, w) < 100);
    CHECK(h.rate(tx("confirmed"), t, 900) > 0);
    // Signatures group.
    CHECK(failure_ratio(h, "cggmp24", t) < 0.05);
    CHECK(failure_ratio(h, "frost", t) < 0.05);
    CHECK(h.quantile(0.95, "mpc_signature_duration_seconds", "protocol=\"cggmp24\"", t, w) < 2);
    CHECK(h.quantile(0.95, "mpc_signature_duration_seconds", "protocol=\"frost\"", t, w) < 2);
    CHECK(h.max_over_time(pool, t, w) >= 20);
    CHECK(h.min_over_time(pool, t, w) >= 40);  // the contract's normal range is 40..200
    CHECK(h.max_over_time(pool, t, w) <= 200);
    // Network group.
    CHECK(h.max_over_time(peers, t, w) == config.total_nodes - 1);
    CHECK(h.rate_sum(neterr, t, w) < 0.2);
    CHECK(h.rate(tls, t, w) < 0.05);
  }
  const double end = h.end();
  CHECK(h.quantile(0.95, "mpc_dkg_duration_seconds", "", end, 3600) < 30);
}

TEST_CASE("workload: every healthy panel moves") {
  mpc::workload_config config;
  config.seed = 7;
  const auto h = run(config, 7200);
  const double end = h.end();
  // Several transactions per second, through every state.
  const double per_second = h.rate(tx("pending"), end, end);
  CHECK(per_second > 3);
  CHECK(per_second < 5);
  for (const char* state : {"approved", "signed", "broadcast", "confirmed", "failed", "rejected"})
    CHECK_MESSAGE(h.increase(tx(state), end, end) > 0, state);
  for (const char* result : {"approve", "reject", "timeout"})
    CHECK_MESSAGE(h.increase(vote(result), end, end) > 0, result);
  // Healthy noise is the benign violation kinds only; the others page at once.
  for (const char* type : {"timeout", "malformed_message"})
    CHECK_MESSAGE(h.increase(byz_type(type), end, end) > 0, type);
  for (const char* type : {"double_vote", "invalid_signature"})
    CHECK_MESSAGE(h.increase(byz_type(type), end, end) == 0, type);
  for (const char* type : {"connection_refused", "connection_reset", "timeout", "message_decode"})
    CHECK_MESSAGE(h.increase(neterr + "{type=\"" + type + "\"}", end, end) > 0, type);
  CHECK(h.increase(tls, end, end) > 0);
  for (const char* p : {"cggmp24", "frost"}) {
    CHECK(h.increase(sig(p, "success"), end, end) > 0);
    CHECK(h.increase(sig(p, "failure"), end, end) > 0);
  }
  // CGGMP24 is the slower protocol.
  CHECK(h.quantile(0.5, "mpc_signature_duration_seconds", "protocol=\"cggmp24\"", end, end) >
        2 * h.quantile(0.5, "mpc_signature_duration_seconds", "protocol=\"frost\"", end, end));
  // DKG every few minutes, seconds long.
  const double dkg = h.increase("mpc_dkg_duration_seconds_count{}", end, end);
  CHECK(dkg >= 20);
  CHECK(dkg <= 60);
  const double dkg_mean = h.increase("mpc_dkg_duration_seconds_sum{}", end, end) / dkg;
  CHECK(dkg_mean > 3);
  CHECK(dkg_mean < 12);
  // The pool drains and refills (a sawtooth), the queue moves, peers flap now and then.
  CHECK(h.max_over_time(pool, end, end) - h.min_over_time(pool, end - 3600, 3600) > 100);
  CHECK(h.max_over_time(queue, end, end) > h.min_over_time(queue, end, 3600) + 5);
  CHECK(h.min_over_time(peers, end, end) < config.total_nodes - 1);
}

TEST_CASE("workload: --byzantine-rate 0.5 drives every Byzantine alert over its threshold in one window") {
  mpc::workload_config config;
  config.seed = 3;
  config.byzantine_rate = 0.5;
  const auto h = run(config, 900);
  for (double t = 300; t <= h.end(); t += 60) {
    CAPTURE(t);
    CHECK(h.rate_sum(byz, t, 300) > 0.5);                         // MPCByzantineViolationsHigh critical
    CHECK(h.increase(byz_type("double_vote"), t, 300) > 2);       // MPCDoubleVoteDetected
    CHECK(h.rate(byz_type("invalid_signature"), t, 300) > 0.02);  // MPCInvalidSignatureViolations
    CHECK(h.rate(byz_type("timeout"), t, 300) > 0.05);            // MPCTimeoutViolationsHigh
    CHECK(h.rate(byz_type("malformed_message"), t, 300) > 0.05);  // MPCMalformedMessagesHigh
  }
  // Already over the critical rate after two minutes of a 5-minute window.
  CHECK(h.rate_sum(byz, 120, 120) > 0.5);
}

TEST_CASE("workload: --signature-failure-rate 0.5 fails half the signatures of each protocol") {
  mpc::workload_config config;
  config.seed = 4;
  config.signature_failure_rate = 0.5;
  const auto h = run(config, 900);
  for (double t = 300; t <= h.end(); t += 60) {
    CAPTURE(t);
    CHECK(failure_ratio(h, "cggmp24", t) > 0.3);  // MPCSignatureFailureRateHigh critical: > 0.2
    CHECK(failure_ratio(h, "frost", t) > 0.3);
    CHECK(failure_ratio(h, "cggmp24", t) < 0.7);
  }
}

TEST_CASE("workload: --stall-presignatures drains the pool to 0 within a minute and keeps it there") {
  mpc::workload_config config;
  config.seed = 5;
  config.stall_presignatures = true;
  const auto h = run(config, 1200);
  CHECK(h.at(pool, 0) > 0);  // it drains, it does not start empty
  CHECK(h.at(pool, 60) == 0);
  CHECK(h.max_over_time(pool, h.end(), h.end() - 60) == 0);
  // Signing goes on through the slow path, still below the slow-signing alert.
  const double t = h.end();
  CHECK(h.increase(sig("cggmp24", "success"), t, 300) > 100);
  CHECK(h.quantile(0.95, "mpc_signature_duration_seconds", "protocol=\"cggmp24\"", t, 300) < 2);
  CHECK(h.quantile(0.95, "mpc_signature_duration_seconds", "protocol=\"cggmp24\"", t, 300) > 0.5);
}

TEST_CASE("workload: --drop-peers isolates the node with network errors and TLS failures") {
  mpc::workload_config config;
  config.seed = 6;
  config.drop_peers = true;
  const auto h = run(config, 1200);
  CHECK(h.max_over_time(peers, h.end(), h.end() + 1) <= 1);
  for (double t = 300; t <= h.end(); t += 60) {
    CAPTURE(t);
    CHECK(h.max_over_time(peers, t, 300) + 1 < config.threshold);  // MPCNodeIsolated
    CHECK(h.max_over_time(active, t, 300) < config.threshold);     // MPCConsensusThresholdNotReached
    // Critical thresholds are 1/s and 0.5/s: keep a 50% margin over them.
    CHECK(h.rate_sum(neterr, t, 300) > 1.5);  // MPCNetworkErrorRateHigh
    CHECK(h.rate(tls, t, 300) > 0.75);        // MPCTLSHandshakeFailuresHigh
  }
  // Without quorum nothing is signed and this node's votes time out.
  CHECK(h.at(tx("confirmed"), h.end()) == h.at(tx("confirmed"), 0));
  CHECK(h.increase(vote("timeout"), h.end(), 600) > 0);
}

TEST_CASE("workload: a seed gives one event sequence, whatever the tick pattern") {
  mpc::workload_config config;
  config.seed = 99;
  const auto coarse = run(config, 600, 60);
  const auto fine = run(config, 600, 1);
  for (const char* state : {"pending", "confirmed", "failed", "rejected"})
    CHECK(coarse.increase(tx(state), 600, 600) == fine.increase(tx(state), 600, 600));
  CHECK(coarse.increase(tls, 600, 600) == fine.increase(tls, 600, 600));
  config.seed = 100;
  const auto other = run(config, 600, 60);
  CHECK(other.increase(tx("pending"), 600, 600) != coarse.increase(tx("pending"), 600, 600));
}

TEST_CASE("workload: its state and the gauges agree as time advances") {
  mpc::workload_config config;
  config.seed = 8;
  mpc::workload w{config};
  CHECK(w.now() == 0);
  CHECK(w.peers_connected() == 0);
  for (const double t : {0.7, 30.0, 95.5, 400.0}) {
    CAPTURE(t);
    w.advance_to(t);
    CHECK(w.now() == t);
    CHECK(mpc::metrics::presignature_pool_size.value() == w.presignatures());
    CHECK(mpc::metrics::connected_peers.value() == w.peers_connected());
    CHECK(mpc::metrics::active_nodes.value() == w.peers_connected() + 1);
    CHECK(mpc::metrics::transaction_queue_size.value() == w.in_flight());
  }
  CHECK(w.peers_connected() >= config.total_nodes - 2);
  CHECK(w.in_flight() > 0);
}
