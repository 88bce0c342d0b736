// Scrape target for the TLS tests: a promcxx::http_server with TLS options from the
// command line, a few metrics with known values, and its own self-metrics.
//     tls_target PORT_FILE --cert F --key F [--ca F] [--allow NAME]... [--user U --hash H]
//                [--handshake-timeout-ms N] [--reload-ms N] [--listen ADDR]
// Writes "port" to PORT_FILE once serving. SIGUSR1 calls reload_tls() and appends
// "ok" or the error to PORT_FILE.reload. Exits on SIGTERM/SIGINT, or by itself
// after 300 s so a crashed test run leaves nothing behind.
#include <promcxx.hpp>
#include <promcxx/http_server.hpp>

#include <csignal>
#include <cstdio>
#include <ctime>
#include <fstream>
#include <iostream>
#include <string>
#include <string_view>

namespace {

promcxx::registry reg;
promcxx::counter<"tls_test_jobs_total", "Jobs processed by queue.", promcxx::labels<"queue">> jobs{reg};
promcxx::gauge<"tls_test_temperature_celsius", "A gauge with a fractional value."> temperature{reg};

int usage(const char* self) {
  std::cerr << "usage: " << self
            << " PORT_FILE --cert F --key F [--ca F] [--allow NAME]... [--user U --hash H]"
               " [--handshake-timeout-ms N] [--reload-ms N] [--listen ADDR]\n";
  return 2;
}

} // namespace

int main(int argc, char** argv) {
  if (argc < 2) return usage(argv[0]);
  sigset_t signals;
  sigemptyset(&signals);
  sigaddset(&signals, SIGTERM);
  sigaddset(&signals, SIGINT);
  sigaddset(&signals, SIGUSR1);
  pthread_sigmask(SIG_BLOCK, &signals, nullptr);  // before the server thread starts

  promcxx::http_server_options options{.listen = "127.0.0.1:0", .registry = &reg};
  std::string user;
  for (int i = 2; i < argc; ++i) {
    const std::string_view arg = argv[i];
    if (i + 1 >= argc) return usage(argv[0]);
    const std::string value = argv[++i];
    if (arg == "--cert") options.tls.cert_file = value;
    else if (arg == "--key") options.tls.key_file = value;
    else if (arg == "--ca") options.tls.client_ca_file = value;
    else if (arg == "--allow") options.tls.allowed_client_names.push_back(value);
    else if (arg == "--user") user = value;
    else if (arg == "--hash") options.basic_auth_users[user] = value;
    else if (arg == "--handshake-timeout-ms") options.tls.handshake_timeout = std::chrono::milliseconds{std::stoi(value)};
    else if (arg == "--reload-ms") options.tls.reload_check_interval = std::chrono::milliseconds{std::stoi(value)};
    else if (arg == "--listen") options.listen = value;
    else return usage(argv[0]);
  }
  jobs.labels("a").inc(7);
  temperature.set(42.5);

  try {
    promcxx::http_server server{options};
    const std::string port_file = argv[1];
    {
      std::ofstream out{port_file + ".tmp"};
      out << server.port() << '\n';
    }
    std::rename((port_file + ".tmp").c_str(), port_file.c_str());  // readers never see half a file
    const auto started = std::time(nullptr);
    for (;;) {
      const timespec limit{1, 0};
      const int sig = sigtimedwait(&signals, nullptr, &limit);
      if (sig == SIGTERM || sig == SIGINT || std::time(nullptr) - started > 300) break;
      if (sig == SIGUSR1) {
        const bool ok = server.reload_tls();
        std::ofstream out{port_file + ".reload", std::ios::app};
        out << (ok ? std::string{"ok"} : "failed: " + server.tls_error()) << '\n';
      }
    }
    server.stop();
  } catch (const std::exception& e) {
    std::cerr << "tls_target: " << e.what() << '\n';
    return 1;
  }
  return 0;
}
