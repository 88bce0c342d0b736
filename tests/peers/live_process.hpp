// Test helpers for the peers suites: a real server process on loopback
// (Pushgateway, node_exporter) that is always killed, and a plain GET.
#ifndef PROMCXX_TESTS_PEERS_LIVE_PROCESS_HPP
#define PROMCXX_TESTS_PEERS_LIVE_PROCESS_HPP

#include <chrono>
#include <csignal>
#include <cstdlib>
#include <limits>
#include <filesystem>
#include <stdexcept>
#include <string>
#include <thread>
#include <vector>

#include <arpa/inet.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <spawn.h>
#include <sys/socket.h>
#include <sys/wait.h>
#include <unistd.h>

#include <promcxx/detail/blocking_client.hpp>

extern char** environ;

namespace peers_test {

/// A loopback port nobody listens on right now (bind to port 0, read it, close).
inline int free_port() {
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  sockaddr_in addr{};
  addr.sin_family = AF_INET;
  addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  addr.sin_port = 0;
  if (::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) != 0) throw std::runtime_error("bind failed");
  socklen_t len = sizeof addr;
  ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
  ::close(fd);
  return ntohs(addr.sin_port);
}

inline promcxx::detail::http_response get(const std::string& base, const std::string& path) {
  const auto url = promcxx::detail::parse_http_url(base, "peers_test::get");
  return promcxx::detail::blocking_client::request(url, "GET", path, "", "", std::chrono::seconds(5), "peers_test::get");
}

/// A temporary directory removed with everything in it.
struct temp_dir {
  std::filesystem::path path;
  temp_dir() {
    std::string pattern = (std::filesystem::temp_directory_path() / "promcxx-peers-XXXXXX").string();
    if (::mkdtemp(pattern.data()) == nullptr) throw std::runtime_error("mkdtemp failed");
    path = pattern;
  }
  ~temp_dir() {
    std::error_code ec;
    std::filesystem::remove_all(path, ec);
  }
};

/// Starts `argv` (stdout and stderr to `log`), waits until `base + ready_path`
/// answers at all (at most 15 s; 401 counts, behind basic auth), and kills the process when destroyed.
class live_process {
 public:
  live_process(std::vector<std::string> argv, const std::string& log, const std::string& base,
               const std::string& ready_path)
      : base_(base) {
    posix_spawn_file_actions_t actions;
    posix_spawn_file_actions_init(&actions);
    posix_spawn_file_actions_addopen(&actions, 1, log.c_str(), O_WRONLY | O_CREAT | O_TRUNC, 0644);
    posix_spawn_file_actions_adddup2(&actions, 1, 2);
    std::vector<char*> args;
    for (auto& a : argv) args.push_back(a.data());
    args.push_back(nullptr);
    const int rc = ::posix_spawn(&pid_, args[0], &actions, nullptr, args.data(), environ);
    posix_spawn_file_actions_destroy(&actions);
    if (rc != 0) throw std::runtime_error("cannot start " + argv[0]);
    const auto deadline = std::chrono::steady_clock::now() + std::chrono::seconds(15);
    while (std::chrono::steady_clock::now() < deadline) {
      try {
        if (get(base_, ready_path).status > 0) return;
      } catch (const std::exception&) {
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(50));
    }
    stop();
    throw std::runtime_error(argv[0] + " did not become ready; see " + log);
  }
  live_process(const live_process&) = delete;
  live_process& operator=(const live_process&) = delete;
  ~live_process() { stop(); }

  [[nodiscard]] const std::string& base() const noexcept { return base_; }

 private:
  void stop() noexcept {
    if (pid_ <= 0) return;
    ::kill(pid_, SIGTERM);
    int status = 0;
    for (int i = 0; i < 100; ++i) {
      if (::waitpid(pid_, &status, WNOHANG) == pid_) {
        pid_ = 0;
        return;
      }
      std::this_thread::sleep_for(std::chrono::milliseconds(20));
    }
    ::kill(pid_, SIGKILL);
    ::waitpid(pid_, &status, 0);
    pid_ = 0;
  }

  pid_t pid_ = 0;
  std::string base_;
};

/// The exposition line for `series` (exact name and label set) or "" if absent.
inline std::string find_line(const std::string& exposition, const std::string& series) {
  std::size_t pos = 0;
  while (pos < exposition.size()) {
    const auto end = exposition.find('\n', pos);
    const std::string line = exposition.substr(pos, end == std::string::npos ? std::string::npos : end - pos);
    if (line.size() > series.size() && line.compare(0, series.size(), series) == 0 && line[series.size()] == ' ')
      return line;
    if (end == std::string::npos) break;
    pos = end + 1;
  }
  return {};
}

/// The value of `series`, or NaN when absent.
inline double value_of(const std::string& exposition, const std::string& series) {
  const auto line = find_line(exposition, series);
  if (line.empty()) return std::numeric_limits<double>::quiet_NaN();
  return std::strtod(line.c_str() + series.size() + 1, nullptr);
}

} // namespace peers_test

#endif // PROMCXX_TESTS_PEERS_LIVE_PROCESS_HPP
