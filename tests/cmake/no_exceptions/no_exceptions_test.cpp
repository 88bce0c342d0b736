// The core and the encoders built with -fno-exceptions (issue 14): metrics
// update, collect and encode, the HTTP responder starts (errors reported, not
// thrown) and serves; a broken contract that throws elsewhere prints
// its message and aborts here (PROMCXX_THROW), checked in a child process.
#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <promcxx/core.hpp>
#include <promcxx/exposition.hpp>
#include <promcxx/http_server.hpp>
#include <promcxx/process_collector.hpp>

#if defined(__cpp_exceptions)
#error "build this test with -fno-exceptions"
#endif

#include <arpa/inet.h>  // htons
#include <netinet/in.h>  // sockaddr_in
#include <sys/socket.h>  // a loopback scrape
#include <sys/wait.h>  // waitpid
#include <unistd.h>    // fork, pipe, dup2

#include <csignal>
#include <string>

namespace {
promcxx::counter<"nx_requests_total", "Requests.", promcxx::labels<"code">> requests;
promcxx::histogram<"nx_latency_seconds", "Latency.", promcxx::buckets<0.1, 1.0>> latency;
} // namespace

TEST_CASE("no-exceptions: update, collect and encode in both text formats") {
  requests.labels("200").inc(3);
  latency.observe(0.05);
  latency.observe(2.0);
  std::string text;
  promcxx::render(promcxx::default_registry(), promcxx::exposition_format::text_0_0_4, text);
  CHECK(text.find("nx_requests_total{code=\"200\"} 3\n") != std::string::npos);
  CHECK(text.find("nx_latency_seconds_bucket{le=\"0.1\"} 1\n") != std::string::npos);
  CHECK(text.find("nx_latency_seconds_count 2\n") != std::string::npos);
  std::string om;
  promcxx::render(promcxx::default_registry(), promcxx::exposition_format::openmetrics_1_0_0, om);
  CHECK(om.find("nx_requests_total{code=\"200\"} 3") != std::string::npos);
  CHECK(om.ends_with("# EOF\n"));
}

TEST_CASE("no-exceptions: a broken contract aborts with the message the exception would carry") {
  int fds[2];
  REQUIRE(::pipe(fds) == 0);
  const pid_t child = ::fork();
  REQUIRE(child >= 0);
  if (child == 0) {
    ::dup2(fds[1], 2);
    std::signal(SIGABRT, SIG_DFL);  // doctest's crash handler is inherited: the parent judges the abort
    promcxx::registry r;
    promcxx::process_collector p{r};
    r.add(p);  // registered twice: throws std::invalid_argument with exceptions
    ::_exit(0);
  }
  ::close(fds[1]);
  std::string err;
  char buffer[256];
  for (ssize_t n; (n = ::read(fds[0], buffer, sizeof buffer)) > 0;) err.append(buffer, static_cast<std::size_t>(n));
  ::close(fds[0]);
  int status = 0;
  REQUIRE(::waitpid(child, &status, 0) == child);
  CHECK(WIFSIGNALED(status));
  CHECK(WTERMSIG(status) == SIGABRT);
  CHECK(err.find("promcxx::registry: collector is already registered") != std::string::npos);
}

TEST_CASE("no-exceptions: try_define reports a broken rule or a clash instead of aborting") {
  promcxx::registry r;
  promcxx::detail::rule why = promcxx::detail::rule::none;
  const std::string_view bad_label[] = {"__reserved"};
  CHECK(r.try_define<promcxx::counter_family>("nx_jobs_total", "Jobs.", bad_label, {}, why) == nullptr);
  CHECK(why != promcxx::detail::rule::none);
  CHECK(r.try_define<promcxx::counter_family>("nx-bad", "Bad name.", {}, {}, why) == nullptr);
  CHECK(why == promcxx::detail::rule::metric_name);
  auto* jobs = r.try_define<promcxx::counter_family>("nx_jobs_total", "Jobs.", {}, {}, why);
  REQUIRE(jobs != nullptr);
  CHECK(why == promcxx::detail::rule::none);
  // The same name again is refused by the registry's admission, still without aborting.
  CHECK(r.try_define<promcxx::gauge_family>("nx_jobs_total", "Jobs again.", {}, {}, why) == nullptr);
  CHECK(why != promcxx::detail::rule::none);
  jobs->labels(std::span<const std::string_view>{}).inc();
  std::string text;
  promcxx::render(r, promcxx::exposition_format::text_0_0_4, text);
  CHECK(text.find("nx_jobs_total 1\n") != std::string::npos);
}

TEST_CASE("no-exceptions: http_server::start reports start-up errors and serves") {
  std::string error;
  promcxx::http_server_options options;
  options.listen = "127.0.0.1:0";
  options.path = "no-slash";
  CHECK(promcxx::http_server::start(options, error) == nullptr);
  CHECK(error.find("path must start with '/'") != std::string::npos);
  options.path = "/metrics";
  auto server = promcxx::http_server::start(options, error);
  REQUIRE(server != nullptr);
  CHECK(error.empty());
  options.listen = "127.0.0.1:" + std::to_string(server->port());
  CHECK(promcxx::http_server::start(options, error) == nullptr);  // the port is taken
  CHECK(error.find("cannot listen on " + options.listen) != std::string::npos);

  // A real scrape over loopback.
  const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
  REQUIRE(fd >= 0);
  sockaddr_in address{};
  address.sin_family = AF_INET;
  address.sin_port = htons(server->port());
  address.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
  REQUIRE(::connect(fd, reinterpret_cast<const sockaddr*>(&address), sizeof address) == 0);
  const std::string request = "GET /metrics HTTP/1.0\r\n\r\n";
  REQUIRE(::write(fd, request.data(), request.size()) == static_cast<ssize_t>(request.size()));
  std::string response;
  char buffer[4096];
  for (ssize_t n; (n = ::read(fd, buffer, sizeof buffer)) > 0;) response.append(buffer, static_cast<std::size_t>(n));
  ::close(fd);
  CHECK(response.starts_with("HTTP/1.1 200"));
  CHECK(response.find("nx_requests_total{code=\"200\"}") != std::string::npos);
}
