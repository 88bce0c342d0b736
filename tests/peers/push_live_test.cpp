// The push client against a real Pushgateway (Debian prometheus-pushgateway)
// started on loopback by the test: what we push is what it serves.
#include <doctest/doctest.h>

#include <chrono>
#include <cmath>
#include <fstream>
#include <string>
#include <thread>

#include <arpa/inet.h>
#include <netinet/in.h>
#include <sys/socket.h>
#include <unistd.h>

#include <promcxx.hpp>
#include <promcxx/push.hpp>

#include "live_process.hpp"

namespace {

constexpr const char* pushgateway_bin = "/usr/bin/prometheus-pushgateway";

struct gateway {
  peers_test::temp_dir dir;
  int port = peers_test::free_port();
  std::string base = "http://127.0.0.1:" + std::to_string(port);
  peers_test::live_process process;

  explicit gateway(const std::string& web_config = {})
      : process(args(web_config), (dir.path / "pushgateway.log").string(), base, "/-/ready") {}

  std::vector<std::string> args(const std::string& web_config) {
    // Debian's build persists to /var/lib by default: keep each test's state in its own directory.
    std::vector<std::string> a{pushgateway_bin, "--web.listen-address=127.0.0.1:" + std::to_string(port),
                               "--persistence.file=" + (dir.path / "pushgateway.data").string()};
    if (!web_config.empty()) {
      const auto file = (dir.path / "web.yml").string();
      std::ofstream(file) << web_config;
      a.push_back("--web.config.file=" + file);
    }
    return a;
  }

  std::string metrics() const {
    const auto r = peers_test::get(base, "/metrics");
    REQUIRE(r.status == 200);
    return r.body;
  }
};

bool have_gateway() { return ::access(pushgateway_bin, X_OK) == 0; }

} // namespace

TEST_CASE("push: grouping key paths use the Pushgateway's escaping") {
  promcxx::pusher p{"http://127.0.0.1:1/prefix/", "my job"};
  p.grouping("path", "/var/tmp").grouping("empty", "").grouping("plain", "a.b-c_d~e");
  CHECK(p.group_path() == "/prefix/metrics/job/my%20job/path@base64/L3Zhci90bXA/empty@base64/=/plain/a.b-c_d~e");
  CHECK(promcxx::detail::base64_encode("a", true, true) == "YQ==");
  CHECK(promcxx::detail::base64_encode("ab", true, false) == "YWI");
  CHECK(promcxx::detail::base64_encode("\xfb\xff", true, false) == "-_8");
  CHECK(promcxx::detail::base64_encode("\xfb\xff", false, true) == "+/8=");
}

