// promcxx: header-only Prometheus metrics for C++20. The one include.
#ifndef PROMCXX_HPP
#define PROMCXX_HPP

#include "promcxx/core.hpp"
#include "promcxx/exposition.hpp"
#include "promcxx/openmetrics.hpp"
#include "promcxx/text_format.hpp"

#endif // PROMCXX_HPP
