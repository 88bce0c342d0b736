// promcxx core: declare and update metrics. Pulls in no sockets, no zlib and
// no encoder, so a translation unit that only updates metrics stays light.
#ifndef PROMCXX_CORE_HPP
#define PROMCXX_CORE_HPP

#include "buckets.hpp"
#include "config.hpp"
#include "fixed_string.hpp"
#include "metrics.hpp"
#include "options.hpp"
#include "registry.hpp"
#include "version.hpp"

#endif // PROMCXX_CORE_HPP
