// mpc_metrics.hpp: the 15 families, their label sets from the start, node_id
// on every series, and the helpers updating the series they name.
#include <doctest/doctest.h>

#include <set>
#include <string>

#include <promcxx.hpp>

#include "mpc_metrics.hpp"
#include "series_history.hpp"

namespace {

std::set<std::string> family_names() {
  promcxx::snapshot snap;
  promcxx::default_registry().collect(snap);
  std::set<std::string> names;
  for (const auto& f : snap.families) names.emplace(snap.view(f.name));
  return names;
}

} // namespace

TEST_CASE("mpc_metrics: exactly the seed's 15 families, every label combination present at start") {
  const std::set<std::string> expected = {
      "mpc_transactions_total", "mpc_votes_total", "mpc_byzantine_violations_total", "mpc_signatures_total",
      "mpc_network_errors_total", "mpc_tls_handshake_failures_total", "mpc_active_nodes",
      "mpc_consensus_threshold", "mpc_presignature_pool_size", "mpc_connected_peers",
      "mpc_transaction_queue_size", "mpc_signature_duration_seconds", "mpc_dkg_duration_seconds",
      "mpc_vote_processing_duration_seconds", "mpc_consensus_round_duration_seconds"};
  std::set<std::string> mpc;
  for (const auto& n : family_names())
    if (n.starts_with("mpc_")) mpc.insert(n);
  CHECK(mpc == expected);

  const auto s = mpc_test::scrape();
  for (const char* state : {"pending", "approved", "signed", "broadcast", "confirmed", "failed", "rejected"})
    CHECK_MESSAGE(s.count(std::string("mpc_transactions_total{state=\"") + state + "\"}") == 1, state);
  for (const char* r : {"approve", "reject", "timeout"})
    CHECK(s.count(std::string("mpc_votes_total{result=\"") + r + "\"}") == 1);
  for (const char* t : {"double_vote", "invalid_signature", "timeout", "malformed_message"})
    CHECK(s.count(std::string("mpc_byzantine_violations_total{type=\"") + t + "\"}") == 1);
  for (const char* t : {"connection_refused", "connection_reset", "timeout", "message_decode"})
    CHECK(s.count(std::string("mpc_network_errors_total{type=\"") + t + "\"}") == 1);
  for (const char* p : {"cggmp24", "frost"}) {
    for (const char* r : {"success", "failure"})
      CHECK(s.count(std::string("mpc_signatures_total{protocol=\"") + p + "\",result=\"" + r + "\"}") == 1);
    CHECK(s.count(std::string("mpc_signature_duration_seconds_count{protocol=\"") + p + "\"}") == 1);
  }
}

TEST_CASE("mpc_metrics: initialize_metrics puts node_id on every series and sets the static gauges") {
  mpc::initialize_metrics("node-7", 4, 6);
  promcxx::snapshot snap;
  promcxx::default_registry().collect(snap);
  std::size_t series = 0;
  for (const auto& f : snap.families) {
    for (std::uint32_t i = 0; i < f.series_count; ++i) {
      const auto& s = snap.all_series[f.first_series + i];
      bool has_node_id = false;
      for (std::uint32_t l = 0; l < s.label_count; ++l) {
        const auto& label = snap.labels[s.first_label + l];
        has_node_id = has_node_id || (snap.view(label.name) == "node_id" && snap.view(label.value) == "node-7");
      }
      CHECK_MESSAGE(has_node_id, snap.view(f.name));
      ++series;
    }
  }
  CHECK(series >= 30);
  CHECK(mpc::metrics::consensus_threshold.value() == 4);
  // Regression: it started at total_nodes, hiding MPCConsensusThresholdNotReached
  // on a node isolated from the start.
  CHECK(mpc::metrics::active_nodes.value() == 1);
  std::string text;
  promcxx::render(promcxx::default_registry(), promcxx::exposition_format::text_0_0_4, text);
  CHECK(text.find("mpc_consensus_threshold{node_id=\"node-7\"} 4\n") != std::string::npos);
}

