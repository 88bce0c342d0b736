// The one version number: include/promcxx/version.hpp. meson.build reads it
// through tools/version.py and passes meson.project_version() here, split.
#include <promcxx/version.hpp>

#include <string_view>

static_assert(std::string_view{PROMCXX_VERSION_STRING} == PROMCXX_EXPECTED_VERSION,
              "promcxx: meson.project_version() differs from PROMCXX_VERSION_STRING");
static_assert(PROMCXX_VERSION_MAJOR == PROMCXX_EXPECTED_MAJOR && PROMCXX_VERSION_MINOR == PROMCXX_EXPECTED_MINOR &&
                  PROMCXX_VERSION_PATCH == PROMCXX_EXPECTED_PATCH,
              "promcxx: PROMCXX_VERSION_MAJOR/MINOR/PATCH disagree with PROMCXX_VERSION_STRING");

int main() { return 0; }
