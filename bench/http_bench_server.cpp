// A promcxx::http_server serving a registry of N counter series, for wrk:
//     promcxx_bench_http_server --listen 127.0.0.1:0 --series 10000 [--cert F --key F]
// With --cert/--key it serves HTTPS (needs a build with PROMCXX_HAS_OPENSSL).
// Prints the bound port on the first line of stdout, then serves until
// SIGINT or SIGTERM.
#include <csignal>
#include <cstdio>
#include <cstring>
#include <exception>
#include <memory>
#include <string>
#include <string_view>

#include <promcxx/http_server.hpp>

#include "bench_registry.hpp"

namespace {

template <class Registry>
int serve(const std::string& listen, const promcxx::tls_options& tls) {
  const auto metrics = std::make_unique<Registry>();
  promcxx::http_server_options options;
  options.listen = listen;
  options.registry = &metrics->registry;
  options.tls = tls;
  promcxx::http_server server{options};
  std::printf("%u\n", static_cast<unsigned>(server.port()));
  std::fflush(stdout);
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  int signal = 0;
  sigwait(&stop_signals, &signal);
  server.stop();
  return 0;
}

int usage() {
  std::fprintf(stderr, "usage: promcxx_bench_http_server [--listen 127.0.0.1:PORT] [--series 100|10000] "
                       "[--cert CERT.pem --key KEY.pem]\n");
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  // Blocked before any thread starts, so only sigwait receives them.
  sigset_t stop_signals;
  sigemptyset(&stop_signals);
  sigaddset(&stop_signals, SIGINT);
  sigaddset(&stop_signals, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_signals, nullptr);

  std::string listen = "127.0.0.1:0";
  std::string_view series = "10000";
  promcxx::tls_options tls;
  for (int i = 1; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage();
    if (arg == "--listen") listen = argv[++i];
    else if (arg == "--series") series = argv[++i];
    else if (arg == "--cert") tls.cert_file = argv[++i];
    else if (arg == "--key") tls.key_file = argv[++i];
    else return usage();
  }
  try {
    if (series == "100") return serve<bench::big_registry<1, 0>>(listen, tls);
    if (series == "10000") return serve<bench::big_registry<100, 0>>(listen, tls);
    return usage();
  } catch (const std::exception& e) {
    std::fprintf(stderr, "promcxx_bench_http_server: %s\n", e.what());
    return 1;
  }
}
