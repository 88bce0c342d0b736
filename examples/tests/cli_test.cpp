// mpc_node's command line: values, defaults and errors that name the flag.
#include <doctest/doctest.h>

#include <string>
#include <string_view>
#include <vector>

#include "cli.hpp"

namespace {

mpc::node_options parse(std::vector<std::string_view> args) { return mpc::parse_options(args); }

std::string error_of(std::vector<std::string_view> args) {
  try {
    mpc::parse_options(args);
  } catch (const mpc::usage_error& e) {
    return e.what();
  }
  return "(no error)";
}

} // namespace

TEST_CASE("cli: defaults are the healthy 3-of-5 node on loopback") {
  const auto o = parse({});
  CHECK(o.listen == "127.0.0.1:8080");
  CHECK(o.node_id == "node-1");
  CHECK(o.workload.threshold == 3);
  CHECK(o.workload.total_nodes == 5);
  CHECK(o.workload.byzantine_rate == 0);
  CHECK(o.workload.signature_failure_rate == doctest::Approx(0.002));
  CHECK_FALSE(o.workload.stall_presignatures);
  CHECK_FALSE(o.workload.drop_peers);
  CHECK_FALSE(o.seeded);
  CHECK(o.series == 0);
  CHECK_FALSE(o.help);
}

TEST_CASE("cli: every flag, as separate and as --flag=value arguments") {
  const auto o = parse({"--listen", "[::1]:0", "--node-id=node-4", "--threshold", "2", "--total-nodes=4",
                        "--byzantine-rate", "0.5", "--signature-failure-rate=1", "--stall-presignatures",
                        "--drop-peers", "--tx-rate", "2.5", "--seed", "18446744073709551615", "--series", "10000"});
  CHECK(o.listen == "[::1]:0");
  CHECK(o.node_id == "node-4");
  CHECK(o.workload.threshold == 2);
  CHECK(o.workload.total_nodes == 4);
  CHECK(o.workload.byzantine_rate == 0.5);
  CHECK(o.workload.signature_failure_rate == 1);
  CHECK(o.workload.stall_presignatures);
  CHECK(o.workload.drop_peers);
  CHECK(o.workload.tx_rate == 2.5);
  CHECK(o.workload.seed == 18446744073709551615ULL);
  CHECK(o.seeded);
  CHECK(o.series == 10000);
  CHECK(parse({"--help"}).help);
  CHECK(parse({"-h"}).help);
  CHECK(parse({"--listen", ":9100"}).listen == ":9100");
}

TEST_CASE("cli: errors name the flag and the offending value") {
  SUBCASE("unknown flag") { CHECK(error_of({"--bogus"}) == "unknown option '--bogus'"); }
  SUBCASE("positional argument") { CHECK(error_of({"node-1"}) == "unexpected argument 'node-1'"); }
  SUBCASE("missing value") { CHECK(error_of({"--threshold"}) == "--threshold: missing value"); }
  SUBCASE("flag without value given one") {
    CHECK(error_of({"--drop-peers=yes"}) == "--drop-peers: takes no value");
  }
  SUBCASE("non-numeric rate") {
    CHECK(error_of({"--byzantine-rate", "lots"}) ==
          "--byzantine-rate: expected a number from 0 to 1, got 'lots'");
  }
  SUBCASE("rate out of range") {
    CHECK(error_of({"--signature-failure-rate", "1.5"}).starts_with("--signature-failure-rate: expected a number"));
    CHECK(error_of({"--byzantine-rate", "-0.1"}).starts_with("--byzantine-rate: "));
    CHECK(error_of({"--byzantine-rate", "nan"}).starts_with("--byzantine-rate: "));
    CHECK(error_of({"--tx-rate", "0"}).starts_with("--tx-rate: expected a number greater than 0"));
  }
  SUBCASE("trailing garbage") { CHECK(error_of({"--threshold", "3x"}).starts_with("--threshold: expected an integer")); }
  SUBCASE("integer out of range") {
    CHECK(error_of({"--threshold", "0"}) == "--threshold: expected an integer from 1 to 1000, got '0'");
    CHECK(error_of({"--series", "20001"}).starts_with("--series: "));
    CHECK(error_of({"--seed", "-1"}).starts_with("--seed: "));
  }
  SUBCASE("threshold above cluster size") {
    CHECK(error_of({"--threshold", "6"}) == "--threshold: the threshold (6) must not exceed --total-nodes (5)");
    CHECK(error_of({"--total-nodes", "2"}).starts_with("--total-nodes: "));
  }
  SUBCASE("bad HOST:PORT") {
    for (const std::string_view bad : {"localhost", "127.0.0.1:", "127.0.0.1:http", "127.0.0.1:65536", "::1:80",
                                       "[::1:80", "[]:80"}) {
      CAPTURE(bad);
      CHECK(error_of({"--listen", bad}).starts_with("--listen: "));
    }
  }
  SUBCASE("bad node id") {
    CHECK(error_of({"--node-id", ""}).starts_with("--node-id: "));
    CHECK(error_of({"--node-id", "node 1"}).starts_with("--node-id: "));
    CHECK(error_of({"--node-id", "n\"1"}).starts_with("--node-id: "));
  }
  SUBCASE("TLS flags come in pairs") {
    CHECK(error_of({"--tls-cert", "node.pem"}) == "--tls-cert: needs --tls-key");
    CHECK(error_of({"--tls-key", "node-key.pem"}) == "--tls-key: needs --tls-cert");
    CHECK(error_of({"--tls-client-ca", "ca.pem"}).starts_with("--tls-client-ca: needs --tls-cert"));
    CHECK(error_of({"--tls-cert", ""}) == "--tls-cert: needs a file name");
  }
}

TEST_CASE("cli: TLS files for HTTPS and mutual TLS") {
  const auto o = mpc::parse_options(std::vector<std::string_view>{
      "--tls-cert", "node.pem", "--tls-key=node-key.pem", "--tls-client-ca", "ca.pem"});
  CHECK(o.tls_cert == "node.pem");
  CHECK(o.tls_key == "node-key.pem");
  CHECK(o.tls_client_ca == "ca.pem");
  CHECK(mpc::parse_options(std::vector<std::string_view>{}).tls_cert.empty());
}
