// promcxx: header-only Prometheus metrics for C++20. The one include.
#ifndef PROMCXX_HPP
#define PROMCXX_HPP

#include "promcxx/core.hpp"
#include "promcxx/collect.hpp"
#include "promcxx/exposition.hpp"
#include "promcxx/http_server.hpp"
#include "promcxx/openmetrics.hpp"
#include "promcxx/process_collector.hpp"  // registers process_* in the default registry (Linux)
#include "promcxx/text_format.hpp"

#endif // PROMCXX_HPP
