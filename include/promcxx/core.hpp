// promcxx core: declare and update metrics. Pulls in no sockets, no zlib and
// no encoder, so a translation unit that only updates metrics stays light.
#ifndef PROMCXX_CORE_HPP
#define PROMCXX_CORE_HPP

#include "buckets.hpp"
#include "config.hpp"
#include "exemplar.hpp"  // always visible: counter<..., exemplars> must name one type in every TU
#include "fixed_string.hpp"
#include "info.hpp"
#include "metrics.hpp"
#include "options.hpp"
#include "registry.hpp"
#include "stateset.hpp"
#include "summary.hpp"
#include "version.hpp"

#endif // PROMCXX_CORE_HPP
