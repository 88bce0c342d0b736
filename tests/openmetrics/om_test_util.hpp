// Helpers shared by the openmetrics tests.
#ifndef PROMCXX_OM_TEST_UTIL_HPP
#define PROMCXX_OM_TEST_UTIL_HPP

#include <functional>
#include <string>
#include <string_view>
#include <utility>

#include <promcxx/exposition.hpp>
#include <promcxx/registry.hpp>

namespace om_test {

/// A collector whose body is a lambda: builds exact snapshots (fixed created times included).
class lambda_collector final : public promcxx::collector {
 public:
  explicit lambda_collector(std::function<void(promcxx::collect_sink&)> body) : body_(std::move(body)) {}
  void collect(promcxx::collect_sink& sink) const override { body_(sink); }

 private:
  std::function<void(promcxx::collect_sink&)> body_;
};

inline std::string render(promcxx::registry& reg, promcxx::exposition_format format) {
  std::string out;
  promcxx::render(reg, format, out);
  return out;
}
inline std::string openmetrics(promcxx::registry& reg) {
  return render(reg, promcxx::exposition_format::openmetrics_1_0_0);
}
inline std::string text(promcxx::registry& reg) { return render(reg, promcxx::exposition_format::text_0_0_4); }

inline bool has_line(std::string_view text, std::string_view line) {
  for (std::size_t at = 0; at < text.size();) {
    const auto end = text.find('\n', at);
    if (text.substr(at, end - at) == line) return true;
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return false;
}

/// The line that starts with `prefix`, or "" when none.
inline std::string line_starting(std::string_view text, std::string_view prefix) {
  for (std::size_t at = 0; at < text.size();) {
    const auto end = text.find('\n', at);
    const auto line = text.substr(at, end - at);
    if (line.starts_with(prefix)) return std::string{line};
    if (end == std::string_view::npos) break;
    at = end + 1;
  }
  return {};
}

} // namespace om_test

#endif // PROMCXX_OM_TEST_UTIL_HPP
