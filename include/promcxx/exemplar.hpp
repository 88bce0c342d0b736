// promcxx: exemplars on counters and histogram buckets (OpenMetrics).
//
//     inline promcxx::histogram<"rpc_duration_seconds", "RPC latency.", promcxx::exemplars> rpc;
//     rpc.observe(0.042, {{"trace_id", trace_id}});
//     // OpenMetrics: rpc_duration_seconds_bucket{le="0.05"} 7 # {trace_id="4bf9..."} 0.042 1.7e+09
//
// `promcxx::exemplars` is an option of the one counter and histogram classes
// (metrics.hpp): it adds one fixed-size slot per counter series, or per bucket
// of a histogram series, allocated when the series is created (288 bytes
// each), so a metric's unused series capacity costs only a pointer. Metrics
// without it keep their size and have no exemplar overloads. Recording is
// lock- and allocation-free: the labels are packed into the slot's words under
// a sequence lock, and the latest exemplar wins; a writer that finds another
// writer mid-copy skips its exemplar instead of waiting (exemplars are samples,
// not counts). Dropped exemplars are counted process-wide and shown as
// `promcxx_exemplars_dropped_total` by the default registry once there is one.
#ifndef PROMCXX_EXEMPLAR_HPP
#define PROMCXX_EXEMPLAR_HPP

#include "detail/exemplar_slot.hpp"
#include "metrics.hpp"

#endif // PROMCXX_EXEMPLAR_HPP
