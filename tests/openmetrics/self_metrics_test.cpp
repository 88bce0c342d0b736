// The registry's self-metrics show up in both formats when something went wrong.
#include "test_config.hpp"

#include <string>

#include <promcxx/core.hpp>
#include <promcxx/exposition.hpp>

#include <doctest/doctest.h>

#include "om_test_util.hpp"

namespace {

using om_test::has_line;

TEST_CASE("self-metrics: promcxx_series_overflow_total counts refused label sets per metric") {
  promcxx::registry reg;
  promcxx::counter<"capped_total", "Capped.", promcxx::labels<"user">, promcxx::max_series<2>> capped{reg};
  CHECK(om_test::openmetrics(reg).find("promcxx_series_overflow") == std::string::npos);  // absent while fine
  capped.labels("a").inc();
  capped.labels("b").inc();
  capped.labels("c").inc();
  capped.labels("d").inc();
  const auto om = om_test::openmetrics(reg);
  CHECK(has_line(om, "# TYPE promcxx_series_overflow counter"));
  CHECK(has_line(om, "promcxx_series_overflow_total{metric=\"capped_total\"} 2.0"));
  CHECK(has_line(om, "capped_total{user=\"__promcxx_overflow__\"} 2.0"));
  const auto text = om_test::text(reg);
  CHECK(has_line(text, "promcxx_series_overflow_total{metric=\"capped_total\"} 2"));
}

TEST_CASE("self-metrics: promcxx_collect_errors_total counts what collectors got wrong") {
  promcxx::registry reg;
  om_test::lambda_collector bad{[](promcxx::collect_sink& s) {
    s.family("bad-name", "Dashes are not allowed.", promcxx::metric_type::gauge);  // refused
    if (s.family("ok_value", "Fine.", promcxx::metric_type::gauge)) {
      s.sample({{"__reserved", "x"}}, 1);  // refused
      s.sample({{"good", "x"}}, 1);
    }
  }};
  reg.add(bad);
  const auto om = om_test::openmetrics(reg);
  CHECK(has_line(om, "# TYPE promcxx_collect_errors counter"));
  CHECK(has_line(om, "promcxx_collect_errors_total 2.0"));
  CHECK(has_line(om, "ok_value{good=\"x\"} 1.0"));
  CHECK(om.find("bad-name") == std::string::npos);
  CHECK(has_line(om_test::text(reg), "promcxx_collect_errors_total 4"));  // the second scrape adds 2 more
}

} // namespace
