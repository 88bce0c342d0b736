// mpc_node: a simulated MPC threshold-signing node that serves the mpc_*
// metrics of a real one (plus process_* and the server's own metrics), for
// the monitoring stack's dashboards, alerts and end-to-end tests.
// Run `mpc_node --help` for the flags.
#include <signal.h>  // sigtimedwait, pthread_sigmask
#include <time.h>

#include <chrono>
#include <csignal>  // std::signal
#include <cstdio>
#include <exception>
#include <optional>
#include <random>
#include <string>
#include <string_view>
#include <system_error>
#include <vector>

#include <promcxx.hpp>
#include <promcxx/http_server.hpp>
#include <promcxx/process_collector.hpp>  // registers process_* with the default registry

#include "cli.hpp"
#include "mpc_metrics.hpp"
#include "native_latency.hpp"
#include "workload.hpp"

namespace {

// Only used with --series: load for the HTTP benchmark. An empty family is not exposed.
promcxx::counter<"synthetic_series_total", "Synthetic load series (mpc_node --series).", promcxx::labels<"series">,
                 promcxx::max_series<mpc::max_synthetic_series>>
    synthetic;

int usage_failure(std::string_view message) {
  std::fprintf(stderr, "mpc_node: %.*s\n\n%.*s", static_cast<int>(message.size()), message.data(),
               static_cast<int>(mpc::usage_text.size()), mpc::usage_text.data());
  return 2;
}

std::string host_of(std::string_view listen) { return std::string(listen.substr(0, listen.rfind(':'))); }

promcxx::counter_handle synthetic_series(std::size_t index) {
  char name[24];
  std::snprintf(name, sizeof name, "s%05zu", index);
  return synthetic.labels(std::string_view{name});
}

} // namespace

int main(int argc, char** argv) {
  mpc::node_options options;
  try {
    options = mpc::parse_options(std::vector<std::string_view>(argv + 1, argv + argc));
  } catch (const mpc::usage_error& e) {
    return usage_failure(e.what());
  }
  if (options.help) {
    std::fwrite(mpc::usage_text.data(), 1, mpc::usage_text.size(), stdout);
    return 0;
  }
  if (!options.seeded) options.workload.seed = (std::uint64_t{std::random_device{}()} << 32) ^ std::random_device{}();

  // Block the stop signals before any thread starts (threads inherit the
  // mask), then take them synchronously in the main loop: no handler needed.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);
  // A launcher that stops reading our stdout must not kill us with SIGPIPE.
  std::signal(SIGPIPE, SIG_IGN);

  mpc::initialize_metrics(options.node_id, options.workload.threshold, options.workload.total_nodes);
  if (options.native_histograms) mpc::native_latency::enable();
  if (options.session_series) mpc::session_series::enable();
  for (std::size_t i = 0; i < options.series; ++i) synthetic_series(i).inc(static_cast<double>(i % 1000));

  std::optional<promcxx::http_server> server;
  try {
    promcxx::http_server_options http;
    http.listen = options.listen;
    http.tls.cert_file = options.tls_cert;
    http.tls.key_file = options.tls_key;
    http.tls.client_ca_file = options.tls_client_ca;
    server.emplace(http);
  } catch (const std::invalid_argument& e) {
    // promcxx names the TLS rule itself; a bad address is the --listen flag's.
    return usage_failure(std::string(options.tls_cert.empty() ? "--listen: " : "") + e.what());
  } catch (const std::exception& e) {
    std::fprintf(stderr, "mpc_node: cannot serve on %s: %s\n", options.listen.c_str(), e.what());
    return 1;
  }
  // Tests and launchers read this line to learn the port (useful with port 0).
  std::printf("mpc_node %s listening on %s:%u\n", options.node_id.c_str(), host_of(options.listen).c_str(),
              static_cast<unsigned>(server->port()));
  std::fflush(stdout);

  mpc::workload workload{options.workload};
  std::mt19937_64 synthetic_rng{options.workload.seed};
  const auto start = std::chrono::steady_clock::now();
  for (;;) {
    // 10 wake-ups a second: fine-grained enough for 1 s scrapes, cheap enough for five nodes on two cores.
    const timespec tick{0, 100'000'000};
    const int signal = sigtimedwait(&stop_signals, nullptr, &tick);
    if (signal == SIGINT || signal == SIGTERM) break;
    workload.advance_to(std::chrono::duration<double>(std::chrono::steady_clock::now() - start).count());
    if (options.series > 0) {
      // Keep a few synthetic series moving so scrapes are not all-identical.
      for (int k = 0; k < 8; ++k) synthetic_series(static_cast<std::size_t>(synthetic_rng() % options.series)).inc();
    }
  }
  server->stop();
  std::printf("mpc_node %s stopped\n", options.node_id.c_str());
  return 0;
}
