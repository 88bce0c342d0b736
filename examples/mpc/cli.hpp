// Command line of mpc_node. Parsing is separate from main() so tests can feed
// it argument lists; every error names the flag it is about.
#ifndef MPC_CLI_HPP
#define MPC_CLI_HPP

#include <charconv>  // std::from_chars for integers and doubles
#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include "workload.hpp"

namespace mpc {

/// Everything mpc_node takes from its command line.
struct node_options {
  std::string listen = "127.0.0.1:8080";
  std::string node_id = "node-1";
  workload_config workload;
  bool seeded = false;       ///< --seed given; otherwise the seed comes from std::random_device
  std::size_t series = 0;    ///< extra synthetic counter series (for benchmarks)
  std::string tls_cert;      ///< --tls-cert: serve HTTPS with this PEM chain (needs tls_key)
  std::string tls_key;       ///< --tls-key: its private key
  std::string tls_client_ca; ///< --tls-client-ca: require client certificates signed by this CA (mTLS)
  bool native_histograms = false; ///< --native-histograms: latencies also as native histograms
  bool session_series = false; ///< --session-series: series per signing session, removed when it ends
  bool help = false;
};

/// A command line mpc_node cannot run with; what() names the flag.
class usage_error : public std::runtime_error {
 public:
  using std::runtime_error::runtime_error;
};

/// Largest --series value: the synthetic family's series cap.
inline constexpr std::size_t max_synthetic_series = 20000;

inline constexpr std::string_view usage_text =
    "usage: mpc_node [--listen HOST:PORT] [--node-id ID] [--threshold T] [--total-nodes N]\n"
    "                [--byzantine-rate R] [--signature-failure-rate R] [--stall-presignatures]\n"
    "                [--drop-peers] [--tx-rate R] [--seed N] [--series N]\n"
    "                [--tls-cert FILE --tls-key FILE [--tls-client-ca FILE]] [--native-histograms]\n"
    "                [--session-series] [--help]\n"
    "\n"
    "Simulated MPC threshold-signing node serving mpc_* and process_* metrics on\n"
    "http://HOST:PORT/metrics (health check: /healthz).\n"
    "\n"
    "  --listen HOST:PORT            address to serve on (default 127.0.0.1:8080): numeric IPv4,\n"
    "                                [IPv6], localhost, or :PORT for every IPv4 interface (containers);\n"
    "                                port 0 picks a free port, printed on the first line of stdout\n"
    "  --node-id ID                  node_id label on every series (default node-1;\n"
    "                                letters, digits, '.', '_', '-', ':')\n"
    "  --threshold T                 votes a consensus round needs (default 3)\n"
    "  --total-nodes N               cluster size, this node included (default 5)\n"
    "  --tx-rate R                   mean new transactions per second (default 4)\n"
    "  --tls-cert FILE, --tls-key FILE\n"
    "                                serve HTTPS with this PEM certificate chain and key\n"
    "                                (reloaded when the files change; needs a TLS build)\n"
    "  --tls-client-ca FILE          with --tls-cert: only clients presenting a certificate\n"
    "                                signed by this CA are served (mutual TLS)\n"
    "  --native-histograms           also expose signing and consensus-round latencies as native\n"
    "                                histograms (mpc_*_duration_native_seconds; Prometheus reads\n"
    "                                them with --enable-feature=native-histograms, over protobuf)\n"
    "faults (for testing alerts):\n"
    "  --byzantine-rate R            chance 0..1 that a consensus round sees a Byzantine peer\n"
    "                                (double vote, invalid signature, timeout or malformed\n"
    "                                message, equally likely; default 0)\n"
    "  --signature-failure-rate R    chance 0..1 that a signing session fails (default 0.002)\n"
    "  --stall-presignatures         presignature generation stops; the pool drains to 0\n"
    "  --drop-peers                  peers cannot stay connected (0-1 connected), connection\n"
    "                                errors and TLS handshake failures; rounds lose quorum\n"
    "other:\n"
    "  --seed N                      random seed, for a reproducible event sequence\n"
    "  --series N                    add N synthetic counter series (0..20000, default 0)\n"
    "  --session-series              series per signing session (mpc_signing_session_*{session}),\n"
    "                                removed when the session ends: series churn for soak tests\n"
    "  --help                        show this help\n"
    "\n"
    "Stops cleanly on SIGINT or SIGTERM. Exit codes: 0 stopped, 1 cannot serve, 2 bad usage.\n";

namespace detail {

inline std::string quoted(std::string_view s) { return "'" + std::string(s) + "'"; }

inline std::string non_empty(std::string_view flag, std::string_view text) {
  if (text.empty()) throw usage_error(std::string(flag) + ": needs a file name");
  return std::string(text);
}

template <class Int>
Int parse_integer(std::string_view flag, std::string_view text, Int lo, Int hi) {
  Int value{};
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  if (ec == std::errc{} && end == text.data() + text.size() && value >= lo && value <= hi) return value;
  throw usage_error(std::string(flag) + ": expected an integer from " + std::to_string(lo) + " to " +
                    std::to_string(hi) + ", got " + quoted(text));
}

inline double parse_rate(std::string_view flag, std::string_view text, double lo, double hi, bool lo_open) {
  double value = 0;
  const auto [end, ec] = std::from_chars(text.data(), text.data() + text.size(), value);
  const bool numeric = ec == std::errc{} && end == text.data() + text.size() && std::isfinite(value);
  if (numeric && (lo_open ? value > lo : value >= lo) && value <= hi) return value;
  std::string range = lo_open ? "greater than " + std::to_string(static_cast<int>(lo)) + " and at most " +
                                    std::to_string(static_cast<int>(hi))
                              : "from " + std::to_string(static_cast<int>(lo)) + " to " +
                                    std::to_string(static_cast<int>(hi));
  throw usage_error(std::string(flag) + ": expected a number " + range + ", got " + quoted(text));
}

/// HOST:PORT, [IPv6]:PORT or :PORT, with a decimal port 0..65535. The server
/// checks the host itself when it binds.
inline void check_listen(std::string_view text) {
  const auto fail = [&](std::string_view why) {
    throw usage_error("--listen: " + std::string(why) + ", got " + quoted(text) + " (expected HOST:PORT)");
  };
  const auto colon = text.rfind(':');
  if (colon == std::string_view::npos) fail("missing ':PORT'");
  const auto host = text.substr(0, colon);
  const auto port = text.substr(colon + 1);
  if (host.starts_with('[') != host.ends_with(']') || (host.starts_with('[') && host.size() < 3))
    fail("unbalanced brackets around an IPv6 address");
  if (!host.starts_with('[') && host.find(':') != std::string_view::npos) fail("an IPv6 address needs brackets");
  unsigned value = 0;
  const auto [end, ec] = std::from_chars(port.data(), port.data() + port.size(), value);
  if (port.empty() || ec != std::errc{} || end != port.data() + port.size() || value > 65535)
    fail("the port must be a number from 0 to 65535");
}

inline void check_node_id(std::string_view text) {
  bool ok = !text.empty() && text.size() <= 64;
  for (const char c : text)
    ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '.' ||
                c == '_' || c == '-' || c == ':');
  if (!ok)
    throw usage_error("--node-id: expected 1 to 64 letters, digits, '.', '_', '-' or ':', got " + quoted(text));
}

} // namespace detail

