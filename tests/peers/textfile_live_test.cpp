// Textfile output judged by the real node_exporter textfile collector
// (Debian prometheus-node-exporter) scraped on loopback.
#include <doctest/doctest.h>

#include <atomic>
#include <filesystem>
#include <fstream>
#include <sstream>
#include <string>
#include <thread>

#include <sys/stat.h>
#include <unistd.h>

#include <promcxx.hpp>
#include <promcxx/textfile.hpp>

#include "live_process.hpp"

namespace {

constexpr const char* node_exporter_bin = "/usr/bin/prometheus-node-exporter";

std::string read_file(const std::filesystem::path& p) {
  std::ifstream in(p);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

std::size_t entries(const std::filesystem::path& dir) {
  std::size_t n = 0;
  for ([[maybe_unused]] const auto& e : std::filesystem::directory_iterator(dir)) ++n;
  return n;
}

} // namespace

TEST_CASE("textfile: the file holds the text exposition, mode 0644, no temporary left behind") {
  peers_test::temp_dir dir;
  promcxx::registry reg;
  promcxx::gauge<"peers_textfile_value", "A value written to a textfile."> g{reg};
  g.set(12.5);
  promcxx::write_textfile(reg, dir.path, "job");
  const auto text = read_file(dir.path / "job.prom");
  CHECK(text == "# HELP peers_textfile_value A value written to a textfile.\n"
                "# TYPE peers_textfile_value gauge\npeers_textfile_value 12.5\n");
  struct stat st {};
  REQUIRE(::stat((dir.path / "job.prom").c_str(), &st) == 0);
  CHECK((st.st_mode & 0777) == 0644);
  g.set(13);
  promcxx::write_textfile(reg, dir.path, "job");
  CHECK(read_file(dir.path / "job.prom").find("peers_textfile_value 13\n") != std::string::npos);
  CHECK(entries(dir.path) == 1);
}

TEST_CASE("textfile: bad names and unwritable directories throw, and the old file stays") {
  peers_test::temp_dir dir;
  CHECK_THROWS_WITH_AS(promcxx::write_textfile("x 1\n", dir.path, ""), doctest::Contains("promcxx::write_textfile"),
                       std::invalid_argument);
  CHECK_THROWS_AS(promcxx::write_textfile("x 1\n", dir.path, "a/b"), std::invalid_argument);
  CHECK_THROWS_AS(promcxx::write_textfile("x 1\n", dir.path, ".hidden"), std::invalid_argument);
  CHECK_THROWS_WITH_AS(promcxx::write_textfile("x 1\n", dir.path / "missing", "job"),
                       doctest::Contains("promcxx::write_textfile: cannot create a temporary file in"),
                       std::system_error);
  // A directory in the way of the target: the rename fails, the temporary is removed.
  std::filesystem::create_directory(dir.path / "blocked.prom");
  std::ofstream(dir.path / "blocked.prom" / "keep") << "x";
  CHECK_THROWS_WITH_AS(promcxx::write_textfile("x 1\n", dir.path, "blocked"),
                       doctest::Contains("cannot rename the temporary file to"), std::system_error);
  CHECK(entries(dir.path) == 1);
}

TEST_CASE("textfile: node_exporter's textfile collector reads every version, never a torn file") {
  if (::access(node_exporter_bin, X_OK) != 0) {
    MESSAGE("skipped: " << node_exporter_bin << " not installed");
    return;
  }
  peers_test::temp_dir work;
  const auto dir = work.path / "textfiles";
  std::filesystem::create_directory(dir);
  const int port = peers_test::free_port();
  const std::string base = "http://127.0.0.1:" + std::to_string(port);
  peers_test::live_process exporter{{node_exporter_bin, "--web.listen-address=127.0.0.1:" + std::to_string(port),
                                     "--collector.disable-defaults", "--collector.textfile",
                                     "--collector.textfile.directory=" + dir.string()},
                                    (work.path / "node_exporter.log").string(), base, "/metrics"};

  promcxx::registry reg;
  promcxx::gauge<"peers_batch_generation", "Generation written last."> generation{reg};
  // Many series, so a torn read would be likely to cut one: every series carries the generation.
  promcxx::gauge<"peers_batch_item", "One item per line.", promcxx::labels<"item">> items{reg};
  const auto write_generation = [&](int gen) {
    generation.set(gen);
    for (int i = 0; i < 200; ++i) items.labels(std::to_string(i)).set(gen);
    promcxx::write_textfile(reg, dir, "batch");
  };
  write_generation(1);
  auto m = peers_test::get(base, "/metrics").body;
  CHECK(peers_test::value_of(m, "peers_batch_generation") == 1);
  CHECK(peers_test::value_of(m, "peers_batch_item{item=\"199\"}") == 1);
  CHECK(peers_test::value_of(m, "node_textfile_scrape_error") == 0);

  std::atomic<bool> done{false};
  std::thread writer([&] {
    for (int gen = 2; gen <= 300; ++gen) write_generation(gen);
    done = true;
  });
  int scrapes = 0;
  int previous = 1;
  while (!done.load() || scrapes < 5) {
    m = peers_test::get(base, "/metrics").body;
    ++scrapes;
    REQUIRE(peers_test::value_of(m, "node_textfile_scrape_error") == 0);
    const double gen = peers_test::value_of(m, "peers_batch_generation");
    REQUIRE(gen >= previous);
    // A whole file: all 200 items present and all from the same generation.
    for (int i = 0; i < 200; i += 37) REQUIRE(peers_test::value_of(m, "peers_batch_item{item=\"" + std::to_string(i) + "\"}") == gen);
    REQUIRE(peers_test::value_of(m, "peers_batch_item{item=\"199\"}") == gen);
    previous = static_cast<int>(gen);
    if (scrapes > 2000) break;  // bounded, whatever happens
  }
  writer.join();
  CHECK(scrapes >= 5);
  m = peers_test::get(base, "/metrics").body;
  CHECK(peers_test::value_of(m, "peers_batch_generation") == 300);
  CHECK(entries(dir) == 1);  // no temporary files left
}