TEST_CASE("mpc_metrics: enum and string helpers update the same series") {
  using namespace mpc;
  const auto before = mpc_test::scrape();
  record_transaction(tx_state::signed_);
  record_transaction("signed");
  record_vote(vote_result::reject);
  record_vote("reject");
  record_byzantine_violation(violation::malformed_message);
  record_byzantine_violation("malformed_message");
  record_signature(protocol::frost, sign_result::failure, 0.2);
  record_signature("frost", "failure", 0.4);
  record_network_error(net_error::message_decode);
  record_network_error("message_decode");
  record_tls_failure();
  record_dkg(7);
  record_vote_processing(0.003);
  record_consensus_round(0.6);
  set_presignature_pool(120);
  set_connected_peers(3);
  set_queue_size(17);
  const auto after = mpc_test::scrape();
  const auto delta = [&](const std::string& key) { return after.at(key) - before.at(key); };
  CHECK(delta("mpc_transactions_total{state=\"signed\"}") == 2);
  CHECK(delta("mpc_transactions_total{state=\"pending\"}") == 0);
  CHECK(delta("mpc_votes_total{result=\"reject\"}") == 2);
  CHECK(delta("mpc_byzantine_violations_total{type=\"malformed_message\"}") == 2);
  CHECK(delta("mpc_signatures_total{protocol=\"frost\",result=\"failure\"}") == 2);
  CHECK(delta("mpc_signatures_total{protocol=\"cggmp24\",result=\"failure\"}") == 0);
  CHECK(delta("mpc_signature_duration_seconds_count{protocol=\"frost\"}") == 2);
  CHECK(delta("mpc_signature_duration_seconds_sum{protocol=\"frost\"}") == doctest::Approx(0.6));
  CHECK(delta("mpc_signature_duration_seconds_bucket{protocol=\"frost\",le=\"0.25\"}") == 1);
  CHECK(delta("mpc_network_errors_total{type=\"message_decode\"}") == 2);
  CHECK(delta("mpc_tls_handshake_failures_total{}") == 1);
  CHECK(delta("mpc_dkg_duration_seconds_bucket{le=\"10\"}") == 1);
  CHECK(delta("mpc_dkg_duration_seconds_bucket{le=\"5\"}") == 0);
  CHECK(delta("mpc_vote_processing_duration_seconds_count{}") == 1);
  CHECK(delta("mpc_consensus_round_duration_seconds_bucket{le=\"0.75\"}") == 1);
  CHECK(after.at("mpc_presignature_pool_size{}") == 120);
  CHECK(after.at("mpc_connected_peers{}") == 3);
  CHECK(after.at("mpc_transaction_queue_size{}") == 17);
}

TEST_CASE("mpc_metrics: a label value outside the closed set goes to the overflow series") {
  mpc::record_vote("abstain");
  const auto s = mpc_test::scrape();
  CHECK(s.count("mpc_votes_total{result=\"abstain\"}") == 0);
  CHECK(s.at("mpc_votes_total{result=\"__promcxx_overflow__\"}") == 1);
  CHECK(s.at("promcxx_series_overflow_total{metric=\"mpc_votes_total\"}") == 1);
}

TEST_CASE("mpc_metrics: each enum helper increments the series its to_string() names") {
  using namespace mpc;
  const auto bumps_only = [](const std::string& key, auto&& record) {
    const auto before = mpc_test::scrape();
    record();
    const auto after = mpc_test::scrape();
    for (const auto& entry : after) {
      const std::string& k = entry.first;  // not a structured binding: clang 14 cannot capture those
      const double v = entry.second;
      if (!k.starts_with("mpc_") || k.find("_bucket{") != std::string::npos || k.find("_sum{") != std::string::npos)
        continue;
      const double delta = v - before.at(k);
      if (k == key) CHECK_MESSAGE(delta == 1, k);
      else if (k.find("_count{") == std::string::npos) CHECK_MESSAGE(delta == 0, k);
    }
  };
  for (int i = 0; i <= static_cast<int>(tx_state::rejected); ++i) {
    const auto s = static_cast<tx_state>(i);
    bumps_only("mpc_transactions_total{state=\"" + std::string(to_string(s)) + "\"}", [&] { record_transaction(s); });
  }
  for (const auto r : {vote_result::approve, vote_result::reject, vote_result::timeout})
    bumps_only("mpc_votes_total{result=\"" + std::string(to_string(r)) + "\"}", [&] { record_vote(r); });
  for (const auto v : {violation::double_vote, violation::invalid_signature, violation::timeout,
                       violation::malformed_message})
    bumps_only("mpc_byzantine_violations_total{type=\"" + std::string(to_string(v)) + "\"}",
               [&] { record_byzantine_violation(v); });
  for (const auto e : {net_error::connection_refused, net_error::connection_reset, net_error::timeout,
                       net_error::message_decode})
    bumps_only("mpc_network_errors_total{type=\"" + std::string(to_string(e)) + "\"}",
               [&] { record_network_error(e); });
  for (const auto p : {protocol::cggmp24, protocol::frost})
    for (const auto r : {sign_result::success, sign_result::failure})
      bumps_only("mpc_signatures_total{protocol=\"" + std::string(to_string(p)) + "\",result=\"" +
                     std::string(to_string(r)) + "\"}",
                 [&] { record_signature(p, r, 0.1); });
}