/// Parses mpc_node's arguments (without the program name). Throws usage_error.
inline node_options parse_options(const std::vector<std::string_view>& args) {
  node_options o;
  bool threshold_given = false;
  for (std::size_t i = 0; i < args.size(); ++i) {
    std::string_view flag = args[i];
    std::string_view inline_value;
    bool has_inline = false;
    if (flag.starts_with("--")) {
      if (const auto eq = flag.find('='); eq != std::string_view::npos) {
        inline_value = flag.substr(eq + 1);
        flag = flag.substr(0, eq);
        has_inline = true;
      }
    }
    const auto value = [&]() -> std::string_view {
      if (has_inline) return inline_value;
      if (i + 1 >= args.size()) throw usage_error(std::string(flag) + ": missing value");
      return args[++i];
    };
    const auto no_value = [&] {
      if (has_inline) throw usage_error(std::string(flag) + ": takes no value");
    };

    if (flag == "--help" || flag == "-h") { no_value(); o.help = true; }
    else if (flag == "--listen") { const auto v = value(); detail::check_listen(v); o.listen = v; }
    else if (flag == "--node-id") { const auto v = value(); detail::check_node_id(v); o.node_id = v; }
    else if (flag == "--threshold") { o.workload.threshold = detail::parse_integer(flag, value(), 1, 1000); threshold_given = true; }
    else if (flag == "--total-nodes") o.workload.total_nodes = detail::parse_integer(flag, value(), 1, 1000);
    else if (flag == "--tx-rate") o.workload.tx_rate = detail::parse_rate(flag, value(), 0, 1000, true);
    else if (flag == "--byzantine-rate") o.workload.byzantine_rate = detail::parse_rate(flag, value(), 0, 1, false);
    else if (flag == "--signature-failure-rate")
      o.workload.signature_failure_rate = detail::parse_rate(flag, value(), 0, 1, false);
    else if (flag == "--stall-presignatures") { no_value(); o.workload.stall_presignatures = true; }
    else if (flag == "--drop-peers") { no_value(); o.workload.drop_peers = true; }
    else if (flag == "--seed") { o.workload.seed = detail::parse_integer<std::uint64_t>(flag, value(), 0, std::numeric_limits<std::uint64_t>::max()); o.seeded = true; }
    else if (flag == "--series") o.series = detail::parse_integer<std::size_t>(flag, value(), 0, max_synthetic_series);
    else if (flag == "--tls-cert") o.tls_cert = detail::non_empty(flag, value());
    else if (flag == "--tls-key") o.tls_key = detail::non_empty(flag, value());
    else if (flag == "--tls-client-ca") o.tls_client_ca = detail::non_empty(flag, value());
    else if (flag == "--native-histograms") { no_value(); o.native_histograms = true; }
    else if (flag == "--session-series") { no_value(); o.session_series = true; }
    else if (flag.starts_with("-")) throw usage_error("unknown option " + detail::quoted(flag));
    else throw usage_error("unexpected argument " + detail::quoted(flag));
  }
  if (o.tls_cert.empty() != o.tls_key.empty())
    throw usage_error(o.tls_cert.empty() ? "--tls-key: needs --tls-cert" : "--tls-cert: needs --tls-key");
  if (!o.tls_client_ca.empty() && o.tls_cert.empty())
    throw usage_error("--tls-client-ca: needs --tls-cert and --tls-key (client certificates need TLS)");
  if (o.workload.threshold > o.workload.total_nodes)
    throw usage_error(std::string(threshold_given ? "--threshold" : "--total-nodes") + ": the threshold (" +
                      std::to_string(o.workload.threshold) + ") must not exceed --total-nodes (" +
                      std::to_string(o.workload.total_nodes) + ")");
  return o;
}

} // namespace mpc

#endif // MPC_CLI_HPP