TEST_CASE("push: bad arguments are refused with the API named") {
  CHECK_THROWS_WITH_AS(promcxx::pusher("https://x:1", "j"), doctest::Contains("promcxx::push: URL"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(promcxx::pusher("http://x:99999", "j"), doctest::Contains("invalid port"),
                       std::invalid_argument);
  CHECK_THROWS_WITH_AS(promcxx::pusher("http://x:1", ""), doctest::Contains("job name must not be empty"),
                       std::invalid_argument);
  promcxx::pusher p{"http://127.0.0.1:1", "j"};
  CHECK_THROWS_WITH_AS(p.grouping("job", "x"), doctest::Contains("promcxx::push"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(p.grouping("__x", "x"), doctest::Contains("invalid grouping label name"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(p.grouping("1x", "x"), doctest::Contains("invalid grouping label name"), std::invalid_argument);
  p.grouping("a", "1");
  CHECK_THROWS_WITH_AS(p.grouping("a", "2"), doctest::Contains("given twice"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(p.timeout(std::chrono::milliseconds(0)), doctest::Contains("timeout must be positive"),
                       std::invalid_argument);
}

TEST_CASE("push: unreachable and silent gateways fail within the timeout") {
  promcxx::registry reg;
  SUBCASE("nobody listens") {
    promcxx::pusher p{"http://127.0.0.1:" + std::to_string(peers_test::free_port()), "j"};
    CHECK_THROWS_WITH_AS(p.push(reg), doctest::Contains("promcxx::push: cannot connect"), std::runtime_error);
  }
  SUBCASE("a listener that never answers") {
    const int fd = ::socket(AF_INET, SOCK_STREAM, 0);
    sockaddr_in addr{};
    addr.sin_family = AF_INET;
    addr.sin_addr.s_addr = htonl(INADDR_LOOPBACK);
    REQUIRE(::bind(fd, reinterpret_cast<sockaddr*>(&addr), sizeof addr) == 0);
    REQUIRE(::listen(fd, 4) == 0);
    socklen_t len = sizeof addr;
    ::getsockname(fd, reinterpret_cast<sockaddr*>(&addr), &len);
    promcxx::pusher p{"http://127.0.0.1:" + std::to_string(ntohs(addr.sin_port)), "j"};
    p.timeout(std::chrono::milliseconds(300));
    const auto start = std::chrono::steady_clock::now();
    CHECK_THROWS_WITH_AS(p.pushadd(reg), doctest::Contains("promcxx::pushadd: timed out"), std::runtime_error);
    CHECK(std::chrono::steady_clock::now() - start < std::chrono::seconds(5));
    ::close(fd);
  }
}

TEST_CASE("push: a real Pushgateway serves what was pushed, replaces and deletes groups") {
  if (!have_gateway()) {
    MESSAGE("skipped: " << pushgateway_bin << " not installed");
    return;
  }
  gateway gw;
  promcxx::registry reg;
  promcxx::gauge<"peers_backup_bytes", "Bytes written by the last backup."> bytes{reg};
  promcxx::counter<"peers_backup_files_total", "Files backed up.", promcxx::labels<"kind">> files{reg};
  bytes.set(1.5e9);
  files.labels("full").inc(7);
  files.labels("incremental \"quoted\"").inc(2);

  promcxx::pusher p{gw.base, "backup"};
  p.grouping("instance", "db/1").grouping("zone", "").grouping("site", "zürich 2");
  p.push(reg);
  const std::string group = "instance=\"db/1\",job=\"backup\",site=\"zürich 2\",zone=\"\"";
  auto m = gw.metrics();
  CHECK(peers_test::value_of(m, "peers_backup_bytes{" + group + "}") == 1.5e9);
  // The Pushgateway sorts labels by name: instance, job, kind, site, zone.
  CHECK(peers_test::value_of(m, "peers_backup_files_total{instance=\"db/1\",job=\"backup\",kind=\"full\",site=\"zürich 2\",zone=\"\"}") == 7);
  CHECK(peers_test::value_of(m, "peers_backup_files_total{instance=\"db/1\",job=\"backup\",kind=\"incremental \\\"quoted\\\"\",site=\"zürich 2\",zone=\"\"}") == 2);
  CHECK(m.find("push_time_seconds{" + group + "}") != std::string::npos);

  SUBCASE("PUT replaces the group: families not pushed again are gone") {
    promcxx::registry second;
    promcxx::gauge<"peers_backup_bytes", "Bytes written by the last backup."> bytes2{second};
    bytes2.set(42);
    p.push(second);
    m = gw.metrics();
    CHECK(peers_test::value_of(m, "peers_backup_bytes{" + group + "}") == 42);
    CHECK(m.find("peers_backup_files_total{") == std::string::npos);
  }
  SUBCASE("POST replaces only the families pushed") {
    promcxx::registry second;
    promcxx::gauge<"peers_backup_duration_seconds", "Duration of the last backup."> duration{second};
    duration.set(3.25);
    p.pushadd(second);
    m = gw.metrics();
    CHECK(peers_test::value_of(m, "peers_backup_bytes{" + group + "}") == 1.5e9);
    CHECK(peers_test::value_of(m, "peers_backup_duration_seconds{" + group + "}") == 3.25);
    CHECK(peers_test::value_of(m, "peers_backup_files_total{instance=\"db/1\",job=\"backup\",kind=\"full\",site=\"zürich 2\",zone=\"\"}") == 7);
  }
  SUBCASE("DELETE removes the group and leaves other groups alone") {
    promcxx::pusher other{gw.base, "backup"};
    other.grouping("instance", "db2");
    other.push(reg);
    p.delete_group();
    m = gw.metrics();
    // The Pushgateway answers DELETE with 202 Accepted and applies it a moment later: wait for it (5 s at most).
    for (int tries = 0; tries < 50 && m.find("instance=\"db/1\"") != std::string::npos; ++tries) {
      std::this_thread::sleep_for(std::chrono::milliseconds(100));
      m = gw.metrics();
    }
    CHECK(m.find("instance=\"db/1\"") == std::string::npos);
    CHECK(peers_test::value_of(m, "peers_backup_bytes{instance=\"db2\",job=\"backup\"}") == 1.5e9);
  }
  SUBCASE("an answer other than 2xx throws push_error with status and body") {
    // Same name, other type, other group: the Pushgateway refuses the inconsistency.
    promcxx::registry clash;
    promcxx::histogram<"peers_backup_bytes", "Bytes written by the last backup.", promcxx::buckets<1.0>> h{clash};
    h.observe(0.5);
    promcxx::pusher q{gw.base, "other"};
    try {
      q.push(clash);
      FAIL("expected push_error");
    } catch (const promcxx::push_error& e) {
      CHECK(e.status() == 400);
      CHECK(std::string(e.what()).find("promcxx::push: PUT " + gw.base + "/metrics/job/other answered HTTP 400") == 0);
      CHECK(e.body().find("peers_backup_bytes") != std::string::npos);
    }
    // Only the failure time is recorded for the refused group, no series of it.
    m = gw.metrics();
    CHECK(m.find("peers_backup_bytes_bucket{") == std::string::npos);
    CHECK(m.find("push_failure_time_seconds{instance=\"\",job=\"other\"}") != std::string::npos);
  }
}

TEST_CASE("push: basic auth against a Pushgateway that requires it") {
  if (!have_gateway()) {
    MESSAGE("skipped: " << pushgateway_bin << " not installed");
    return;
  }
  // bcrypt (cost 4) of "s3cret pass", made with Python's crypt module.
  gateway gw{"basic_auth_users:\n  pusher: $2b$04$vuq7et3X72SNcLVuYPA1We98tzjLjOZQvNnxZTpLOw50nY8xstGvS\n"};
  promcxx::registry reg;
  promcxx::gauge<"peers_auth_value", "A value pushed with credentials."> g{reg};
  g.set(5);
  promcxx::pusher p{gw.base, "auth"};
  CHECK_THROWS_WITH_AS(p.push(reg), doctest::Contains("answered HTTP 401"), promcxx::push_error);
  p.basic_auth("pusher", "wrong");
  CHECK_THROWS_WITH_AS(p.push(reg), doctest::Contains("answered HTTP 401"), promcxx::push_error);
  p.basic_auth("pusher", "s3cret pass");
  p.push(reg);
  // Reading /metrics needs the credentials too.
  const auto url = promcxx::detail::parse_http_url(gw.base, "t");
  const auto r = promcxx::detail::blocking_client::request(
      url, "GET", "/metrics", "Authorization: Basic " + promcxx::detail::base64_encode("pusher:s3cret pass", false, true) + "\r\n",
      "", std::chrono::seconds(5), "t");
  REQUIRE(r.status == 200);
  CHECK(peers_test::value_of(r.body, "peers_auth_value{instance=\"\",job=\"auth\"}") == 5);
}
