// The 0.0.4 encoder: number spelling, escaping, golden output.
#include "test_config.hpp"

#include <promcxx.hpp>

#include <doctest/doctest.h>

#include <fstream>
#include <limits>
#include <sstream>
#include <string>

#include "exposition_fixture.hpp"

namespace {

std::string go_float(double v) {
  char buffer[32];
  return {buffer, promcxx::detail::format_go_float(buffer, v)};
}

std::string read_file(const std::string& path) {
  std::ifstream in{path, std::ios::binary};
  REQUIRE_MESSAGE(in.good(), "cannot open ", path);
  std::stringstream s;
  s << in.rdbuf();
  return s.str();
}

} // namespace

TEST_CASE("text format: floats are spelled as Go's strconv.FormatFloat(v, 'g', -1, 64)") {
  // Expected strings are Go's output for the same values.
  CHECK(go_float(0) == "0");
  CHECK(go_float(-0.0) == "-0");
  CHECK(go_float(1) == "1");
  CHECK(go_float(-1) == "-1");
  CHECK(go_float(0.1) == "0.1");
  CHECK(go_float(2.5) == "2.5");
  CHECK(go_float(100000) == "100000");
  CHECK(go_float(999999) == "999999");
  CHECK(go_float(1e6) == "1e+06");
  CHECK(go_float(1234567) == "1.234567e+06");
  CHECK(go_float(17560473) == "1.7560473e+07");
  CHECK(go_float(123456.7) == "123456.7");
  CHECK(go_float(0.0001) == "0.0001");
  CHECK(go_float(0.00001) == "1e-05");
  CHECK(go_float(1.5e-7) == "1.5e-07");
  CHECK(go_float(0.1 + 0.2) == "0.30000000000000004");
  CHECK(go_float(1e21) == "1e+21");
  CHECK(go_float(1e100) == "1e+100");
  CHECK(go_float(5e-324) == "5e-324");
  CHECK(go_float(std::numeric_limits<double>::max()) == "1.7976931348623157e+308");
  CHECK(go_float(std::numeric_limits<double>::quiet_NaN()) == "NaN");
  CHECK(go_float(std::numeric_limits<double>::infinity()) == "+Inf");
  CHECK(go_float(-std::numeric_limits<double>::infinity()) == "-Inf");
}

TEST_CASE("text format: escaping of HELP (backslash, newline) and label values (plus quotes)") {
  std::string out;
  promcxx::detail::append_escaped_help(out, "a\\b\nc\"d");
  CHECK(out == "a\\\\b\\nc\"d");
  out.clear();
  promcxx::detail::append_escaped_value(out, "a\\b\nc\"d");
  CHECK(out == "a\\\\b\\nc\\\"d");
}

TEST_CASE("text format: golden output for a registry with hostile inputs and special floats") {
  fixture::metrics m;
  std::string out;
  promcxx::render(m.reg, promcxx::exposition_format::text_0_0_4, out);
  const auto golden = read_file(PROMCXX_GOLDEN_DIR "/text_0_0_4.txt");
  CHECK(out == golden);
  if (out != golden) std::ofstream{"text_0_0_4.actual.txt", std::ios::binary} << out;  // for a diff when it breaks
}

TEST_CASE("text format: rendering reuses the caller's buffer") {
  fixture::metrics m;
  std::string out;
  promcxx::render(m.reg, promcxx::exposition_format::text_0_0_4, out);
  const auto* data = out.data();
  const auto size = out.size();
  promcxx::render(m.reg, promcxx::exposition_format::text_0_0_4, out);
  CHECK(out.size() == size);
  CHECK(out.data() == data);
}
