// Prints the fixture registry in the format named on the command line
// ("text" or "openmetrics"), for external checkers such as promtool.
#include <promcxx.hpp>

#include <cstdio>
#include <string_view>

#include "exposition_fixture.hpp"

int main(int argc, char** argv) {
  const std::string_view format = argc > 1 ? argv[1] : "text";
  if (format != "text" && format != "openmetrics") {
    std::fprintf(stderr, "usage: exposition_dump [text|openmetrics]\n");
    return 2;
  }
  fixture::metrics m;
  std::string out;
  promcxx::render(m.reg, format == "text" ? promcxx::exposition_format::text_0_0_4
                                          : promcxx::exposition_format::openmetrics_1_0_0, out);
  std::fwrite(out.data(), 1, out.size(), stdout);
  return 0;
}
