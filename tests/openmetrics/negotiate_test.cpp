// Format negotiation with the Accept headers real scrapers send (expfmt.Negotiate rules).
#include "test_config.hpp"

#include <promcxx/exposition.hpp>

#include <doctest/doctest.h>

namespace {

using promcxx::exposition_format;
using promcxx::negotiate;
constexpr auto om = exposition_format::openmetrics_1_0_0;
constexpr auto text = exposition_format::text_0_0_4;

TEST_CASE("negotiate: Prometheus 2.42 gets OpenMetrics 1.0.0") {
  CHECK(negotiate("application/openmetrics-text;version=1.0.0;q=0.75,application/openmetrics-text;q=0.6,"
                  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1") == om);
}

TEST_CASE("negotiate: Prometheus 2.43 and 3.x get OpenMetrics 1.0.0") {
  CHECK(negotiate("application/openmetrics-text;version=1.0.0,application/openmetrics-text;version=0.0.1;q=0.75,"
                  "text/plain;version=0.0.4;q=0.5,*/*;q=0.1") == om);
  CHECK(negotiate("application/openmetrics-text;version=1.0.0;escaping=allow-utf-8;q=0.6,"
                  "application/openmetrics-text;version=0.0.1;q=0.5,text/plain;version=1.0.0;escaping=allow-utf-8;"
                  "q=0.4,text/plain;version=0.0.4;q=0.3,*/*;q=0.2") == om);
}

TEST_CASE("negotiate: Prometheus configured to prefer the text format gets 0.0.4") {
  // scrape_protocols: [PrometheusText0.0.4, OpenMetricsText1.0.0] in 3.x
  CHECK(negotiate("text/plain;version=0.0.4;q=0.5,application/openmetrics-text;version=1.0.0;q=0.4,*/*;q=0.1") ==
        text);
}

TEST_CASE("negotiate: no header, wildcards and browsers get text 0.0.4") {
  CHECK(negotiate("") == text);
  CHECK(negotiate("*/*") == text);
  CHECK(negotiate("text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8") == text);
  CHECK(negotiate("text/plain") == text);
}

TEST_CASE("negotiate: OpenMetrics without a version is 0.0.1, still OpenMetrics") {
  CHECK(negotiate("application/openmetrics-text") == om);
  CHECK(negotiate("application/openmetrics-text; version=0.0.1") == om);
  CHECK(negotiate("Application/OpenMetrics-Text; Version=1.0.0") == om);  // media types are case-insensitive
}

TEST_CASE("negotiate: q=0 means not acceptable") {
  CHECK(negotiate("application/openmetrics-text;version=1.0.0;q=0,text/plain;version=0.0.4;q=0.5") == text);
  CHECK(negotiate("application/openmetrics-text;version=1.0.0;q=0.0") == text);
  CHECK(negotiate("text/plain;q=0,application/openmetrics-text;q=0.1") == om);
}

TEST_CASE("negotiate: unknown versions and protobuf fall back to text 0.0.4") {
  CHECK(negotiate("application/openmetrics-text;version=2.0.0") == text);
  CHECK(negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited") ==
        text);
}

TEST_CASE("negotiate: garbage never breaks the scrape") {
  CHECK(negotiate(",,,;;;===") == text);
  CHECK(negotiate("application/openmetrics-text;q=abc") == om);  // malformed q counts as 1, like goautoneg
  CHECK(negotiate(" \t application/openmetrics-text ; version=1.0.0 ; q=0.9 , text/plain ; q=0.8") == om);
  CHECK(negotiate(std::string(10000, ';')) == text);
  CHECK(negotiate("\xff\xfe\x00garbage") == text);
}

TEST_CASE("negotiate: higher quality wins regardless of order") {
  CHECK(negotiate("text/plain;version=0.0.4;q=0.9,application/openmetrics-text;version=1.0.0;q=0.8") == text);
  CHECK(negotiate("text/plain;version=0.0.4;q=0.8,application/openmetrics-text;version=1.0.0;q=0.9") == om);
}

TEST_CASE("content types are the ones the reference clients send") {
  CHECK(promcxx::content_type(om) == "application/openmetrics-text; version=1.0.0; charset=utf-8");
  CHECK(promcxx::content_type(text) == "text/plain; version=0.0.4; charset=utf-8");
}

} // namespace
