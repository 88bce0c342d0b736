// promcxx core: declare and update metrics. Pulls in no sockets, no zlib and
// no encoder, so a translation unit that only updates metrics stays light.
//
// Layers, each including only those below it: rules and names
// (detail/rules.hpp, names.hpp), descriptors (fixed_string, options, buckets,
// descriptor.hpp), storage (storage.hpp, detail/exemplar_slot.hpp), handles,
// the family core (family.hpp), metric front ends (metrics.hpp, summary.hpp,
// stateset.hpp, info.hpp, exemplar.hpp), registry and snapshot.
#ifndef PROMCXX_CORE_HPP
#define PROMCXX_CORE_HPP

#include "buckets.hpp"
#include "config.hpp"
#include "exemplar.hpp"
#include "fixed_string.hpp"
#include "info.hpp"
#include "metrics.hpp"
#include "options.hpp"
#include "registry.hpp"
#include "stateset.hpp"
#include "summary.hpp"
#include "version.hpp"

#endif // PROMCXX_CORE_HPP
