// The core and the encoders built with -fno-exceptions (issue 14): metrics
// update, collect and encode; a broken contract that throws elsewhere prints
// its message and aborts here (PROMCXX_THROW), checked in a child process.
#define DOCTEST_CONFIG_NO_EXCEPTIONS_BUT_WITH_ALL_ASSERTS
#define DOCTEST_CONFIG_IMPLEMENT_WITH_MAIN
#include <doctest/doctest.h>

#include <promcxx/core.hpp>
#include <promcxx/exposition.hpp>
#include <promcxx/process_collector.hpp>

#if defined(__cpp_exceptions)
#error "build this test with -fno-exceptions"
#endif

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
