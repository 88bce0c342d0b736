// Format negotiation with the Accept headers real scrapers send (expfmt.Negotiate rules).
#include "test_config.hpp"

#include <string>
#include <string_view>

#include <promcxx/detail/http_encoding.hpp>
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

TEST_CASE("negotiate: unknown versions and other protobuf encodings fall back to text 0.0.4") {
  CHECK(negotiate("application/openmetrics-text;version=2.0.0") == text);
  CHECK(negotiate("text/plain;version=1.0.0") == text);
  CHECK(negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=text") == text);
  CHECK(negotiate("application/vnd.google.protobuf;proto=other.Message;encoding=delimited") == text);
}

TEST_CASE("negotiate: delimited protobuf of MetricFamily is served as protobuf") {
  CHECK(negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited") ==
        exposition_format::protobuf_delimited);
  CHECK(negotiate("application/vnd.google.protobuf;proto=io.prometheus.client.MetricFamily;encoding=delimited;q=0.7,"
                  "text/plain;version=0.0.4;q=0.3,*/*;q=0.2") == exposition_format::protobuf_delimited);
  // A quoted parameter value is the same value (RFC 9110 5.6.6).
  CHECK(negotiate("application/vnd.google.protobuf;proto=\"io.prometheus.client.MetricFamily\";encoding=delimited") ==
        exposition_format::protobuf_delimited);
}

TEST_CASE("negotiate: garbage never breaks the scrape") {
  CHECK(negotiate(",,,;;;===") == text);
  CHECK(negotiate(" \t application/openmetrics-text ; version=1.0.0 ; q=0.9 , text/plain ; q=0.8") == om);
  CHECK(negotiate(std::string(10000, ';')) == text);
  CHECK(negotiate("\xff\xfe\x00garbage") == text);
}

TEST_CASE("regression: a malformed q counted as 1 in negotiate but refused the element in Accept-Encoding") {
  // One rule now (detail/accept.hpp): an element with a malformed q is ignored.
  CHECK(negotiate("application/openmetrics-text;q=abc") == text);
  CHECK(negotiate("application/openmetrics-text;q=abc,text/plain;q=0.1") == text);
  CHECK(negotiate("text/plain;q=2,application/openmetrics-text;q=0.1") == om);
  CHECK_FALSE(promcxx::detail::http_accepts_gzip("gzip;q=abc"));
  CHECK(promcxx::detail::http_accepts_gzip("identity;q=2,gzip;q=0.1"));
}

TEST_CASE("negotiate and Accept-Encoding read every q the same way") {
  // Each q spelling competes against an alternative at q=0.45 listed first:
  // the format negotiation picks OpenMetrics and the content coding picks gzip
  // exactly when the spelling is a well-formed weight above 0.45, and alone
  // each is picked exactly when the weight is well-formed and above 0.
  struct row {
    std::string_view q;
    int thousandths;  // -1: malformed
  };
  const row rows[] = {
      {"1", 1000},     {"1.", 1000},    {"1.0", 1000},   {"1.000", 1000}, {"1.0000", 1000}, {"0.5", 500},
      {"0.999", 999},  {"0.46", 460},   {"0.3", 300},    {"0", 0},        {"0.", 0},        {"0.000", 0},
      {"0.0001", 1},   {" 0.9 ", 900},  {"abc", -1},     {"2", -1},       {"1.5", -1},      {"1.001", -1},
      {"-1", -1},      {".5", -1},      {"", -1},        {"0.5x", -1},    {"\"0.9\"", -1}, {"0,9", -1},
      {"NaN", -1},     {"Inf", -1},     {"1e0", -1},     {"0x1", -1},
  };
  for (const auto& r : rows) {
    const std::string q{r.q};
    CAPTURE(q);
    CHECK(promcxx::detail::parse_qvalue(promcxx::detail::accept_trim(r.q)) == r.thousandths);
    const bool wins = r.thousandths > 450;
    const bool acceptable = r.thousandths > 0;
    CHECK((negotiate("text/plain;q=0.45,application/openmetrics-text;q=" + q) == om) == wins);
    CHECK(promcxx::detail::http_accepts_gzip("identity;q=0.45,gzip;q=" + q) == wins);
    CHECK((negotiate("application/openmetrics-text;q=" + q) == om) == acceptable);
    CHECK(promcxx::detail::http_accepts_gzip("gzip;q=" + q) == acceptable);
  }
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
